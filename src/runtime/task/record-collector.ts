import type { OutgoingRecord } from '../broker/broker'

/**
 * Where sinks put serialized records. The runtime's collector buffers them for the producer
 * (and the transaction); the test driver's captures them in memory.
 */
export interface RecordCollector {
  send(record: OutgoingRecord): void
  /** Partition count of `topic` if known, for custom partitioners. */
  partitionsFor(topic: string): number | undefined
}
