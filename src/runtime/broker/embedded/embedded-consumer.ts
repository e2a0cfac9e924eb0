/**
 * GroupConsumer on the embedded broker. Positions live here; the group (consumer-group.ts) decides
 * who owns what, and rebalance callbacks run inside poll() only. Records are fetched whole batches
 * at a time and the rest waits in a per-partition buffer for the next poll, as undecoded batches:
 * a batch is decoded when a poll first takes from it, so records read ahead do not sit in the heap
 * as objects (they would survive young-generation collections and be copied and promoted).
 *
 * A poll that finds a partition's buffer empty starts its read, and reads all such partitions at
 * once; it waits for them only if no partition has records buffered already, so reads still in
 * flight when it returns land in their buffers for the next poll. Per partition at most one read
 * is in flight. A seek, a revocation or a loss drops the partition's buffer and whatever read it
 * has in flight (its result is discarded). A read's end is fixed when it starts (high watermark,
 * or the LSO for read_committed). A paused partition keeps what it buffered and starts no read.
 *
 * No read is started in the background after a poll (Kafka's fetcher does that): reads a poll
 * leaves in flight already overlap the caller's processing, and on the benchmark machine reading
 * ahead after each poll as well measured 0.92-1.07x the throughput (benchmarks/README.md).
 */
import { StreamfoldError, TaskMigratedError } from '../../../errors'
import type {
  BrokerRecord,
  GroupConsumer,
  GroupConsumerOptions,
  IsolationLevel,
  RebalanceListener,
  TopicPartition,
  TopicPartitionOffset,
} from '../broker'
import type { BrokerCore } from './broker-core'
import { GroupMember, type ConsumerGroup } from './consumer-group'
import { tpKey } from './group-offsets'
import type { PartitionLog } from './partition-log'
import { readPartitionBatches, type FetchedBatch } from './read-partition'
import { decodeBatchInto, firstBatchOffset } from './record-batch'

/** Kafka's session.timeout.ms default. */
const DEFAULT_SESSION_TIMEOUT_MS = 45_000
/** Fetch at least this many records per partition read, to amortise storage round trips. */
const MIN_FETCH_RECORDS = 500

/** One fetched batch; decoded when a poll first reaches it (see readPartitionBatches). */
interface Chunk {
  readonly batch: FetchedBatch
  records: BrokerRecord[] | undefined
  index: number
}

/** One partition's fetch state; replaced (never reused) on seek and ownership changes, so a
 *  read that completes for a state no longer in the map is dropped. */
interface PartitionFetch {
  /** Fetched batches with records not yet handed out, in offset order. */
  readonly chunks: Chunk[]
  /** Records in `chunks` not yet handed out. */
  buffered: number
  /** Where the next read starts (past skipped markers and gaps of the reads so far). */
  cursor: number
  reading: Promise<void> | undefined
  /** A read failed after its poll returned: the next poll that reaches this partition throws it. */
  failure: unknown
}

export class EmbeddedConsumer implements GroupConsumer {
  private readonly isolation: IsolationLevel
  private readonly group: ConsumerGroup
  private member: GroupMember | undefined
  private listener: RebalanceListener | undefined
  /** Next offset to hand out, per owned partition (absent: not yet initialised). */
  private readonly positions = new Map<string, number>()
  private readonly fetches = new Map<string, PartitionFetch>()
  private readonly paused = new Set<string>()
  /** Records per read: the last poll's maxRecords (at least MIN_FETCH_RECORDS). */
  private fetchSize = MIN_FETCH_RECORDS
  private nextStart = 0
  private polling = false
  private closed = false

  constructor(
    private readonly core: BrokerCore,
    private readonly options: GroupConsumerOptions,
  ) {
    this.isolation = options.isolationLevel ?? 'read_uncommitted'
    this.group = core.groups.group(options.groupId)
  }

  async subscribe(topics: readonly string[], listener: RebalanceListener): Promise<void> {
    this.assertUsable()
    if (this.member !== undefined) throw new StreamfoldError('ILLEGAL_STATE', 'consumer is already subscribed')
    for (const topic of topics) this.core.logs.require(topic)
    this.listener = listener
    this.member = new GroupMember(this.options.clientId ?? 'consumer', new Set(topics), this.options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS)
    this.group.join(this.member)
    this.core.notifier.notify()
  }

  async poll(maxRecords: number, timeoutMs: number): Promise<BrokerRecord[]> {
    this.assertUsable()
    const member = this.member
    if (member === undefined) throw new StreamfoldError('ILLEGAL_STATE', 'poll() before subscribe()')
    if (this.polling) throw new StreamfoldError('ILLEGAL_STATE', 'poll() called while another poll() is running')
    this.polling = true
    member.polling = true
    const deadline = Date.now() + timeoutMs
    try {
      for (;;) {
        if (this.closed) return []
        this.core.assertOpen()
        if (this.group.expire(Date.now())) this.core.notifier.notify()
        await this.rebalance(member)
        const records = await this.fetch(member, Math.max(1, maxRecords))
        const left = deadline - Date.now()
        if (records.length > 0 || left <= 0 || this.closed) return records
        await this.core.notifier.wait(Math.min(left, this.group.nextExpiryIn(Date.now())))
      }
    } finally {
      this.polling = false
      member.polling = false
      member.lastSeen = Date.now()
    }
  }

  assignment(): TopicPartition[] {
    return this.member === undefined || this.member.lost ? [] : [...this.member.owned.values()]
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.paused.add(this.ownedKey(tp, 'pause'))
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.paused.delete(this.ownedKey(tp, 'resume'))
  }

  seek(position: TopicPartitionOffset): void {
    const key = this.ownedKey(position, 'seek')
    this.positions.set(key, position.offset)
    this.fetches.delete(key)
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    this.assertUsable()
    this.checkOwnership(offsets)
    await this.core.offsets.commit(this.options.groupId, offsets)
  }

  async committed(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    this.assertUsable()
    return this.core.offsets.committed(this.options.groupId, partitions)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const reads = [...this.fetches.values()].map((f) => f.reading)
    this.fetches.clear()
    if (this.member !== undefined) this.group.leave(this.member)
    this.core.notifier.notify()
    // Reads in flight must be over before the broker may close its store.
    await Promise.all(reads)
    this.core.untrack(this)
  }

  /** For sendOffsetsToTransaction: offsets only from a member that owns their partitions. */
  get groupId(): string {
    return this.options.groupId
  }

  /** Throws TASK_MIGRATED for offsets of partitions this member does not own (a zombie's
   *  commit), unless the group has no members at all (a standalone commit). */
  checkOwnership(offsets: readonly TopicPartition[]): void {
    const member = this.member
    if (member === undefined && this.group.size === 0) return
    for (const tp of offsets) {
      if (member === undefined || member.lost || !this.group.owns(member, tp)) {
        throw new TaskMigratedError(`consumer does not own the partition in group '${this.options.groupId}'`, { topic: tp.topic, partition: tp.partition })
      }
    }
  }

  /** Lost, revoked, then assigned partitions: each callback awaited before the next step. */
  private async rebalance(member: GroupMember): Promise<void> {
    const listener = this.listener!
    if (member.lost) {
      const lost = [...member.owned.values()]
      this.forget(lost)
      member.owned.clear()
      this.group.join(member)
      this.core.notifier.notify()
      if (lost.length > 0) await listener.onLost(lost)
    }
    const revoked = this.group.toRevoke(member)
    if (revoked.length > 0) {
      try {
        await listener.onRevoked(revoked)
      } finally {
        this.group.release(member, revoked)
        this.forget(revoked)
        this.core.notifier.notify()
      }
    }
    const assigned = this.group.claim(member)
    if (assigned.length > 0) await listener.onAssigned(assigned)
  }

  private async fetch(member: GroupMember, max: number): Promise<BrokerRecord[]> {
    this.fetchSize = Math.max(max, MIN_FETCH_RECORDS)
    const owned = [...member.owned.values()]
    // Partitions with nothing buffered read now, all at once. Unless some partition already has
    // records, wait for those reads (and for reads still in flight from earlier polls).
    const reads: Promise<void>[] = []
    let ready = false
    for (const tp of owned) {
      const key = tpKey(tp)
      if (this.paused.has(key)) continue
      const fetch = this.fetches.get(key)
      if (fetch !== undefined && fetch.buffered > 0) ready = true
      else if (fetch?.reading !== undefined) reads.push(fetch.reading)
      else if (fetch?.failure !== undefined) this.throwFailure(key, fetch)
      else {
        const reading = this.readNow(tp, key, fetch)
        if (reading !== undefined) reads.push(reading)
      }
    }
    if (!ready && reads.length > 0) await Promise.all(reads)

    const out: BrokerRecord[] = []
    const start = this.nextStart++
    for (let i = 0; i < owned.length && out.length < max; i++) {
      const tp = owned[(start + i) % owned.length]!
      const key = tpKey(tp)
      if (this.paused.has(key) || !member.owned.has(key)) continue
      const fetch = this.fetches.get(key)
      if (fetch === undefined) continue
      if (fetch.buffered === 0) {
        if (fetch.failure !== undefined) this.throwFailure(key, fetch)
        continue
      }
      while (out.length < max && fetch.chunks.length > 0) {
        const chunk = fetch.chunks[0]!
        const records = decoded(chunk)
        const take = Math.min(max - out.length, records.length - chunk.index)
        for (let r = 0; r < take; r++) out.push(records[chunk.index + r]!)
        chunk.index += take
        fetch.buffered -= take
        if (chunk.index >= records.length) fetch.chunks.shift()
      }
      const head = fetch.chunks[0]
      this.positions.set(key, head === undefined ? fetch.cursor : nextOffset(head))
    }

    return out
  }

  /** Starts a read for a partition with nothing buffered and no read in flight: from its position
   *  (initialised or reset here). Undefined if there is nothing to read. */
  private readNow(tp: TopicPartition, key: string, previous: PartitionFetch | undefined): Promise<void> | undefined {
    const log = this.log(tp)
    if (log === undefined) return undefined
    const end = log.endOffset(this.isolation)
    // Wait for a transaction that is committing offsets here (its end notifies): see
    // TransactionCoordinator.hasPendingOffsets.
    if (!this.positions.has(key) && this.core.transactions.hasPendingOffsets(this.options.groupId, tp)) return undefined
    const from = this.position(key, tp, log)
    let fetch = previous
    if (fetch === undefined || fetch.cursor !== from) {
      fetch = { chunks: [], buffered: 0, cursor: from, reading: undefined, failure: undefined }
      this.fetches.set(key, fetch)
    }
    if (from >= end) return undefined
    return this.startRead(key, fetch, log, end, this.fetchSize)
  }

  private startRead(key: string, fetch: PartitionFetch, log: PartitionLog, end: number, wanted: number): Promise<void> {
    // Not awaited by every poll: the result lands in the partition's buffer, unless the partition
    // was seeked, revoked or lost meanwhile (its fetch state replaced).
    const read = readPartitionBatches(this.core.store, log, { from: fetch.cursor, to: end, isolation: this.isolation, maxRecords: wanted })
    const reading = read.then(
      (result) => {
        if (this.fetches.get(key) !== fetch) return // seeked, revoked or closed meanwhile
        fetch.reading = undefined
        fetch.cursor = result.next
        if (result.count > 0) {
          for (const batch of result.batches) fetch.chunks.push({ batch, records: undefined, index: 0 })
          fetch.buffered += result.count
        } else if (fetch.buffered === 0) {
          this.positions.set(key, result.next)
        }
      },
      (error: unknown) => {
        if (this.fetches.get(key) !== fetch) return
        fetch.reading = undefined
        fetch.failure = error
      },
    )
    fetch.reading = reading
    return reading
  }

  private throwFailure(key: string, fetch: PartitionFetch): never {
    // The next poll reads again from the position.
    this.fetches.delete(key)
    throw fetch.failure
  }

  /** The position, initialised from the committed offset or `autoOffsetReset` and reset when
   *  out of range (below the log start after retention, or past the end). */
  private position(key: string, tp: TopicPartition, log: PartitionLog): number {
    let position = this.positions.get(key)
    if (position === undefined) position = this.core.offsets.get(this.options.groupId, tp)
    if (position === undefined || position < log.logStartOffset || position > log.highWatermark) {
      position = (this.options.autoOffsetReset ?? 'latest') === 'earliest' ? log.logStartOffset : log.endOffset(this.isolation)
    }
    this.positions.set(key, position)
    return position
  }

  private log(tp: TopicPartition): PartitionLog | undefined {
    return this.core.logs.topic(tp.topic)?.partitions[tp.partition]
  }

  private forget(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      const key = tpKey(tp)
      this.positions.delete(key)
      this.fetches.delete(key)
      this.paused.delete(key)
    }
  }

  private ownedKey(tp: TopicPartition, operation: string): string {
    const key = tpKey(tp)
    if (this.member === undefined || !this.member.owned.has(key)) {
      throw new StreamfoldError('ILLEGAL_STATE', `cannot ${operation} a partition that is not assigned to this consumer`, { topic: tp.topic, partition: tp.partition })
    }
    return key
  }

  private assertUsable(): void {
    if (this.closed) throw new StreamfoldError('ILLEGAL_STATE', 'consumer is closed')
    this.core.assertOpen()
  }
}

/** The chunk's records, decoded on first use. */
function decoded(chunk: Chunk): BrokerRecord[] {
  if (chunk.records === undefined) {
    const records: BrokerRecord[] = []
    decodeBatchInto(chunk.batch.bytes, chunk.batch.slice, records)
    chunk.records = records
  }
  return chunk.records
}

/** The offset of the chunk's next record, without decoding a chunk not reached yet. */
function nextOffset(chunk: Chunk): number {
  return chunk.records === undefined ? firstBatchOffset(chunk.batch.bytes, chunk.batch.slice) : chunk.records[chunk.index]!.offset
}
