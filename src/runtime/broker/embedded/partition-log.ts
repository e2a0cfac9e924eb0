/**
 * The in-memory state of one partition's log: its offsets, its open transactions and its
 * aborted-transaction index. The records themselves live in the KvStore (see read-partition.ts).
 *
 *   logStartOffset <= lastStableOffset <= highWatermark <= nextOffset
 *
 * nextOffset is handed out synchronously when a batch is queued; highWatermark moves only when
 * that batch is stored, so no reader ever sees a record a crash could take back. The last stable
 * offset (LSO) is the first offset of the oldest transaction still open here: read_committed
 * readers stop at it, exactly as in Kafka.
 *
 * It also keeps the newest stored batches in memory (the tail cache, at most TAIL_MAX_BYTES), so
 * a consumer that keeps up with the log reads them without a storage round trip. The cache holds
 * the exact bytes written, contiguous, and always ends at the high watermark of what it covers.
 */
import type { IsolationLevel, TopicPartition } from '../broker'

export interface AbortedTransaction {
  readonly producerId: number
  readonly firstOffset: number
  /** The offset of the abort marker. */
  readonly lastOffset: number
}

export interface PartitionLogState {
  readonly logStartOffset: number
  readonly highWatermark: number
  readonly lastBatchBase: number
  readonly aborted: readonly AbortedTransaction[]
}

/** A stored batch kept in the tail cache: offsets [base, end), the bytes as written. */
export interface CachedBatch {
  readonly base: number
  readonly end: number
  readonly value: Buffer
}

/** Per partition: enough for a consumer that keeps up, small next to LevelDB's own caches. */
const TAIL_MAX_BYTES = 64 * 1024

export class PartitionLog implements TopicPartition {
  logStartOffset: number
  highWatermark: number
  nextOffset: number
  /** Base offset of the newest batch (-1: none); the cleaner never deletes that batch. */
  lastBatchBase: number
  /** The cleaner went over the offsets below this (0 after a restart: all dirty). */
  cleanedUpTo = 0
  /** Records the cleaner kept in its last pass (the "clean" part of Kafka's dirty ratio). */
  cleanRecords = 0
  /** The newest stored batches, contiguous (each starts where the previous ends). */
  private tail: CachedBatch[] = []
  private tailBytes = 0
  /** producerId -> first offset of its open transaction on this partition. */
  private readonly open = new Map<number, number>()
  /** producerId -> its aborted transactions here, in offset order. */
  private readonly aborted = new Map<number, AbortedTransaction[]>()

  constructor(
    readonly topic: string,
    readonly topicId: number,
    readonly partition: number,
    state: PartitionLogState,
  ) {
    this.logStartOffset = state.logStartOffset
    this.highWatermark = state.highWatermark
    this.nextOffset = state.highWatermark
    this.lastBatchBase = state.lastBatchBase
    for (const a of state.aborted) this.addAborted(a)
  }

  /** Hands out `count` consecutive offsets for a batch about to be queued. */
  allocate(count: number): number {
    const base = this.nextOffset
    this.nextOffset += count
    this.lastBatchBase = base
    return base
  }

  /** A stored batch ending at `end` (exclusive) became visible. */
  advanceHighWatermark(end: number): void {
    if (end > this.highWatermark) this.highWatermark = end
  }

  /** A batch at [base, end) was stored (called where the high watermark moves past it). */
  cacheBatch(base: number, end: number, value: Buffer): void {
    const last = this.tail[this.tail.length - 1]
    if (last !== undefined && last.end !== base) this.dropCachedBelow(Number.MAX_SAFE_INTEGER)
    this.tail.push({ base, end, value })
    this.tailBytes += value.length
    while (this.tailBytes > TAIL_MAX_BYTES && this.tail.length > 1) this.tailBytes -= this.tail.shift()!.value.length
  }

  /** Forgets cached batches that start below `offset` (the cleaner rewrote or deleted them). */
  dropCachedBelow(offset: number): void {
    while (this.tail.length > 0 && this.tail[0]!.base < offset) this.tailBytes -= this.tail.shift()!.value.length
  }

  /** The cached batches from the one holding `from` up to `to`, if the cache covers all of
   *  [from, to); otherwise undefined (read storage). */
  cachedRange(from: number, to: number): CachedBatch[] | undefined {
    const tail = this.tail
    if (tail.length === 0 || tail[0]!.base > from || tail[tail.length - 1]!.end < to) return undefined
    let i = tail.length - 1
    while (i > 0 && tail[i]!.base > from) i--
    const out: CachedBatch[] = []
    for (; i < tail.length && tail[i]!.base < to; i++) out.push(tail[i]!)
    return out
  }

  lastStableOffset(): number {
    let lso = this.highWatermark
    for (const first of this.open.values()) if (first < lso) lso = first
    return lso
  }

  endOffset(isolation: IsolationLevel): number {
    return isolation === 'read_committed' ? this.lastStableOffset() : this.highWatermark
  }

  /** Called when a transaction's first batch on this partition is allocated, before it is stored. */
  transactionStarted(producerId: number, firstOffset: number): void {
    if (!this.open.has(producerId)) this.open.set(producerId, firstOffset)
  }

  transactionEnded(producerId: number): void {
    this.open.delete(producerId)
  }

  openTransactionFirstOffset(producerId: number): number | undefined {
    return this.open.get(producerId)
  }

  addAborted(txn: AbortedTransaction): void {
    const list = this.aborted.get(txn.producerId)
    if (list === undefined) this.aborted.set(txn.producerId, [txn])
    else list.push(txn)
  }

  /** Whether the transactional batch of `producerId` at `offset` belongs to an aborted transaction. */
  isAborted(producerId: number, offset: number): boolean {
    const list = this.aborted.get(producerId)
    if (list === undefined) return false
    let lo = 0
    let hi = list.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      const t = list[mid]!
      if (offset < t.firstOffset) hi = mid - 1
      else if (offset > t.lastOffset) lo = mid + 1
      else return true
    }
    return false
  }

  /** Aborted transactions that end below `offset` (their records are all below it). */
  abortedBelow(offset: number): AbortedTransaction[] {
    const found: AbortedTransaction[] = []
    for (const list of this.aborted.values()) for (const t of list) if (t.lastOffset < offset) found.push(t)
    return found
  }

  /** Forgets aborted transactions ending below `offset`: readers skip batches below the log
   *  start before they look a batch up here (read-partition.ts). */
  dropAbortedBelow(offset: number): void {
    for (const [pid, list] of this.aborted) {
      const keep = list.filter((t) => t.lastOffset >= offset)
      if (keep.length === 0) this.aborted.delete(pid)
      else this.aborted.set(pid, keep)
    }
  }
}
