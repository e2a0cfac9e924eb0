/**
 * A test double of the PartitionReader port over an in-memory log: records produced by the
 * stores are appended with offsets; `readToEnd` hands them back in batches of at most
 * `maxBatchRecords` and remembers the largest batch it handed over.
 */
import type {
  BrokerRecord,
  OutgoingRecord,
  PartitionReader,
  PartitionReadOptions,
  TopicPartitionOffset,
} from '../../../src/runtime/broker/broker'

export class FakeChangelog implements Pick<PartitionReader, 'readToEnd'> {
  private readonly logs = new Map<string, BrokerRecord[]>()
  largestBatch = 0
  reads = 0

  /** Appends records as a producer would; returns the end offsets of the partitions written. */
  append(records: readonly OutgoingRecord[]): TopicPartitionOffset[] {
    const touched = new Map<string, TopicPartitionOffset>()
    for (const r of records) {
      const partition = r.partition ?? 0
      const log = this.log(r.topic, partition)
      log.push({ topic: r.topic, partition, offset: log.length, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers })
      touched.set(`${r.topic}/${partition}`, { topic: r.topic, partition, offset: log.length })
    }
    return Array.from(touched.values())
  }

  records(topic: string, partition = 0): readonly BrokerRecord[] {
    return this.log(topic, partition)
  }

  endOffset(topic: string, partition = 0): number {
    return this.log(topic, partition).length
  }

  async readToEnd(
    from: TopicPartitionOffset,
    onBatch: (records: readonly BrokerRecord[]) => Promise<void> | void,
    options?: PartitionReadOptions,
  ): Promise<number> {
    this.reads++
    const log = this.log(from.topic, from.partition)
    const end = log.length
    const max = options?.maxBatchRecords ?? 500
    for (let i = from.offset; i < end; i += max) {
      const batch = log.slice(i, Math.min(end, i + max))
      this.largestBatch = Math.max(this.largestBatch, batch.length)
      await onBatch(batch)
    }
    return end
  }

  private log(topic: string, partition: number): BrokerRecord[] {
    const key = `${topic}/${partition}`
    let log = this.logs.get(key)
    if (log === undefined) {
      log = []
      this.logs.set(key, log)
    }
    return log
  }
}
