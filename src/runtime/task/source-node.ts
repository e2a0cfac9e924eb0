import { isStreamfoldError, ProcessingError } from '../../errors'
import type { StreamRecord } from '../../processors/stream-record'
import { RecordHeaders } from '../../record-headers'
import { stringSerde } from '../../serdes/string-serde'
import type { ConsumedRecord, SourceNodeSpec } from '../../topology/node-spec'
import type { BrokerRecord } from '../broker/broker'
import type { RuntimeNode } from './runtime-node'
import type { TaskContext } from './task-context'

/**
 * Turns bytes from the log into a typed record with its event time, and hands it to the
 * children. Errors name the record's coordinates and never its contents.
 */
export class SourceNode implements RuntimeNode {
  /** Keys are read with the built-in string serde (see TaskContext.currentRawKey). */
  readonly stringKeys: boolean
  private children: readonly RuntimeNode[] = []

  constructor(
    private readonly spec: SourceNodeSpec,
    private readonly task: TaskContext,
  ) {
    this.stringKeys = spec.keySerde === (stringSerde as unknown)
  }

  get name(): string {
    return this.spec.name
  }

  setChildren(children: readonly RuntimeNode[]): void {
    this.children = children
  }

  /** Deserializes `raw` and extracts its timestamp; throws ProcessingError on bad input. */
  deserialize(raw: BrokerRecord, partitionTime: number): ConsumedRecord<unknown, unknown> {
    const key = raw.key === null ? null : this.decode('key', raw, raw.key)
    const value = raw.value === null ? null : this.decode('value', raw, raw.value)
    const record: ConsumedRecord<unknown, unknown> = {
      key,
      value,
      timestamp: raw.timestamp,
      headers: RecordHeaders.wrap(raw.headers),
      topic: raw.topic,
      partition: raw.partition,
      offset: raw.offset,
    }
    const extractor = this.spec.timestampExtractor
    const timestamp = extractor === undefined ? raw.timestamp : this.extract(record, partitionTime, raw)
    if (!Number.isFinite(timestamp) || timestamp < 0) {
      throw new ProcessingError(
        'INVALID_TIMESTAMP',
        `Record has invalid timestamp ${timestamp}${extractor === undefined ? '' : ' from the timestamp extractor'}: timestamps must be finite and >= 0`,
        this.coordinates(raw),
      )
    }
    return timestamp === record.timestamp ? record : { ...record, timestamp }
  }

  process(record: StreamRecord<unknown, unknown>): void {
    const children = this.children
    for (let i = 0; i < children.length; i++) {
      children[i]!.process(record)
      this.task.currentNode = this.spec.name
    }
  }

  private decode(part: 'key' | 'value', raw: BrokerRecord, bytes: Buffer): unknown {
    const serde = part === 'key' ? this.spec.keySerde : this.spec.valueSerde
    try {
      return serde.deserialize(bytes, raw.topic)
    } catch (error) {
      throw new ProcessingError(
        'DESERIALIZATION_FAILED',
        `Could not deserialize the record ${part} (${bytes.length} bytes) with the ${serde.name} serde: ${safeReason(error)}`,
        { ...this.coordinates(raw), cause: error },
      )
    }
  }

  private extract(record: ConsumedRecord<unknown, unknown>, partitionTime: number, raw: BrokerRecord): number {
    try {
      return this.spec.timestampExtractor!(record, partitionTime)
    } catch (error) {
      throw new ProcessingError('INVALID_TIMESTAMP', `The timestamp extractor threw: ${safeReason(error)}`, {
        ...this.coordinates(raw),
        cause: error,
      })
    }
  }

  private coordinates(raw: BrokerRecord) {
    return { taskId: this.task.taskId, node: this.spec.name, topic: raw.topic, partition: raw.partition, offset: raw.offset }
  }
}

/**
 * Our serdes' messages never quote data; anything else (a user's serde, JSON.parse) might, so
 * only our own errors' messages are repeated. The original error stays available as `cause`.
 */
export function safeReason(error: unknown): string {
  if (isStreamfoldError(error)) return error.detail
  return error instanceof Error ? `${error.name} (message withheld: it may quote the record)` : 'a non-Error value was thrown'
}
