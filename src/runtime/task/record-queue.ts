import type { ConsumedRecord } from '../../topology/node-spec'
import type { BrokerRecord } from '../broker/broker'
import type { SourceNode } from './source-node'

/**
 * Fetched-but-unprocessed records of one input partition. The head is deserialized lazily,
 * one record at a time, because its event time decides which partition the task reads next.
 */
export class RecordQueue {
  // records[next, end) are waiting. The array is reused: slots are cleared as records are taken,
  // and an emptied queue starts again at 0, so a queue fed one record at a time (the runtime's
  // usual case) writes into the same slots instead of growing and re-slicing an array.
  private records: (BrokerRecord | undefined)[] = []
  private next = 0
  private end = 0
  private head: ConsumedRecord<unknown, unknown> | undefined
  /** Largest timestamp seen on this partition; -1 before the first. */
  partitionTime = -1
  /** Offset of the next record to process: what the task may commit for this partition. */
  nextOffset: number | undefined

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly source: SourceNode,
  ) {}

  add(records: readonly BrokerRecord[]): void {
    for (let i = 0; i < records.length; i++) this.push(records[i]!)
  }

  push(record: BrokerRecord): void {
    if (this.end < this.records.length) this.records[this.end] = record
    else this.records.push(record)
    this.end++
  }

  get size(): number {
    return this.end - this.next
  }

  /**
   * The deserialized head record, or undefined when empty. A record that cannot be read is
   * passed to `onBadRecord`; when that returns (the handler chose to continue) the record is
   * dropped and its offset counts as done.
   */
  peek(onBadRecord: (error: unknown, raw: BrokerRecord) => void): ConsumedRecord<unknown, unknown> | undefined {
    while (this.head === undefined && this.next < this.end) {
      const raw = this.records[this.next]!
      try {
        this.head = this.source.deserialize(raw, this.partitionTime)
      } catch (error) {
        onBadRecord(error, raw)
        this.advance(raw.offset)
      }
    }
    return this.head
  }

  /** Removes the head returned by the last peek(). */
  poll(): ConsumedRecord<unknown, unknown> {
    const record = this.head!
    this.head = undefined
    if (record.timestamp > this.partitionTime) this.partitionTime = record.timestamp
    this.advance(record.offset)
    return record
  }

  /** The raw bytes of the record peek() returned, for dead-letter handling. */
  rawHead(): BrokerRecord | undefined {
    return this.next < this.end ? this.records[this.next] : undefined
  }

  clear(): void {
    this.records = []
    this.next = 0
    this.end = 0
    this.head = undefined
  }

  private advance(offset: number): void {
    this.records[this.next++] = undefined // the queue must not keep processed records alive
    this.nextOffset = offset + 1
    if (this.next === this.end) {
      this.next = 0
      this.end = 0
    } else if (this.next >= 1024 && this.next * 2 >= this.end) {
      // Move the waiting records to the front in chunks, so the array neither grows forever nor
      // shifts per record.
      this.records.copyWithin(0, this.next, this.end)
      this.records.fill(undefined, this.end - this.next, this.end)
      this.end -= this.next
      this.next = 0
    }
  }
}
