/**
 * The commit protocol, top to bottom (DESIGN.md §5, docs/commit-protocol.md). One producer per app
 * instance; every task's state lives in its own LevelDB, written in ONE batch per commit.
 *
 * exactly_once (Kafka Streams' EOS v2): output records were sent inside the open transaction.
 *   1. per dirty task: cached aggregations forward what they held back (their outputs join the
 *      transaction; TaskManager has done it already in the loop's turn, this is the backstop);
 *      prepareCommit(consumed offsets) freezes its write buffers; its changelog records are sent
 *      in the transaction.
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
 *   1. per dirty task: cached aggregations forward; prepareCommit; changelog records sent.
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
 *
 *   In the background (`startCommit`, what the processing loop uses): step 1 runs at once, steps
 *   2-4 run while the loop keeps processing. Writes made meanwhile go to the stores' next buffers
 *   (TaskStores: "writes made from now on belong to the next transaction") and mark their tasks
 *   dirty again; their outputs may be in the flush (harmless: flushing more never breaks the
 *   order "acknowledged before offsets"). Every other entry point (commit, startCommit, rollBack,
 *   close) first waits for the background commit. A background failure is not acted on where it
 *   happens: it is kept, and `settle` (called by the loop before it processes again, or by the
 *   next commit) rolls back every task of that commit and every task dirtied since, in the
 *   caller's turn, so no record is processed against discarded state.
 *   Crash windows are those above, plus records processed after step 1 whose outputs were sent:
 *   they are re-read on restart (duplicates, as at_least_once allows); the applied-offset
 *   watermark in the same batch keeps the state exact.
 */
import { StreamfoldError } from '../errors'
import type { Logger } from '../logger'
import type { ActiveTask } from './app/active-task'
import type { ProducerCollector } from './app/producer-collector'
import type { BrokerAdmin, BrokerProducer, GroupConsumer, TopicPartition, TopicPartitionOffset } from './broker/broker'
import type { StreamsMetrics } from './observability/streams-metrics'
import type { CommitFaults, ProcessingGuarantee } from './streams-config'
import { loggableError } from './app/loggable-error'
import { partitionKey } from './partition-key'

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

/** What step 1 hands to the later steps. */
interface Step1 {
  readonly prepared: readonly Prepared[]
  readonly offsets: readonly TopicPartitionOffset[]
}

/** An at_least_once commit whose steps 2-4 are running (or ended, not yet settled). */
interface BackgroundCommit {
  readonly tasks: readonly ActiveTask[]
  readonly done: Promise<void>
  outcome?: CommitOutcome
}

/** Milliseconds spent in each step of the last commit (for the debug line and the benchmarks). */
interface StepTimes {
  prepare: number
  produce: number
  state: number
  offsets: number
}

export class Checkpoint {
  private producer: BrokerProducer
  private times: StepTimes = { prepare: 0, produce: 0, state: 0, offsets: 0 }
  private background: BackgroundCommit | undefined
  /** A task's state write of the running commit failed (its stores dropped their buffers). */
  private stateWriteFailed = false
  /** Partitions sought back since `takeRewound` was last called. */
  private rewound = new Set<string>()
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
    for (const o of offsets) this.committedOffsets.set(partitionKey(o), o.offset)
  }

  committed(tp: TopicPartition): number | undefined {
    return this.committedOffsets.get(partitionKey(tp))
  }

  forget(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.committedOffsets.delete(partitionKey(tp))
  }

  /** exactly_once: records may only be processed inside a transaction (step 4, or after a rollback). */
  async ensureTransaction(): Promise<void> {
    if (!this.exactlyOnce || this.inTransaction) return
    await this.producer.beginTransaction()
    this.inTransaction = true
  }

  /**
   * Commits every dirty task and returns once it is durable. Never throws: a failure is rolled back
   * and reported. A failed background commit is settled first and reported instead.
   */
  async commit(tasks: readonly ActiveTask[]): Promise<CommitOutcome> {
    const previous = await this.settle(tasks)
    if (previous !== undefined && !previous.ok) return previous
    const dirty = tasks.filter((t) => t.running && t.dirty)
    if (dirty.length === 0) return { ok: true, committed: 0 }
    const started = this.startTimes()
    const outcome = this.exactlyOnce ? await this.commitExactlyOnce(dirty) : await this.commitAtLeastOnce(dirty)
    this.report(started, dirty.length, outcome)
    return outcome
  }

  /**
   * The processing loop's commit. exactly_once: `commit`. at_least_once: waits for the previous
   * background commit, runs step 1 now and steps 2-4 in the background (see the header). Returns
   * the outcome of what ended here (the previous background commit, or a failed step 1), or
   * undefined when nothing did.
   */
  async startCommit(tasks: readonly ActiveTask[]): Promise<CommitOutcome | undefined> {
    if (this.exactlyOnce) return this.commit(tasks)
    const previous = await this.settle(tasks)
    if (previous !== undefined && !previous.ok) return previous
    const dirty = tasks.filter((t) => t.running && t.dirty)
    if (dirty.length === 0) return previous
    const started = this.startTimes()
    let step1: Step1
    try {
      step1 = this.prepareAll(dirty)
    } catch (error) {
      await this.rollBack(dirty)
      const outcome: CommitOutcome = { ok: false, error, corrupted: [] }
      this.report(started, dirty.length, outcome)
      return outcome
    }
    const { prepared, offsets } = step1
    const background: BackgroundCommit = {
      tasks: dirty,
      done: this.finishAtLeastOnce(prepared, offsets, true).then((outcome) => {
        background.outcome = outcome
        this.report(started, dirty.length, outcome)
      }),
    }
    this.background = background
    return previous
  }

  /**
   * True once a background commit has failed and is waiting for `settle` (or `commit`). A failed
   * state write counts from the moment the store dropped its buffers, before the commit's outcome
   * is known: no record may be processed against those stores.
   */
  get backgroundFailed(): boolean {
    return this.background !== undefined && (this.background.outcome?.ok === false || this.stateWriteFailed)
  }

  /**
   * Waits for the background commit, if any. On failure, rolls back its tasks and every task of
   * `tasks` dirtied since (their changes were made on top of it) and returns the failure, for the
   * caller to handle like any failed commit.
   */
  async settle(tasks: readonly ActiveTask[]): Promise<CommitOutcome | undefined> {
    const background = this.background
    if (background === undefined) return undefined
    await background.done
    this.background = undefined
    this.stateWriteFailed = false
    const outcome = background.outcome!
    if (!outcome.ok) {
      const affected = tasks.filter((t) => t.running && (t.dirty || background.tasks.includes(t)) && !outcome.corrupted.includes(t))
      await this.rollBack(affected)
    }
    return outcome
  }

  private async commitExactlyOnce(dirty: readonly ActiveTask[]): Promise<CommitOutcome> {
    let step1: Step1
    try {
      step1 = this.prepareAll(dirty)
      const t = performance.now()
      this.step(2)
      if (step1.offsets.length > 0) await this.producer.sendOffsetsToTransaction(step1.offsets, this.options.consumer)
      await this.producer.commitTransaction()
      this.lap('produce', t)
      this.inTransaction = false
    } catch (error) {
      await this.rollBack(dirty)
      return { ok: false, error, corrupted: [] }
    }
    // Past the point of no return: from here a failure never undoes the commit.
    this.noteCommitted(step1.offsets)
    let t = performance.now()
    const written = await this.writeState(step1.prepared)
    t = this.lap('state', t)
    try {
      this.step(4)
      await this.ensureTransaction()
      this.lap('offsets', t)
    } catch (error) {
      return { ok: false, error: written.error ?? error, corrupted: written.corrupted }
    }
    return written.error === undefined ? { ok: true, committed: dirty.length } : { ok: false, error: written.error, corrupted: written.corrupted }
  }

  private async commitAtLeastOnce(dirty: readonly ActiveTask[]): Promise<CommitOutcome> {
    let step1: Step1
    try {
      step1 = this.prepareAll(dirty)
    } catch (error) {
      await this.rollBack(dirty)
      return { ok: false, error, corrupted: [] }
    }
    const outcome = await this.finishAtLeastOnce(step1.prepared, step1.offsets)
    if (!outcome.ok) await this.rollBack(dirty.filter((t) => !outcome.corrupted.includes(t)))
    return outcome
  }

  /** at_least_once steps 2-4. Never throws, and never rolls back: the caller does (see the header). */
  private async finishAtLeastOnce(prepared: readonly Prepared[], offsets: readonly TopicPartitionOffset[], background = false): Promise<CommitOutcome> {
    let corrupted: readonly ActiveTask[] = []
    try {
      this.step(2)
      let t = performance.now()
      await this.producer.flush()
      t = this.lap('produce', t)
      const written = await this.writeState(prepared, background)
      t = this.lap('state', t)
      corrupted = written.corrupted
      if (written.error !== undefined) throw written.error
      this.step(4)
      await this.options.consumer.commit(offsets)
      this.lap('offsets', t)
    } catch (error) {
      return { ok: false, error, corrupted }
    }
    this.noteCommitted(offsets)
    return { ok: true, committed: prepared.length }
  }

  /** Step 1 for every dirty task; throws what a task (or the fault hook) threw. */
  private prepareAll(dirty: readonly ActiveTask[]): Step1 {
    this.step(1)
    const started = performance.now()
    const prepared: Prepared[] = []
    const offsets: TopicPartitionOffset[] = []
    for (const task of dirty) prepared.push(this.prepare(task, offsets))
    this.lap('prepare', started)
    return { prepared, offsets }
  }

  /** Step 1 for one task: forward what its caches held back, freeze its buffers, send its changelog records. */
  private prepare(task: ActiveTask, all: TopicPartitionOffset[]): Prepared {
    // First: the forwarded records are outputs of this commit, and may write stores downstream.
    // Normally a no-op: TaskManager flushes before it commits, so a processing error there stops
    // the app instead of failing (and retrying) the commit.
    task.flushCaches()
    const offsets = task.commitOffsets()
    const { changelogRecords } = task.stores.prepareCommit(offsets)
    // Processing after this point (a background commit) marks the task dirty again.
    task.dirty = false
    for (const record of changelogRecords) this.producer.send(record)
    for (const o of offsets) all.push(o)
    return { task, offsets }
  }

  /** Step 3: each task's one LevelDB batch. A task whose batch failed is reported corrupted. */
  private async writeState(prepared: readonly Prepared[], background = false): Promise<{ corrupted: ActiveTask[]; error: unknown }> {
    try {
      this.step(3)
    } catch (error) {
      this.stateWriteFailed = true
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
    // A background commit starts one task's write per event-loop turn: building a batch is main-
    // thread work, and records arriving meanwhile are processed between two tasks' batches instead
    // of waiting for all of them. The writes still overlap in LevelDB's threads. A task without
    // stores writes only its applied offsets, too little to be worth a turn: a turn runs a whole
    // poll's processing, so 16 such turns stretched a stateless commit to 20-100 ms.
    const writes: Promise<void>[] = []
    for (const { task, offsets } of prepared) {
      if (background && writes.length > 0 && task.stores.storeNames().length > 0) await new Promise<void>((resolve) => setImmediate(resolve))
      writes.push(
        task.stores.commit({ changelogEndOffsets, appliedOffsets: offsets }).catch((error: unknown) => {
          // The store has just dropped its buffers: flag it at once (see backgroundFailed).
          this.stateWriteFailed = true
          throw error
        }),
      )
    }
    const results = await Promise.allSettled(writes)
    results.forEach((result, i) => {
      const { task } = prepared[i]!
      if (result.status === 'rejected') {
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
    await this.quiesce()
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
      this.rewound.add(partitionKey(tp))
      try {
        this.options.consumer.seek({ topic: tp.topic, partition: tp.partition, offset })
      } catch (error) {
        this.options.logger.warn({ topic: tp.topic, partition: tp.partition, err: loggableError(error) }, 'rewind failed; the partition is no longer assigned')
      }
    }
  }

  /**
   * The partitions rewound since the last call ("topic\u0000partition"). Records a poll returned
   * before their partition was rewound are stale: the loop drops them, the next poll re-reads.
   */
  takeRewound(): ReadonlySet<string> {
    const rewound = this.rewound
    if (rewound.size > 0) this.rewound = new Set()
    return rewound
  }

  /** Closes the producer; an open (empty or uncommitted) transaction is aborted. */
  async close(): Promise<void> {
    await this.quiesce()
    this.inTransaction = false
    await this.producer.close()
  }

  /**
   * Waits for a background commit without acting on its outcome: for paths that roll back or close
   * anyway (a failed commit's tasks are rolled back by them, or closed).
   */
  async quiesce(): Promise<void> {
    const background = this.background
    if (background === undefined) return
    await background.done
    if (this.background === background) {
      this.background = undefined
      this.stateWriteFailed = false
    }
  }

  private async replaceProducer(): Promise<void> {
    await this.producer.close().catch(() => undefined)
    this.producer = await this.options.createProducer()
    this.options.collector.use(this.producer)
  }

  private startTimes(): number {
    this.times = { prepare: 0, produce: 0, state: 0, offsets: 0 }
    return performance.now()
  }

  private report(started: number, tasks: number, outcome: CommitOutcome): void {
    const durationMs = performance.now() - started
    this.options.metrics?.commitCompleted(durationMs, outcome.ok)
    this.options.logger.debug({ tasks, ok: outcome.ok, durationMs: Math.round(durationMs), stepMs: roundTimes(this.times) }, 'commit')
  }

  /** Adds the time since `since` to a step; returns now. */
  private lap(step: keyof StepTimes, since: number): number {
    const now = performance.now()
    this.times[step] += now - since
    return now
  }

  private step(step: number): void {
    this.options.faults?.beforeStep?.(step, this.options.guarantee)
  }
}

function roundTimes(times: StepTimes): StepTimes {
  return { prepare: Math.round(times.prepare * 10) / 10, produce: Math.round(times.produce * 10) / 10, state: Math.round(times.state * 10) / 10, offsets: Math.round(times.offsets * 10) / 10 }
}


export function commitFailed(outcome: Extract<CommitOutcome, { ok: false }>): StreamfoldError {
  const cause = outcome.error
  if (cause instanceof StreamfoldError) return cause
  return new StreamfoldError('TRANSACTION_FAILED', `commit failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
}
