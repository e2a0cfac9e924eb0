import { StreamfoldError } from '../errors'
import { RecordHeaders } from '../record-headers'
import type { Serde } from '../serdes/serde'
import type { BrokerRecord } from '../runtime/broker/broker'
import type { KeyValue, TestRecord } from './test-record'

/** What a TestOutputTopic needs from its driver. */
export interface OutputTap {
  readOutput(topic: string): BrokerRecord | undefined
  outputSize(topic: string): number
}

/**
 * Reads what a topology wrote to a topic in a TopologyTestDriver. Reading consumes: each record
 * is returned once, in the order it was produced.
 */
export class TestOutputTopic<K, V> {
  /** @internal use TopologyTestDriver.createOutputTopic */
  constructor(
    private readonly driver: OutputTap,
    readonly name: string,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
  ) {}

  readValue(): V | null {
    return this.readRecord().value
  }

  readKeyValue(): KeyValue<K | null, V | null> {
    const { key, value } = this.readRecord()
    return { key, value }
  }

  readRecord(): TestRecord<K, V> {
    const raw = this.driver.readOutput(this.name)
    if (raw === undefined) {
      throw new StreamfoldError('NO_OUTPUT_RECORD', `No more records in output topic ${this.name}`, { topic: this.name })
    }
    return {
      key: raw.key === null ? null : this.keySerde.deserialize(raw.key, this.name),
      value: raw.value === null ? null : this.valueSerde.deserialize(raw.value, this.name),
      timestamp: raw.timestamp,
      headers: RecordHeaders.wrap(raw.headers),
    }
  }

  readValuesToList(): Array<V | null> {
    return this.readRecordsToList().map((r) => r.value)
  }

  readKeyValuesToList(): Array<KeyValue<K | null, V | null>> {
    return this.readRecordsToList().map(({ key, value }) => ({ key, value }))
  }

  /** The last value per key (a null value stays in the map, as in Kafka Streams). */
  readKeyValuesToMap(): Map<K, V | null> {
    const out = new Map<K, V | null>()
    for (const { key, value } of this.readRecordsToList()) {
      if (key === null) {
        throw new StreamfoldError('ILLEGAL_STATE', `readKeyValuesToMap() found a record with a null key in topic ${this.name}`, {
          topic: this.name,
        })
      }
      out.set(key, value)
    }
    return out
  }

  readRecordsToList(): Array<TestRecord<K, V>> {
    const out: Array<TestRecord<K, V>> = []
    while (!this.isEmpty()) out.push(this.readRecord())
    return out
  }

  isEmpty(): boolean {
    return this.driver.outputSize(this.name) === 0
  }

  getQueueSize(): number {
    return this.driver.outputSize(this.name)
  }
}
