/**
 * Transactions, broker side (Kafka's transaction coordinator). One entry per transactional id:
 *
 *                 initProducer(): new epoch; an open transaction of the old epoch is aborted
 *     (unknown) ───────────────────────────────▶ EMPTY ◀─────────────────────────┐
 *                                                  │ first batch on a partition,  │ end(commit | abort):
 *                                                  │ or offsets sent              │ markers + index/offsets
 *                                                  ▼                              │ + entry, ONE write
 *                                               ONGOING ──────────────────────────┘
 *
 * - A batch of an ONGOING transaction is stored (read_uncommitted sees it) but holds its
 *   partition's LSO down, so read_committed readers stop before it.
 * - Commit writes a COMMIT marker on each partition, the group offsets sent to the transaction
 *   and the EMPTY entry in one atomic write; abort writes ABORT markers, aborted-index entries
 *   and the EMPTY entry. Markers occupy one offset each, as in Kafka.
 * - The entry lists the partitions an open transaction wrote to (stored with its first batch
 *   there), so opening a data directory after a crash aborts every ONGOING transaction.
 * - A producer holding an older epoch is fenced: each of its calls fails with TASK_MIGRATED.
 * - A transaction open longer than the transaction timeout is aborted and its producer fenced
 *   (Kafka's transaction.timeout.ms), so a hung producer cannot hold read_committed back forever.
 */
import { StreamfoldError, TaskMigratedError } from '../../../errors'
import type { TopicPartitionOffset } from '../broker'
import type { GroupOffsets } from './group-offsets'
import { getValue, scanAll, type KvOp, type KvStore } from './kv-store'
import type { AppendEntry, LogManager } from './log-manager'
import type { Notifier } from './notifier'
import type { PartitionLog } from './partition-log'
import { BATCH_COMMIT, BATCH_CONTROL, BATCH_TRANSACTIONAL, encodeBatch } from './record-batch'
import { decodeOffset, encodeAborted, encodeOffset, storageKeys } from './storage-keys'
import type { WritePipeline } from './write-pipeline'

export interface ProducerIdentity {
  readonly transactionalId: string
  readonly producerId: number
  readonly epoch: number
}

interface TransactionEntry {
  readonly producerId: number
  epoch: number
  /** Partitions the open transaction wrote to -> first offset there. */
  readonly partitions: Map<PartitionLog, number>
  /** Offsets sent to the open transaction, per group (stored only by a commit). */
  offsets: Map<string, TopicPartitionOffset[]>
  /** A commit or abort is being written: no new batches until it is done. */
  ending: boolean
  /** When the open transaction first wrote or sent offsets (undefined: EMPTY). */
  startedAt: number | undefined
}

interface StoredEntry {
  readonly producerId: number
  readonly epoch: number
  readonly partitions: readonly (readonly [topic: string, topicId: number, partition: number, firstOffset: number])[]
}

export interface TransactionCoordinatorDeps {
  readonly logs: LogManager
  readonly offsets: GroupOffsets
  readonly pipeline: WritePipeline
  readonly notifier: Notifier
}

const NEXT_PRODUCER_ID = 'nextProducerId'

export class TransactionCoordinator {
  private readonly entries = new Map<string, TransactionEntry>()
  /** Offsets of transactions whose commit or abort is being written: still pending. */
  private readonly settling = new Set<Map<string, TopicPartitionOffset[]>>()

  private readonly logs: LogManager
  private readonly offsets: GroupOffsets
  private readonly pipeline: WritePipeline
  private readonly notifier: Notifier
  /** Transactions a crash had left open, aborted when this coordinator was opened. */
  recoveredAborts = 0

  private constructor(deps: TransactionCoordinatorDeps, private nextProducerId: number) {
    this.logs = deps.logs
    this.offsets = deps.offsets
    this.pipeline = deps.pipeline
    this.notifier = deps.notifier
  }

  /** Loads every transactional id and aborts the transactions a crash left open. */
  static async open(store: KvStore, deps: TransactionCoordinatorDeps): Promise<TransactionCoordinator> {
    const next = await getValue(store, storageKeys.meta(NEXT_PRODUCER_ID))
    const coordinator = new TransactionCoordinator(deps, next === undefined ? 1 : decodeOffset(next))
    const ops: KvOp[] = []
    const effects: (() => void)[] = []
    await scanAll(store, storageKeys.transactionRange(), (key, value) => {
      const stored = JSON.parse(value.toString('utf8')) as StoredEntry
      const entry: TransactionEntry = { producerId: stored.producerId, epoch: stored.epoch, partitions: new Map(), offsets: new Map(), ending: false, startedAt: undefined }
      for (const [topic, topicId, partition, first] of stored.partitions) {
        const found = deps.logs.topic(topic)
        const log = found?.id === topicId ? found.partitions[partition] : undefined
        if (log === undefined) continue // topic deleted since: nothing left to abort
        log.transactionStarted(entry.producerId, first)
        entry.partitions.set(log, first)
      }
      const transactionalId = key.toString('utf8', 1)
      coordinator.entries.set(transactionalId, entry)
      if (entry.partitions.size === 0) return
      effects.push(coordinator.endOps(transactionalId, entry, false, ops))
      coordinator.recoveredAborts++
    })
    if (ops.length > 0) await deps.pipeline.submit(ops, { acknowledged: true, onDurable: () => effects.forEach((e) => e()) })
    return coordinator
  }

  /** Starts a new epoch for `transactionalId`, fencing older producers and aborting their open
   *  transaction. Resolves once stored. */
  async initProducer(transactionalId: string): Promise<ProducerIdentity> {
    let entry = this.entries.get(transactionalId)
    const ops: KvOp[] = []
    let effect: (() => void) | undefined
    if (entry === undefined) {
      entry = { producerId: this.nextProducerId++, epoch: 0, partitions: new Map(), offsets: new Map(), ending: false, startedAt: undefined }
      this.entries.set(transactionalId, entry)
      ops.push({ type: 'put', key: storageKeys.meta(NEXT_PRODUCER_ID), value: encodeOffset(this.nextProducerId) })
    } else {
      entry.epoch++
      if (entry.partitions.size > 0 || entry.offsets.size > 0) effect = this.endOps(transactionalId, entry, false, ops)
    }
    ops.push(this.entryOp(transactionalId, entry))
    const identity = { transactionalId, producerId: entry.producerId, epoch: entry.epoch }
    await this.pipeline.submit(ops, { acknowledged: true, onDurable: effect })
    return identity
  }

  /** Throws TASK_MIGRATED unless `producer` holds the current epoch of its transactional id. */
  checkCurrent(producer: ProducerIdentity): void {
    const entry = this.entries.get(producer.transactionalId)
    if (entry === undefined || entry.epoch !== producer.epoch) {
      throw new TaskMigratedError(`transactional producer '${producer.transactionalId}' was fenced by a newer instance`)
    }
  }

  /** Appends batches inside the producer's open transaction. */
  append(producer: ProducerIdentity, entries: readonly AppendEntry[], acknowledged: boolean): Promise<void> {
    const entry = this.current(producer)
    let added = false
    for (const e of entries) {
      if (e.records.length === 0 || entry.partitions.has(e.log)) continue
      // The batch about to be queued is this transaction's first on the partition.
      entry.partitions.set(e.log, e.log.nextOffset)
      entry.startedAt ??= Date.now()
      added = true
    }
    // A new partition is stored with the batch itself, so recovery knows where to put markers.
    const extraOps = added ? [this.entryOp(producer.transactionalId, entry)] : []
    const tagged = entries.map((e) => ({ ...e, producerId: entry.producerId }))
    return this.logs.append(tagged, { acknowledged, extraOps })
  }

  addOffsets(producer: ProducerIdentity, groupId: string, offsets: readonly TopicPartitionOffset[]): void {
    const entry = this.current(producer)
    entry.startedAt ??= Date.now()
    const list = entry.offsets.get(groupId) ?? []
    for (const o of offsets) list.push({ topic: o.topic, partition: o.partition, offset: o.offset })
    entry.offsets.set(groupId, list)
  }

  /**
   * Whether an open (or ending) transaction holds offsets of `groupId` for this partition. A
   * member taking the partition over must wait before reading its committed offset (Kafka's
   * require_stable offset fetch, KIP-447): else a zombie's transaction committing after the
   * hand-over would make the new owner process the same records again.
   */
  hasPendingOffsets(groupId: string, tp: { readonly topic: string; readonly partition: number }): boolean {
    const holds = (offsets: Map<string, TopicPartitionOffset[]>): boolean =>
      offsets.get(groupId)?.some((o) => o.topic === tp.topic && o.partition === tp.partition) ?? false
    for (const entry of this.entries.values()) if (holds(entry.offsets)) return true
    for (const offsets of this.settling) if (holds(offsets)) return true
    return false
  }

  /** Commits or aborts the open transaction (a no-op write if it touched nothing). */
  async end(producer: ProducerIdentity, commit: boolean): Promise<void> {
    const entry = this.current(producer)
    const ops: KvOp[] = []
    const effect = this.endOps(producer.transactionalId, entry, commit, ops)
    entry.ending = true
    try {
      await this.pipeline.submit(ops, { acknowledged: true, onDurable: effect })
    } finally {
      entry.ending = false
    }
  }

  /** Aborts the transactions open for longer than `timeoutMs` and fences their producers. */
  async abortExpired(now: number, timeoutMs: number): Promise<string[]> {
    const ops: KvOp[] = []
    const effects: (() => void)[] = []
    const expired: string[] = []
    for (const [transactionalId, entry] of this.entries) {
      if (entry.ending || entry.startedAt === undefined || now - entry.startedAt <= timeoutMs) continue
      entry.epoch++
      effects.push(this.endOps(transactionalId, entry, false, ops))
      expired.push(transactionalId)
    }
    if (ops.length > 0) await this.pipeline.submit(ops, { acknowledged: true, onDurable: () => effects.forEach((e) => e()) })
    return expired
  }

  /**
   * Builds the one write that ends a transaction (markers, aborted index or group offsets, the
   * EMPTY entry), resets the entry in memory, and returns what to do once that write is stored.
   */
  private endOps(transactionalId: string, entry: TransactionEntry, commit: boolean, ops: KvOp[]): () => void {
    const { producerId } = entry
    const ended: { log: PartitionLog; first: number; marker: number; value: Buffer }[] = []
    const attributes = BATCH_CONTROL | BATCH_TRANSACTIONAL | (commit ? BATCH_COMMIT : 0)
    for (const [log, first] of entry.partitions) {
      if (this.logs.topic(log.topic)?.id !== log.topicId) continue // deleted meanwhile
      const marker = log.allocate(1)
      const value = encodeBatch({ attributes, producerId, lastOffsetDelta: 0, cleanedAt: 0 }, [])
      ops.push({ type: 'put', key: storageKeys.log(log.topicId, log.partition, marker), value })
      if (!commit) ops.push({ type: 'put', key: storageKeys.aborted(log.topicId, log.partition, marker), value: encodeAborted({ producerId, firstOffset: first }) })
      ended.push({ log, first, marker, value })
    }
    const sent = entry.offsets
    const groups = commit ? [...sent] : []
    for (const [groupId, offsets] of groups) ops.push(...this.offsets.ops(groupId, offsets))
    entry.partitions.clear()
    entry.offsets = new Map()
    entry.startedAt = undefined
    if (sent.size > 0) this.settling.add(sent)
    ops.push(this.entryOp(transactionalId, entry))
    return () => {
      for (const { log, first, marker, value } of ended) {
        if (!commit) log.addAborted({ producerId, firstOffset: first, lastOffset: marker })
        log.transactionEnded(producerId)
        log.cacheBatch(marker, marker + 1, value)
        log.advanceHighWatermark(marker + 1)
      }
      for (const [groupId, offsets] of groups) this.offsets.apply(groupId, offsets)
      this.settling.delete(sent)
      this.notifier.notify()
    }
  }

  private current(producer: ProducerIdentity): TransactionEntry {
    this.checkCurrent(producer)
    const entry = this.entries.get(producer.transactionalId)!
    if (entry.ending) throw new StreamfoldError('ILLEGAL_STATE', `transaction of '${producer.transactionalId}' is being committed or aborted`)
    return entry
  }

  private entryOp(transactionalId: string, entry: TransactionEntry): KvOp {
    const stored: StoredEntry = {
      producerId: entry.producerId,
      epoch: entry.epoch,
      partitions: [...entry.partitions].map(([log, first]) => [log.topic, log.topicId, log.partition, first] as const),
    }
    return { type: 'put', key: storageKeys.transaction(transactionalId), value: Buffer.from(JSON.stringify(stored), 'utf8') }
  }
}
