import { RecordHeaders } from '../record-headers'
import type { Serde } from '../serdes/serde'
import type { KeyValue, TestInputRecord } from './test-record'

/** What a TestInputTopic needs from its driver. */
export interface InputPipe {
  pipe(topic: string, key: Buffer | null, value: Buffer | null, timestamp: number, headers: RecordHeaders): void
}

export interface TestInputTopicOptions {
  /** Timestamp of the first record piped without one; default: the driver's wall-clock time. */
  readonly startTimestamp?: number
  /** How far the default timestamp moves after each record piped without one; default 0. */
  readonly autoAdvanceMs?: number
}

/**
 * Writes records into a topic of a TopologyTestDriver. Each pipe call processes the record (and
 * everything it causes downstream) before returning, as Kafka Streams' TestInputTopic does.
 */
export class TestInputTopic<K, V> {
  private currentTime: number
  private readonly autoAdvanceMs: number

  /** @internal use TopologyTestDriver.createInputTopic */
  constructor(
    private readonly driver: InputPipe,
    readonly name: string,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
    startTimestamp: number,
    options: TestInputTopicOptions,
  ) {
    this.currentTime = options.startTimestamp ?? startTimestamp
    this.autoAdvanceMs = options.autoAdvanceMs ?? 0
  }

  pipeInput(key: K | null, value: V | null, timestamp?: number): void {
    this.pipeRecord({ key, value, timestamp })
  }

  pipeRecord(record: TestInputRecord<K, V>): void {
    const timestamp = record.timestamp ?? this.nextTimestamp()
    const key = record.key === null || record.key === undefined ? null : this.keySerde.serialize(record.key, this.name)
    const value = record.value === null ? null : this.valueSerde.serialize(record.value, this.name)
    this.driver.pipe(this.name, key, value, timestamp, RecordHeaders.from(record.headers))
  }

  /** Pipes each pair with the default timestamps (advancing by `autoAdvanceMs` each). */
  pipeKeyValueList(list: Iterable<KeyValue<K | null, V | null>>): void {
    for (const { key, value } of list) this.pipeInput(key, value)
  }

  pipeRecordList(list: Iterable<TestInputRecord<K, V>>): void {
    for (const record of list) this.pipeRecord(record)
  }

  /** Moves the default timestamp forward. */
  advanceTime(ms: number): void {
    this.currentTime += ms
  }

  private nextTimestamp(): number {
    const t = this.currentTime
    this.currentTime += this.autoAdvanceMs
    return t
  }
}
