/**
 * The commit protocol, top to bottom (DESIGN.md §5, docs/commit-protocol.md). One producer per app
 * instance; every task's state lives in its own LevelDB, written in ONE batch per commit.
 *
 * exactly_once (Kafka Streams' EOS v2): output records were sent inside the open transaction.
 *   1. per dirty task: prepareCommit(consumed offsets) freezes its write buffers; its changelog
 *      records are sent in the transaction.
 *      crash window: transaction open; the broker aborts it (the restarted instance's producer
 *      fences it at once, same transactional id); LevelDB untouched. Nothing visible happened.
 *   2. sendOffsetsToTransaction(consumed offsets) + commitTransaction: THE POINT OF NO RETURN.
 *      crash window: same as 1 until the commit lands; after it, output, changelog and offsets
 *      are committed together while LevelDB is still at the previous commit (window 2-3).
 *   3. per task, one LevelDB batch: state + changelog end offsets + applied offsets.
 *      crash window 2-3: start-up restores from the stored changelog position to the end,
 *      applying the committed records (their `__src` offsets are now committed): healed.
 *   4. begin the next transaction.
 *      crash window 3-4: nothing is pending.
 *   Failure before 2 completes: abort the transaction, discard every dirty task's stores, rewind
 *   the consumer to the committed offsets and drop queued records: state rolls back to the last
 *   commit and the input is read again. Failure in 3: that task's LevelDB stays at the previous
 *   commit (the batch is atomic); it is reopened and restored, as after a crash in 2-3.
 *
 * at_least_once:
 *   1. per dirty task: prepareCommit; changelog records sent.
 *      crash window: output and changelog records may be written; restore skips the changelog
 *      records (their `__src` offsets are not committed); input is re-read: output duplicates.
 *   2. producer flush: every output and changelog record is acknowledged.
 *      crash window 2-3: as 1.
 *   3. per task, one LevelDB batch: state + changelog end offsets + applied offsets.
 *      crash window 3-4: input is re-read from the group's older offsets, and the applied-offset
 *      watermark drops every record whose effects are in the state: no update counted twice.
 *   4. consumer offset commit.
 *   Failure anywhere: discard what was not written, rewind to the group's committed offsets and
 *   re-read; tasks whose LevelDB write failed are reopened and restored.
 */
import { StreamfoldError } from '../errors'
import type { Logger } from '../logger'
import type { ActiveTask } from './app/active-task'
import type { ProducerCollector } from './app/producer-collector'
import type { BrokerAdmin, BrokerProducer, GroupConsumer, TopicPartition, TopicPartitionOffset } from './broker/broker'
import type { StreamsMetrics } from './observability/streams-metrics'
import type { CommitFaults, ProcessingGuarantee } from './streams-config'
import { loggableError } from './app/loggable-error'

export type CommitOutcome =
  | { readonly ok: true; readonly committed: number }
  /** `corrupted`: tasks whose local state missed a commit and must be reopened and restored. */
  | { readonly ok: false; readonly error: unknown; readonly corrupted: readonly ActiveTask[] }

export interface CheckpointOptions {
  readonly guarantee: ProcessingGuarantee
  readonly consumer: GroupConsumer
  readonly admin: BrokerAdmin
  /** A connected producer (transactional for exactly_once); called again to replace a fenced one. */
  readonly createProducer: () => Promise<BrokerProducer>
  readonly collector: ProducerCollector
  readonly logger: Logger
  readonly metrics?: StreamsMetrics
  readonly faults?: CommitFaults
}

interface Prepared {
  readonly task: ActiveTask
  readonly offsets: readonly TopicPartitionOffset[]
}

export class Checkpoint {
  private producer: BrokerProducer
  private inTransaction = false
  /** The group's committed offset of every owned input partition (where a rewind goes). */
  private readonly committedOffsets = new Map<string, number>()

  private constructor(
    private readonly options: CheckpointOptions,
    producer: BrokerProducer,
  ) {
    this.producer = producer
    options.collector.use(producer)
  }

  static async create(options: CheckpointOptions): Promise<Checkpoint> {
    return new Checkpoint(options, await options.createProducer())
  }

  private get exactlyOnce(): boolean {
    return this.options.guarantee === 'exactly_once'
  }

  /** Records where the group stands for newly assigned partitions. */
  noteCommitted(offsets: readonly TopicPartitionOffset[]): void {
    for (const o of offsets) this.committedOffsets.set(key(o), o.offset)
  }

  committed(tp: TopicPartition): number | undefined {
    return this.committedOffsets.get(key(tp))
  }

  forget(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.committedOffsets.delete(key(tp))
  }

  /** exactly_once: records may only be processed inside a transaction (step 4, or after a rollback). */
  async ensureTransaction(): Promise<void> {
    if (!this.exactlyOnce || this.inTransaction) return
    await this.producer.beginTransaction()
    this.inTransaction = true
  }

  /** Commits every dirty task. Never throws: a failure is rolled back and reported. */
  async commit(tasks: readonly ActiveTask[]): Promise<CommitOutcome> {
    const dirty = tasks.filter((t) => t.running && t.dirty)
    if (dirty.length === 0) return { ok: true, committed: 0 }
    const started = performance.now()
    const outcome = this.exactlyOnce ? await this.commitExactlyOnce(dirty) : await this.commitAtLeastOnce(dirty)
    const durationMs = performance.now() - started
    this.options.metrics?.commitCompleted(durationMs, outcome.ok)
    this.options.logger.debug({ tasks: dirty.length, ok: outcome.ok, durationMs: Math.round(durationMs) }, 'commit')
    return outcome
  }

  private async commitExactlyOnce(dirty: readonly ActiveTask[]): Promise<CommitOutcome> {
    const prepared: Prepared[] = []
    const offsets: TopicPartitionOffset[] = []
    try {
      this.step(1)
      for (const task of dirty) prepared.push(this.prepare(task, offsets))
      this.step(2)
      if (offsets.length > 0) await this.producer.sendOffsetsToTransaction(offsets, this.options.consumer)
      await this.producer.commitTransaction()
      this.inTransaction = false
    } catch (error) {
      await this.rollBack(dirty)
      return { ok: false, error, corrupted: [] }
    }
    // Past the point of no return: from here a failure never undoes the commit.
    this.noteCommitted(offsets)
    const written = await this.writeState(prepared)
    try {
      this.step(4)
      await this.ensureTransaction()
    } catch (error) {
      return { ok: false, error: written.error ?? error, corrupted: written.corrupted }
    }
    return written.error === undefined ? { ok: true, committed: dirty.length } : { ok: false, error: written.error, corrupted: written.corrupted }
  }

  private async commitAtLeastOnce(dirty: readonly ActiveTask[]): Promise<CommitOutcome> {
    const prepared: Prepared[] = []
    const offsets: TopicPartitionOffset[] = []
    let corrupted: readonly ActiveTask[] = []
    try {
      this.step(1)
      for (const task of dirty) prepared.push(this.prepare(task, offsets))
      this.step(2)
      await this.producer.flush()
      const written = await this.writeState(prepared)
      corrupted = written.corrupted
      if (written.error !== undefined) throw written.error
      this.step(4)
      await this.options.consumer.commit(offsets)
    } catch (error) {
      await this.rollBack(dirty.filter((t) => !corrupted.includes(t)))
      return { ok: false, error, corrupted }
    }
    this.noteCommitted(offsets)
    return { ok: true, committed: dirty.length }
  }

  /** Step 1 for one task: freeze its buffers, send its changelog records. */
  private prepare(task: ActiveTask, all: TopicPartitionOffset[]): Prepared {
    const offsets = task.commitOffsets()
    const { changelogRecords } = task.stores.prepareCommit(offsets)
    for (const record of changelogRecords) this.producer.send(record)
    for (const o of offsets) all.push(o)
    return { task, offsets }
  }

  /** Step 3: each task's one LevelDB batch. A task whose batch failed is reported corrupted. */
  private async writeState(prepared: readonly Prepared[]): Promise<{ corrupted: ActiveTask[]; error: unknown }> {
    try {
      this.step(3)
    } catch (error) {
      for (const { task } of prepared) task.stores.discard()
      return { corrupted: prepared.map((p) => p.task), error }
    }
    // Safe if unavailable: a stored position lower than the truth only makes a restore re-read.
    const changelogEndOffsets = await this.options.admin.endOffsets(prepared.flatMap((p) => p.task.stores.changelogPartitions())).catch((error: unknown) => {
      this.options.logger.warn({ err: loggableError(error) }, 'changelog end offsets unavailable; stores keep their previous positions')
      return []
    })
    const corrupted: ActiveTask[] = []
    let failure: unknown
    // One LevelDB per task: the batches are independent, so they are written concurrently (each
    // task's commit is still one atomic batch, and a failure still marks only its own task).
    const results = await Promise.allSettled(prepared.map(({ task, offsets }) => task.stores.commit({ changelogEndOffsets, appliedOffsets: offsets })))
    results.forEach((result, i) => {
      const { task } = prepared[i]!
      if (result.status === 'fulfilled') {
        task.dirty = false
      } else {
        corrupted.push(task)
        failure ??= result.reason
      }
    })
    return { corrupted, error: failure }
  }

  /**
   * Undoes everything since the last commit for `tasks`: aborts the transaction (exactly_once),
   * discards their stores' buffers, gives them fresh processors and rewinds their partitions to
   * the committed offsets, so the input is read again.
   */
  async rollBack(tasks: readonly ActiveTask[]): Promise<void> {
    if (this.exactlyOnce && this.inTransaction) {
      this.inTransaction = false
      try {
        await this.producer.abortTransaction()
      } catch (error) {
        // Fenced or broken: a new producer with the same transactional id aborts what is open.
        this.options.logger.warn({ err: loggableError(error) }, 'aborting the transaction failed; replacing the producer')
        await this.replaceProducer()
      }
    }
    for (const task of tasks) {
      if (!task.running) continue
      task.revive()
      this.rewind(task.inputs)
    }
  }

  /** Seeks partitions back to the committed offsets (after a rollback, or for a reopened task). */
  rewind(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      const offset = this.committed(tp)
      if (offset === undefined) continue
      try {
        this.options.consumer.seek({ topic: tp.topic, partition: tp.partition, offset })
      } catch (error) {
        this.options.logger.warn({ topic: tp.topic, partition: tp.partition, err: loggableError(error) }, 'rewind failed; the partition is no longer assigned')
      }
    }
  }

  /** Closes the producer; an open (empty or uncommitted) transaction is aborted. */
  async close(): Promise<void> {
    this.inTransaction = false
    await this.producer.close()
  }

  private async replaceProducer(): Promise<void> {
    await this.producer.close().catch(() => undefined)
    this.producer = await this.options.createProducer()
    this.options.collector.use(this.producer)
  }

  private step(step: number): void {
    this.options.faults?.beforeStep?.(step, this.options.guarantee)
  }
}

function key(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`
}

export function commitFailed(outcome: Extract<CommitOutcome, { ok: false }>): StreamfoldError {
  const cause = outcome.error
  if (cause instanceof StreamfoldError) return cause
  return new StreamfoldError('TRANSACTION_FAILED', `commit failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
}
