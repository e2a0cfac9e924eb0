import type { BrokerRecord, OutgoingRecord, PartitionReadOptions, PartitionReader, TopicPartitionOffset } from '../runtime/broker/broker'

/**
 * The test driver's topics: one partition each, every record kept. Records the topology
 * produced are also queued for TestOutputTopic readers; changelog topics are read back by
 * restore through the PartitionReader port.
 */
export class InMemoryTopics implements Pick<PartitionReader, 'readToEnd'> {
  private readonly logs = new Map<string, BrokerRecord[]>()
  private readonly outputs = new Map<string, { records: BrokerRecord[]; read: number }>()

  append(record: OutgoingRecord): BrokerRecord {
    let log = this.logs.get(record.topic)
    if (log === undefined) {
      log = []
      this.logs.set(record.topic, log)
    }
    const stored: BrokerRecord = {
      topic: record.topic,
      partition: 0,
      offset: log.length,
      timestamp: record.timestamp,
      key: record.key,
      value: record.value,
      headers: record.headers,
    }
    log.push(stored)
    return stored
  }

  /** Makes a produced record visible to output-topic readers. */
  markOutput(record: BrokerRecord): void {
    let out = this.outputs.get(record.topic)
    if (out === undefined) {
      out = { records: [], read: 0 }
      this.outputs.set(record.topic, out)
    }
    out.records.push(record)
  }

  readOutput(topic: string): BrokerRecord | undefined {
    const out = this.outputs.get(topic)
    if (out === undefined || out.read >= out.records.length) return undefined
    return out.records[out.read++]
  }

  outputSize(topic: string): number {
    const out = this.outputs.get(topic)
    return out === undefined ? 0 : out.records.length - out.read
  }

  producedTopicNames(): string[] {
    return [...this.outputs.keys()]
  }

  async readToEnd(
    from: TopicPartitionOffset,
    onBatch: (records: readonly BrokerRecord[]) => Promise<void> | void,
    options: PartitionReadOptions = {},
  ): Promise<number> {
    const log = this.logs.get(from.topic) ?? []
    const end = log.length
    const batch = options.maxBatchRecords ?? 1000
    for (let offset = from.offset; offset < end; offset += batch) {
      await onBatch(log.slice(offset, Math.min(end, offset + batch)))
    }
    return Math.max(end, from.offset)
  }
}
