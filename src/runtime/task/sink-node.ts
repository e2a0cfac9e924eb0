import { ProcessingError } from '../../errors'
import type { StreamRecord } from '../../processors/stream-record'
import { stringSerde } from '../../serdes/string-serde'
import type { AnySerializer, RecordContext, SinkNodeSpec } from '../../topology/node-spec'
import type { RuntimeNode } from './runtime-node'
import { safeReason } from './source-node'
import { resolveTopicName } from '../../topology/internal-topic-name'
import type { TaskContext } from './task-context'

/** Serializes records and hands them to the task's RecordCollector. */
export class SinkNode implements RuntimeNode {
  /** The fixed topic, with a repartition topic's application-id prefix applied. */
  private readonly fixedTopic: string | undefined
  /** Keys are written with the built-in string serde. */
  private readonly stringKeys: boolean

  constructor(
    private readonly spec: SinkNodeSpec,
    private readonly task: TaskContext,
  ) {
    this.fixedTopic = typeof spec.topic === 'string' ? resolveTopicName(spec.topic, spec.internal, task.applicationId) : undefined
    this.stringKeys = spec.keySerde === (stringSerde as unknown)
  }

  get name(): string {
    return this.spec.name
  }

  process(record: StreamRecord<unknown, unknown>): void {
    this.task.currentNode = this.spec.name
    const topic = this.fixedTopic ?? this.extractTopic(record)
    const key = record.key === null || record.key === undefined ? null : this.encodeKey(record.key, topic)
    const value =
      record.value === null || record.value === undefined ? null : this.encode('value', this.spec.valueSerde, record.value, topic)
    const partition = this.spec.partitioner === undefined ? undefined : this.partition(topic, record)
    this.task.collector.send({
      topic,
      partition,
      key,
      value,
      timestamp: record.timestamp,
      headers: record.headers.entries(),
    })
  }

  private extractTopic(record: StreamRecord<unknown, unknown>): string {
    const meta = this.task.currentRecord
    const context: RecordContext = {
      timestamp: record.timestamp,
      headers: record.headers,
      topic: meta?.topic,
      partition: meta?.partition,
      offset: meta?.offset,
    }
    const topic = (this.spec.topic as Exclude<SinkNodeSpec['topic'], string>)(record.key, record.value, context)
    if (typeof topic !== 'string' || topic.length === 0) {
      throw new ProcessingError('PROCESSING_FAILED', `The topic extractor of sink "${this.spec.name}" returned no topic name`, this.coordinates())
    }
    return topic
  }

  private partition(topic: string, record: StreamRecord<unknown, unknown>): number | undefined {
    const count = this.task.collector.partitionsFor(topic)
    if (count === undefined) return undefined
    const partition = this.spec.partitioner!(topic, record.key, record.value, count)
    if (partition !== undefined && !(Number.isInteger(partition) && partition >= 0 && partition < count)) {
      throw new ProcessingError(
        'PROCESSING_FAILED',
        `The partitioner of sink "${this.spec.name}" returned partition ${partition} for topic ${topic}, which has ${count} partitions`,
        this.coordinates(),
      )
    }
    return partition
  }

  /**
   * A key that passed through unchanged from the input is written as the bytes it was read from,
   * when both ends use the string serde and those bytes round-trip: decoding them made no U+FFFD,
   * so they were valid UTF-8 and encoding the string again gives them back exactly.
   */
  private encodeKey(key: unknown, topic: string): Buffer {
    const raw = this.task.currentRawKey
    if (raw != null && this.stringKeys && key === this.task.currentRecord?.key && (key as string).indexOf('\uFFFD') === -1) return raw
    return this.encode('key', this.spec.keySerde, key, topic)
  }

  private encode(part: 'key' | 'value', serde: AnySerializer, data: unknown, topic: string): Buffer {
    try {
      return serde.serialize(data, topic)
    } catch (error) {
      throw new ProcessingError(
        'SERIALIZATION_FAILED',
        `Could not serialize the record ${part} for topic ${topic} with the ${serde.name} serde: ${safeReason(error)}`,
        { ...this.coordinates(), cause: error },
      )
    }
  }

  private coordinates() {
    const meta = this.task.currentRecord
    return { taskId: this.task.taskId, node: this.spec.name, topic: meta?.topic, partition: meta?.partition, offset: meta?.offset }
  }
}
