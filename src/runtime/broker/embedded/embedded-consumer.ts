/**
 * GroupConsumer on the embedded broker. Positions live here; the group (consumer-group.ts) decides
 * who owns what, and rebalance callbacks run inside poll() only. Records are fetched whole batches
 * at a time and the rest of a batch waits in a per-partition buffer for the next poll.
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
import { readPartition } from './read-partition'

/** Kafka's session.timeout.ms default. */
const DEFAULT_SESSION_TIMEOUT_MS = 45_000
/** Fetch at least this many records per partition read, to amortise storage round trips. */
const MIN_FETCH_RECORDS = 500

interface Fetched {
  readonly records: readonly BrokerRecord[]
  index: number
  /** Where reading resumes once the buffer is drained (past skipped markers and gaps). */
  readonly next: number
}

export class EmbeddedConsumer implements GroupConsumer {
  private readonly isolation: IsolationLevel
  private readonly group: ConsumerGroup
  private member: GroupMember | undefined
  private listener: RebalanceListener | undefined
  /** Next offset to hand out, per owned partition (absent: not yet initialised). */
  private readonly positions = new Map<string, number>()
  private readonly buffers = new Map<string, Fetched>()
  private readonly paused = new Set<string>()
  /** Bumped by seek() and ownership changes, so a fetch that raced one is dropped. */
  private generation = 0
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
    this.buffers.delete(key)
    this.generation++
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
    this.core.untrack(this)
    if (this.member !== undefined) this.group.leave(this.member)
    this.core.notifier.notify()
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
    const out: BrokerRecord[] = []
    const owned = [...member.owned.values()]
    const start = this.nextStart++
    for (let i = 0; i < owned.length && out.length < max; i++) {
      const tp = owned[(start + i) % owned.length]!
      const key = tpKey(tp)
      if (this.paused.has(key)) continue
      let buffer = this.buffers.get(key)
      if (buffer === undefined || buffer.index >= buffer.records.length) {
        const fetched = await this.read(tp, key, max - out.length)
        if (fetched === undefined || !member.owned.has(key)) continue
        buffer = fetched
      }
      const take = Math.min(max - out.length, buffer.records.length - buffer.index)
      for (let r = 0; r < take; r++) out.push(buffer.records[buffer.index + r]!)
      buffer.index += take
      const following = buffer.records[buffer.index]
      this.positions.set(key, following === undefined ? buffer.next : following.offset)
    }
    return out
  }

  /** Reads the partition from its position into its buffer; undefined if nothing to read. */
  private async read(tp: TopicPartition, key: string, wanted: number): Promise<Fetched | undefined> {
    const log = this.log(tp)
    if (log === undefined) return undefined
    const end = log.endOffset(this.isolation)
    // Wait for a transaction that is committing offsets here (its end notifies): see
    // TransactionCoordinator.hasPendingOffsets.
    if (!this.positions.has(key) && this.core.transactions.hasPendingOffsets(this.options.groupId, tp)) return undefined
    const from = this.position(key, tp, log)
    if (from >= end) return undefined
    const generation = this.generation
    const result = await readPartition(this.core.store, log, { from, to: end, isolation: this.isolation, maxRecords: Math.max(wanted, MIN_FETCH_RECORDS) })
    if (generation !== this.generation || this.positions.get(key) !== from) return undefined // seeked meanwhile
    const fetched: Fetched = { records: result.records, index: 0, next: result.next }
    this.buffers.set(key, fetched)
    return fetched
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
      this.buffers.delete(key)
      this.paused.delete(key)
    }
    this.generation++
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
