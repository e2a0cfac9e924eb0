/**
 * The app's tasks: created from the group's assignment (one per sub-topology per partition;
 * co-partitioned inputs share one), restored before they process, fed from the consumer, paused
 * when they fall behind, committed through the Checkpoint, and closed when their partitions go.
 *
 *   assigned ──open, pause──► restoring ──restore, resume──► running ──revoked: commit, close──► gone
 *                                                               └──lost: close without commit──► gone
 *
 * It is the consumer's rebalance listener; the consumer calls it from inside poll() only.
 */
import type { RestoreListener } from '../changelog/changelog-restorer'
import { isStreamfoldError, TaskCorruptedError } from '../errors'
import type { Logger } from '../logger'
import type { Topology } from '../topology/topology'
import { ActiveTask } from './app/active-task'
import type { GlobalStoreLookup } from './task/task-context'
import type { ProducerCollector } from './app/producer-collector'
import type { TopicPlan } from './app/topic-plan'
import type { BrokerAdmin, BrokerRecord, GroupConsumer, PartitionReader, RebalanceListener, TopicPartition } from './broker/broker'
import { commitFailed, type Checkpoint, type CommitOutcome } from './checkpoint'
import { RestoreTracker } from './observability/restore-tracker'
import { partitionKey } from './partition-key'
import type { ResolvedStreamsConfig } from './streams-config'
import { loggableError } from './app/loggable-error'

/** Consecutive failed commits after which the app gives up (each one was rolled back). */
const MAX_COMMIT_FAILURES = 5

export interface TaskManagerOptions {
  readonly topology: Topology
  readonly plan: TopicPlan
  readonly config: ResolvedStreamsConfig
  readonly consumer: GroupConsumer
  readonly admin: BrokerAdmin
  readonly reader: PartitionReader
  readonly checkpoint: Checkpoint
  readonly collector: ProducerCollector
  readonly logger: Logger
  /** The app's global stores, readable by every task's processors. */
  readonly globalStores?: GlobalStoreLookup
  /** Partitions are moving: the app is REBALANCING until every task is restored. */
  readonly onRebalance: () => void
}

export class TaskManager implements RebalanceListener {
  private readonly tasks = new Map<string, ActiveTask>()
  private readonly byPartition = new Map<string, ActiveTask>()
  private readonly paused = new Set<string>()
  private pending: ActiveTask[] = []
  private commitFailures = 0
  /** The task that processes first in the next `process` call (maxUncommittedBytes turns). */
  private firstInTurn: string | undefined
  private readonly restoreListener: RestoreListener | undefined
  /** At least one assignment (possibly empty) was received from the group. */
  assignmentSeen = false
  processed = 0

  constructor(private readonly options: TaskManagerOptions) {
    this.restoreListener = restoreListener(options)
  }

  get restoring(): number {
    return this.pending.length
  }

  /** Running tasks (restored, processing), for interactive queries (query/queryable-stores.ts). */
  runningTasks(): ActiveTask[] {
    return [...this.tasks.values()].filter((t) => t.running)
  }

  /** Partitions of a sub-topology's input topics, as the plan agreed them. */
  partitionsOf(subtopology: number): number | undefined {
    return this.options.plan.partitions.get(subtopology)
  }

  get size(): number {
    return this.tasks.size
  }

  /** Records fetched and not yet processed, over all tasks. */
  get backlog(): number {
    let total = 0
    for (const task of this.tasks.values()) if (task.running) total += task.backlog
    return total
  }

  /** Approximate bytes written to state since the last commit, over all tasks: an early commit
   *  starts when this reaches `maxUncommittedBytes`. */
  get uncommittedBytes(): number {
    let total = 0
    for (const task of this.tasks.values()) total += task.uncommittedBytes
    return total
  }

  get skipped(): number {
    let total = 0
    for (const task of this.tasks.values()) total += task.skipped
    return total
  }

  async onAssigned(partitions: readonly TopicPartition[]): Promise<void> {
    this.options.onRebalance()
    this.assignmentSeen = true
    if (partitions.length === 0) return
    await this.noteStartOffsets(partitions)
    this.options.logger.info({ partitions: partitions.length }, 'partitions assigned')
    await this.openTasks(partitions)
  }

  async onRevoked(partitions: readonly TopicPartition[]): Promise<void> {
    this.options.onRebalance()
    this.options.logger.info({ partitions: partitions.length }, 'partitions revoked')
    // Everything done so far is committed before the partitions move (one transaction for all).
    if (!(await this.flushCaches())) return this.dropTasks(partitions)
    await this.handle(await this.options.checkpoint.commit(this.running()))
    await this.dropTasks(partitions)
  }

  async onLost(partitions: readonly TopicPartition[]): Promise<void> {
    this.options.onRebalance()
    this.options.logger.warn({ partitions: partitions.length }, 'partitions lost: their tasks close without committing')
    const lost = this.affected(partitions)
    // A background commit may still be writing these tasks' state: let it end before they close.
    // If it failed, the tasks that stay are rolled back (or rebuilt) as after any failed commit.
    const kept = this.running().filter((t) => !lost.includes(t))
    const outcome = await this.options.checkpoint.settle(kept)
    if (outcome !== undefined && !outcome.ok) await this.handle({ ...outcome, corrupted: outcome.corrupted.filter((t) => !lost.includes(t)) })
    if (this.options.config.processingGuarantee === 'exactly_once') {
      // The open transaction holds the lost tasks' output too: abort it; the others redo their part.
      await this.options.checkpoint.rollBack(this.running().filter((t) => t.dirty && !lost.includes(t)))
    }
    await this.dropTasks(partitions)
  }

  /** Restores tasks assigned since the last call, then lets their partitions flow. */
  async restorePending(): Promise<void> {
    // Commit first: no transaction stays open (toward its timeout) while a long restore runs.
    if (this.pending.length > 0) await this.commit()
    await this.restoreQueued(() => true)
  }

  /** Restores the queued tasks that `which` selects (a task rebuilt meanwhile keeps its id). */
  private async restoreQueued(which: (task: ActiveTask) => boolean): Promise<void> {
    for (let i = this.pending.findIndex(which); i >= 0; i = this.pending.findIndex(which)) {
      const task = this.pending.splice(i, 1)[0]!
      if (this.tasks.get(task.id) !== task) continue // dropped meanwhile
      const committed = await this.options.consumer.committed(task.inputs)
      try {
        await task.restore(this.options.reader, committed, this.restoreListener)
      } catch (error) {
        if (!(error instanceof TaskCorruptedError)) throw error
        // The changelog no longer matches the local state (e.g. topic recreated): rebuild from it.
        this.options.logger.warn({ taskId: task.id, err: loggableError(error) }, 'local state does not match the changelog: wiping it and restoring')
        await task.stores.wipe()
        await this.replace(task)
        continue
      }
      this.resumeIfDrained(task, true)
    }
  }

  /** Hands fetched records to their tasks; a partition whose queue passes the bound is paused. */
  route(records: readonly BrokerRecord[]): void {
    let start = 0
    while (start < records.length) {
      const first = records[start]!
      let end = start + 1
      while (end < records.length && records[end]!.partition === first.partition && records[end]!.topic === first.topic) end++
      const task = this.byPartition.get(partitionKey(first))
      // No task: the partition was revoked while the records were in flight; its new owner reads them.
      if (task !== undefined) {
        task.add(first.topic, start === 0 && end === records.length ? records : records.slice(start, end))
        if (task.queued(first.topic) > this.options.config.maxQueuedRecordsPerPartition) this.pause([first])
      }
      start = end
    }
  }

  /**
   * One micro-batch per running task; returns the records processed. Each batch may fill the
   * task's write buffers up to what the other tasks' writes leave of `maxUncommittedBytes`, so the
   * loop's early commit starts within one record per task of the bound instead of after every
   * task's whole batch. The tasks take turns at going first: the next call starts after the first
   * task the bound stopped, else the tasks first in line would take the whole bound each time.
   */
  async process(): Promise<number> {
    const { metrics, maxBatchRecords } = this.options.config
    const bound = this.options.config.stateMemory.maxUncommittedBytes
    const order = this.inTurn()
    let total = 0
    let stopped: number | undefined
    for (const [i, task] of order.entries()) {
      if (!task.running) continue
      // What the other dirty tasks' writes leave of the bound; this task's buffers count whole,
      // clean or not: its next commit takes them all.
      const stopAt = bound === Number.POSITIVE_INFINITY ? bound : bound - (this.uncommittedBytes - task.uncommittedBytes)
      let processed: number
      try {
        processed = task.processBatch(maxBatchRecords, stopAt)
      } catch (error) {
        await this.rollBackFenced(task, error, 'processing')
        return total
      }
      const own = task.stores.uncommittedBytes
      if (stopped === undefined && own > 0 && own >= stopAt) stopped = i
      total += processed
      if (metrics !== undefined && processed > 0) {
        metrics.recordsProcessed(task.id, processed)
        const late = task.takeLateDrops()
        if (late > 0) metrics.lateRecordsDropped(task.id, late)
      }
      this.resumeIfDrained(task, false)
    }
    if (stopped !== undefined) this.firstInTurn = order[(stopped + 1) % order.length]!.id
    this.processed += total
    return total
  }

  /** The tasks in processing order: from `firstInTurn` (when still there) round to the one before it. */
  private inTurn(): ActiveTask[] {
    const tasks = [...this.tasks.values()]
    const first = this.firstInTurn === undefined ? -1 : tasks.findIndex((t) => t.id === this.firstInTurn)
    return first <= 0 ? tasks : [...tasks.slice(first), ...tasks.slice(0, first)]
  }

  /** Reports each owned input partition's lag behind its end (for metrics; in the background). */
  async reportLag(): Promise<void> {
    const { metrics } = this.options.config
    if (metrics === undefined) return
    const owned = this.options.consumer.assignment()
    if (owned.length === 0) return
    for (const end of await this.options.admin.endOffsets(owned)) {
      const committed = this.options.checkpoint.committed(end)
      if (committed !== undefined) metrics.consumerLag(end.topic, end.partition, Math.max(0, end.offset - committed))
    }
  }

  punctuate(now: number): void {
    for (const task of this.tasks.values()) if (task.running) task.punctuateWallClock(now)
  }

  async commit(): Promise<void> {
    if (!(await this.flushCaches())) return
    await this.handle(await this.options.checkpoint.commit(this.running()))
  }

  /** The loop's periodic commit: at_least_once finishes it in the background (checkpoint.ts). */
  async startCommit(): Promise<void> {
    if (!(await this.flushCaches())) return
    const outcome = await this.options.checkpoint.startCommit(this.running())
    if (outcome !== undefined) await this.handle(outcome)
  }

  /**
   * What cached aggregations held back goes downstream before a commit, here in the loop's turn
   * rather than inside the commit: an error a handler does not skip stops processing exactly as
   * one thrown by `process()` would (a retried commit would only meet it again). Returns false
   * when there is nothing to commit after all: a failed background commit was settled (rolled
   * back) first, or a fenced producer made it roll back (handled like processBatch's case).
   */
  private async flushCaches(): Promise<boolean> {
    // A failed background commit is rolled back first: nothing may run on its discarded state.
    const previous = await this.options.checkpoint.settle(this.running())
    if (previous !== undefined) {
      await this.handle(previous)
      if (!previous.ok) return false
    }
    for (const task of this.running()) {
      if (!task.dirty) continue
      try {
        task.flushCaches()
      } catch (error) {
        await this.rollBackFenced(task, error, 'flushing caches')
        return false
      }
    }
    return true
  }

  /**
   * A task's processing threw: a fenced producer (e.g. its transaction timed out) rolls back
   * everything since the commit, to be redone; anything else is rethrown and stops the app.
   */
  private async rollBackFenced(task: ActiveTask, error: unknown, doing: string): Promise<void> {
    if (!migrated(error)) throw error
    this.options.logger.warn({ taskId: task.id, err: loggableError(error) }, `producer fenced while ${doing}; rolling back`)
    await this.options.checkpoint.rollBack(this.running().filter((t) => t.dirty || t === task))
    await this.handle({ ok: false, error, corrupted: [] })
  }

  /** Acts on a failed background commit before anything is processed on top of it. */
  async settleFailedCommit(): Promise<void> {
    if (!this.options.checkpoint.backgroundFailed) return
    const outcome = await this.options.checkpoint.settle(this.running())
    if (outcome !== undefined) await this.handle(outcome)
  }

  /** Closes every task: committed first when `clean`, otherwise rolled back. */
  async closeAll(clean: boolean): Promise<void> {
    try {
      if (clean) {
        // A processing error while flushing: nothing is committed, the work is read again on restart.
        const flushed = await this.flushCaches().catch(async (error: unknown) => {
          await this.options.checkpoint.rollBack(this.running().filter((t) => t.dirty))
          throw error
        })
        if (flushed) await this.handle(await this.options.checkpoint.commit(this.running()))
      } else await this.options.checkpoint.rollBack([])
    } finally {
      const tasks = [...this.tasks.values()]
      this.tasks.clear()
      this.byPartition.clear()
      this.pending = []
      for (const task of tasks) await task.close().catch((error: unknown) => this.options.logger.warn({ taskId: task.id, err: loggableError(error) }, 'closing a task failed'))
      this.options.config.metrics?.tasksAssigned(0)
    }
  }

  /** A failed commit was rolled back; tasks that missed a state write are rebuilt. Repeated failures are fatal. */
  private async handle(outcome: CommitOutcome): Promise<void> {
    if (outcome.ok) {
      this.commitFailures = 0
      return
    }
    this.commitFailures++
    this.options.logger.error({ err: loggableError(outcome.error), attempt: this.commitFailures, corrupted: outcome.corrupted.map((t) => t.id) }, 'commit failed; rolled back')
    for (const task of outcome.corrupted) {
      await task.close().catch(() => undefined)
      await this.replace(task)
    }
    // Restored now, not at the loop's next turn: their commit is in the changelog and the group's
    // offsets, and a task closed before its restore (the app closing, a revocation) would leave
    // its LevelDB one commit behind. Nothing uncommitted is pending here, so no commit comes first.
    const rebuilt = new Set(outcome.corrupted.map((t) => t.id))
    await this.restoreQueued((t) => rebuilt.has(t.id))
    if (this.commitFailures >= MAX_COMMIT_FAILURES) throw commitFailed(outcome)
  }

  private running(): ActiveTask[] {
    return [...this.tasks.values()].filter((t) => t.running)
  }

  private affected(partitions: readonly TopicPartition[]): ActiveTask[] {
    const found = new Set<ActiveTask>()
    for (const tp of partitions) {
      const task = this.byPartition.get(partitionKey(tp))
      if (task !== undefined) found.add(task)
    }
    return [...found]
  }

  /** Where the group stands for new partitions: their commit, else the log start ('earliest'). */
  private async noteStartOffsets(partitions: readonly TopicPartition[]): Promise<void> {
    const { checkpoint, consumer, admin } = this.options
    const committed = await consumer.committed(partitions)
    checkpoint.noteCommitted(committed)
    const known = new Set(committed.map(partitionKey))
    const fresh = partitions.filter((tp) => !known.has(partitionKey(tp)))
    if (fresh.length > 0) checkpoint.noteCommitted(await admin.beginningOffsets(fresh))
  }

  private async openTasks(partitions: readonly TopicPartition[]): Promise<void> {
    const { plan, topology, config, collector, logger } = this.options
    this.pause(partitions)
    for (const tp of partitions) {
      if (this.byPartition.has(partitionKey(tp))) continue
      const sub = plan.readerOf.get(tp.topic)
      if (sub === undefined) continue
      const task = await ActiveTask.open({
        applicationId: config.applicationId,
        topology,
        subtopology: sub,
        partition: tp.partition,
        inputs: topology.inputTopics(sub, config.applicationId).map((topic) => ({ topic, partition: tp.partition })),
        collector,
        stateDir: config.stateDir,
        errorHandlers: config.errorHandlers,
        logger,
        wallClock: Date.now,
        dedup: sub.id === plan.dedupSubtopology ? config.dedup : undefined,
        memory: config.stateMemory,
        globalStores: this.options.globalStores,
      })
      this.add(task)
    }
  }

  /** Closes the tasks of `partitions`; a task's partitions that stay assigned get a new task. */
  private async dropTasks(partitions: readonly TopicPartition[]): Promise<void> {
    const gone = new Set(partitions.map(partitionKey))
    const kept: TopicPartition[] = []
    for (const task of this.affected(partitions)) {
      this.tasks.delete(task.id)
      for (const tp of task.inputs) {
        this.byPartition.delete(partitionKey(tp))
        this.paused.delete(partitionKey(tp))
        if (!gone.has(partitionKey(tp)) && this.owned(tp)) kept.push(tp)
      }
      await task.close()
    }
    this.options.checkpoint.forget(partitions)
    for (const tp of partitions) {
      this.paused.delete(partitionKey(tp))
      this.options.config.metrics?.lagUnassigned(tp.topic, tp.partition)
    }
    this.options.config.metrics?.tasksAssigned(this.tasks.size)
    if (kept.length > 0) {
      this.options.checkpoint.rewind(kept)
      await this.openTasks(kept)
    }
  }

  /** Reopens a closed task from scratch (restore included), reading its input again from the commit. */
  private async replace(task: ActiveTask): Promise<void> {
    this.tasks.delete(task.id)
    for (const tp of task.inputs) this.byPartition.delete(partitionKey(tp))
    const owned = task.inputs.filter((tp) => this.owned(tp))
    this.options.checkpoint.rewind(owned)
    await this.openTasks(owned)
  }

  private add(task: ActiveTask): void {
    this.tasks.set(task.id, task)
    for (const tp of task.inputs) this.byPartition.set(partitionKey(tp), task)
    this.pending.push(task)
    this.options.config.metrics?.tasksAssigned(this.tasks.size)
  }

  private owned(tp: TopicPartition): boolean {
    return this.options.consumer.assignment().some((a) => a.topic === tp.topic && a.partition === tp.partition)
  }

  private pause(partitions: readonly TopicPartition[]): void {
    const fresh = partitions.filter((tp) => !this.paused.has(partitionKey(tp)) && this.owned(tp))
    if (fresh.length === 0) return
    this.options.consumer.pause(fresh)
    for (const tp of fresh) this.paused.add(partitionKey(tp))
  }

  /** Resumes partitions at or below half the bound (hysteresis: no pause/resume flapping). */
  private resumeIfDrained(task: ActiveTask, afterRestore: boolean): void {
    const limit = afterRestore ? this.options.config.maxQueuedRecordsPerPartition : this.options.config.maxQueuedRecordsPerPartition / 2
    const ready = task.inputs.filter((tp) => this.paused.has(partitionKey(tp)) && task.queued(tp.topic) <= limit && this.owned(tp))
    if (ready.length === 0) return
    this.options.consumer.resume(ready)
    for (const tp of ready) this.paused.delete(partitionKey(tp))
  }
}

/** The user's restore listener, plus restore progress for metrics when they are on. */
function restoreListener(options: TaskManagerOptions): RestoreListener | undefined {
  const { onRestore, metrics } = options.config
  if (metrics === undefined) return onRestore
  const tracker = new RestoreTracker({
    metrics,
    logger: options.logger,
    endOffset: async (topic, partition) => (await options.admin.endOffsets([{ topic, partition }]))[0]?.offset ?? 0,
  })
  return {
    onRestoreStart: (e) => (tracker.onRestoreStart(e), onRestore?.onRestoreStart?.(e)),
    onBatchRestored: (e) => (tracker.onBatchRestored(e), onRestore?.onBatchRestored?.(e)),
    onRestoreEnd: (e) => (tracker.onRestoreEnd(e), onRestore?.onRestoreEnd?.(e)),
  }
}

/** A fenced producer: sinks see it as a failed send, which the task wraps with the same code. */
function migrated(error: unknown): boolean {
  return isStreamfoldError(error) && error.code === 'TASK_MIGRATED'
}

