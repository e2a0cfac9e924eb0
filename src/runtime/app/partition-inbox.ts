import { ProcessingError } from '../../errors'
import type { DedupStore } from '../../state/dedup-store'
import type { BrokerRecord, TopicPartition } from '../broker/broker'
import type { DedupIdExtractor } from '../streams-config'

/**
 * Fetched records of one input partition waiting for their task (see active-task.ts), the record
 * handed to the StreamTask (`head`), and the partition's commit position. Duplicates are dropped
 * here, when every earlier record of the partition is done: records below the applied-offset
 * watermark (their effects are in the state already) and, with an id window, records whose id
 * was processed before.
 */
export class PartitionInbox {
  readonly topic: string
  readonly partition: number
  /** The next offset to commit; undefined until something was done since the last reset. */
  position: number | undefined
  head: BrokerRecord | undefined
  /** Duplicates dropped so far. */
  skipped = 0
  private records: BrokerRecord[] = []
  private index = 0
  private headId: string | Buffer | undefined
  /** The applied-offset watermark, read once per reset (only this task's commits move it, and
   *  those never pass what was fed); null: not read yet. */
  private applied: number | null = null

  constructor(
    tp: TopicPartition,
    private readonly idOf: DedupIdExtractor | undefined,
    /** Ids of heads not processed yet, shared by the task's inboxes (one id may arrive on two). */
    private readonly inFlight: Set<string>,
  ) {
    this.topic = tp.topic
    this.partition = tp.partition
  }

  add(records: readonly BrokerRecord[]): void {
    for (const r of records) this.records.push(r)
  }

  /** Waiting records, the head included. */
  get size(): number {
    return this.records.length - this.index + (this.head === undefined ? 0 : 1)
  }

  /** Takes the next record that is not a duplicate as the new head. */
  next(dedup: DedupStore): BrokerRecord | undefined {
    this.applied ??= dedup.appliedOffset(this.topic, this.partition) ?? -1
    while (this.index < this.records.length) {
      const record = this.records[this.index++]!
      if (record.offset < this.applied) {
        this.skipped++
        // Every record below the watermark is in the state already, fetched or not: the commit
        // position goes straight to the watermark. Stopping at `record.offset + 1` would let a
        // commit made while only part of the redelivered range was fetched (after a crash
        // between the LevelDB write and the offset commit) store that lower position as the new
        // watermark, with the state still holding the effects of the records above it: after the
        // next crash they would be redelivered, pass the lowered watermark and count twice.
        this.position = this.applied
        continue
      }
      if (this.isDuplicateId(record, dedup)) {
        this.skipped++
        this.position = record.offset + 1
        continue
      }
      this.head = record
      this.compact()
      return record
    }
    this.compact()
    return undefined
  }

  /** The head was processed (or dropped by the error handler): its offset is done, its id remembered. */
  headDone(dedup: DedupStore): void {
    const head = this.head
    if (head === undefined) return
    this.position = head.offset + 1
    if (this.headId !== undefined) {
      dedup.remember(this.headId, head.timestamp)
      this.inFlight.delete(idKey(this.headId))
      this.headId = undefined
    }
    this.head = undefined
  }

  /** Forgets everything queued (the consumer is rewound to the committed offset). */
  reset(): void {
    if (this.headId !== undefined) this.inFlight.delete(idKey(this.headId))
    this.headId = undefined
    this.head = undefined
    this.records = []
    this.index = 0
    this.position = undefined
    this.applied = null
  }

  private isDuplicateId(record: BrokerRecord, dedup: DedupStore): boolean {
    if (this.idOf === undefined) return false
    let id: string | Buffer | undefined
    try {
      id = this.idOf(record)
    } catch (error) {
      throw new ProcessingError('PROCESSING_FAILED', 'the dedup id extractor threw', {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        cause: error,
      })
    }
    if (id === undefined) return false
    const key = idKey(id)
    if (this.inFlight.has(key) || dedup.seen(id)) return true
    this.inFlight.add(key)
    this.headId = id
    return false
  }

  /** Drops consumed records in chunks, so the array neither grows forever nor shifts per record. */
  private compact(): void {
    if (this.index === this.records.length) {
      this.records = []
      this.index = 0
    } else if (this.index >= 1024 && this.index * 2 >= this.records.length) {
      this.records = this.records.slice(this.index)
      this.index = 0
    }
  }
}

function idKey(id: string | Buffer): string {
  return typeof id === 'string' ? Buffer.from(id, 'utf8').toString('latin1') : id.toString('latin1')
}
