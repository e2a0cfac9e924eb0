/**
 * A task as the app runs it: the StreamTask (processors), its TaskStores (state, dedup), and an
 * inbox per input partition between the consumer and the StreamTask.
 *
 *   poll ─► inbox (per partition) ─► feed: dedup checks ─► StreamTask queue (one head per partition) ─► process
 *
 * The StreamTask holds at most one record per partition, so when a record is fed every earlier
 * record of its partition is done. That makes two things exact: a record skipped by the dedup
 * store may advance the commit position past itself, and an id joins the dedup window only once
 * its record was processed (never while it waits, where a commit would remember an id whose
 * effects are not in the state). The heads' timestamps still let the StreamTask interleave
 * co-partitioned inputs in event-time order.
 *
 *   restoring ──restore()──► running ──revive()──► running (fresh processors, state at last commit)
 *       └──────────────────────┴──close()──► closed
 */
import type { RestoreListener } from '../../changelog/changelog-restorer'
import { StreamfoldError } from '../../errors'
import type { Logger } from '../../logger'
import type { StateMemory } from '../../state/memory-budget'
import { TaskStores } from '../../state/task-stores'
import type { GlobalStoreLookup } from '../task/task-context'
import type { StoreSpec } from '../../state/store-spec'
import type { Subtopology, Topology } from '../../topology/topology'
import type { BrokerRecord, PartitionReader, TopicPartition, TopicPartitionOffset } from '../broker/broker'
import type { DedupIdExtractor } from '../streams-config'
import type { RecordCollector } from '../task/record-collector'
import type { RecordErrorHandlers } from '../task/record-error-handlers'
import { StreamTask } from '../task/stream-task'
import { PartitionInbox } from './partition-inbox'

export interface ActiveTaskOptions {
  readonly applicationId: string
  readonly topology: Topology
  readonly subtopology: Subtopology
  readonly partition: number
  /** The task's input partitions (resolved topic names). */
  readonly inputs: readonly TopicPartition[]
  readonly collector: RecordCollector
  readonly stateDir: string
  readonly errorHandlers: RecordErrorHandlers
  /** The app's logger; the task makes its child once. */
  readonly logger: Logger
  readonly wallClock: () => number
  /** The dedup id window of this task, when its sub-topology reads the configured topics. */
  readonly dedup?: { readonly retentionMs: number; readonly by: Readonly<Record<string, DedupIdExtractor>> }
  /** The app's state memory (record-cache pool, LevelDB sizes per task); default: the process-wide one. */
  readonly memory?: StateMemory
  /** The app's global stores, readable by every processor. */
  readonly globalStores?: GlobalStoreLookup
}

type Phase = 'restoring' | 'running' | 'closed'

export class ActiveTask {
  readonly id: string
  readonly inputs: readonly TopicPartition[]
  /** Something was processed, skipped or punctuated since the last commit. */
  dirty = false
  private phase: Phase = 'restoring'
  private task: StreamTask | undefined
  private readonly inboxes: PartitionInbox[]
  private readonly inboxByTopic = new Map<string, PartitionInbox>()
  private lateSeen = 0

  private constructor(
    private readonly options: ActiveTaskOptions,
    readonly stores: TaskStores,
  ) {
    this.id = `${options.subtopology.id}_${options.partition}`
    this.inputs = options.inputs
    const inFlight = new Set<string>()
    this.inboxes = options.inputs.map((tp) => new PartitionInbox(tp, options.dedup?.by[tp.topic], inFlight))
    for (const inbox of this.inboxes) this.inboxByTopic.set(inbox.topic, inbox)
  }

  static async open(options: ActiveTaskOptions): Promise<ActiveTask> {
    const { topology, subtopology } = options
    let current: ActiveTask | undefined
    const stores = await TaskStores.open({
      applicationId: options.applicationId,
      taskId: `${subtopology.id}_${options.partition}`,
      stateDir: options.stateDir,
      changelogPartition: options.partition,
      stores: subtopology.stores.map((name) => topology.store(name) as StoreSpec),
      dedupIdRetentionMs: options.dedup?.retentionMs,
      memory: options.memory,
      // Changelog records carry the time of the record being processed (stream time, in order).
      recordTimestamp: () => (current?.task !== undefined && current.task.streamTime >= 0 ? current.task.streamTime : Date.now()),
      logger: options.logger,
    })
    current = new ActiveTask(options, stores)
    return current
  }

  /** Records dropped as duplicates (applied offsets or the id window) since the task opened. */
  get skipped(): number {
    let total = 0
    for (const inbox of this.inboxes) total += inbox.skipped
    return total
  }

  /**
   * Approximate bytes of the task's writes since its last commit (TaskStores.uncommittedBytes),
   * counted only while the task is dirty: a commit takes dirty tasks only, so a clean task's
   * buffer (expired windows purged after a commit or a restore) would start commits that free nothing.
   */
  get uncommittedBytes(): number {
    return this.phase === 'running' && this.dirty ? this.stores.uncommittedBytes : 0
  }

  get running(): boolean {
    return this.phase === 'running'
  }

  /** Brings the stores up to their changelogs, then creates the processors. */
  async restore(reader: Pick<PartitionReader, 'readToEnd'>, committedOffsets: readonly TopicPartitionOffset[], listener: RestoreListener | undefined): Promise<void> {
    this.expect('restoring')
    await this.stores.restore({ reader, committedOffsets, listener })
    this.task = this.newStreamTask()
    this.phase = 'running'
  }

  /** Queues fetched records of one partition (in offset order). */
  add(topic: string, records: readonly BrokerRecord[]): void {
    const inbox = this.inboxByTopic.get(topic)
    if (inbox === undefined) throw new StreamfoldError('ILLEGAL_STATE', `task ${this.id} does not read topic ${topic}`, { taskId: this.id, topic })
    inbox.add(records)
  }

  /** Records waiting, over all input partitions. */
  get backlog(): number {
    let total = 0
    for (const inbox of this.inboxes) total += inbox.size
    return total
  }

  /** Records waiting in one input partition. */
  queued(topic: string): number {
    return this.inboxByTopic.get(topic)?.size ?? 0
  }

  /**
   * Processes up to `max` records; returns how many. Stream-time punctuators run after the batch.
   * The batch also ends, after one record at least, once the task's write buffers hold something
   * and at least `stopAtBytes` (what `maxUncommittedBytes` leaves it, TaskManager.process): the
   * loop checks the bound only between batches, and a batch of records that each write many
   * entries (hopping windows) would otherwise pass it many times over before a commit starts.
   */
  processBatch(max: number, stopAtBytes = Number.POSITIVE_INFINITY): number {
    const task = this.task
    if (task === undefined) return 0
    const processed = this.inboxes.length === 1 ? this.processOne(task, this.inboxes[0]!, max, stopAtBytes) : this.processMany(task, max, stopAtBytes)
    if (processed > 0) {
      this.dirty = true
      if (task.punctuateStreamTime()) this.dirty = true
    }
    return processed
  }

  /** Records dropped as too late for their window since the last call (for metrics). */
  takeLateDrops(): number {
    const total = this.task?.droppedRecords.get('late-record') ?? 0
    const fresh = total - this.lateSeen
    this.lateSeen = total
    return fresh
  }

  punctuateWallClock(now: number): void {
    if (this.task?.punctuateWallClock(now) === true) this.dirty = true
  }

  /** Forwards what cached aggregations hold back; the first part of a commit's step 1. */
  flushCaches(): void {
    this.task?.flushCaches()
  }

  /** The next offset to commit per input partition that made progress. */
  commitOffsets(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = []
    for (const inbox of this.inboxes) {
      if (inbox.position !== undefined) out.push({ topic: inbox.topic, partition: inbox.partition, offset: inbox.position })
    }
    return out
  }

  /** After a rolled-back commit: fresh processors over the state of the last commit, nothing queued. */
  revive(): void {
    this.expect('running')
    this.stores.discard()
    this.task?.close()
    for (const inbox of this.inboxes) inbox.reset()
    this.task = this.newStreamTask()
    this.lateSeen = 0
    this.dirty = false
  }

  /** Closes processors and stores; uncommitted writes are dropped (commit first for a clean close). */
  async close(): Promise<void> {
    if (this.phase === 'closed') return
    this.phase = 'closed'
    try {
      this.task?.close()
    } finally {
      await this.stores.close()
    }
  }

  /** The batch of a task with one input partition: `processMany`'s steps without its loops. */
  private processOne(task: StreamTask, inbox: PartitionInbox, max: number, stopAtBytes: number): number {
    const dedup = this.stores.dedup
    const bounded = stopAtBytes !== Number.POSITIVE_INFINITY
    let processed = 0
    while (processed < max) {
      if (inbox.head === undefined) {
        const skipped = inbox.skipped
        const next = inbox.next(dedup)
        // A skipped duplicate moves the commit position: worth a commit like a processed record.
        if (inbox.skipped !== skipped) this.dirty = true
        if (next === undefined) break
        task.enqueueOne(next)
      }
      if (task.process()) processed++
      // The StreamTask consumed the head (or dropped it through the error handler).
      inbox.headDone(dedup)
      if (bounded && this.full(stopAtBytes)) break
    }
    return processed
  }

  /** A task whose records write nothing (stateless) is never stopped by the bound. */
  private full(stopAtBytes: number): boolean {
    const bytes = this.stores.uncommittedBytes
    return bytes > 0 && bytes >= stopAtBytes
  }

  private processMany(task: StreamTask, max: number, stopAtBytes: number): number {
    const bounded = stopAtBytes !== Number.POSITIVE_INFINITY
    let processed = 0
    while (processed < max) {
      if (!this.feed(task)) break
      const done = task.process()
      if (done) processed++
      // The StreamTask consumed a head (or dropped unreadable ones through the error handler).
      this.settleHeads(task)
      if (!done && task.queued > 0) break // cannot happen: a false process() leaves every queue empty
      if (bounded && this.full(stopAtBytes)) break
    }
    return processed
  }

  /** Moves a record into each StreamTask queue that is empty; false when nothing is left to process. */
  private feed(task: StreamTask): boolean {
    let live = false
    for (const inbox of this.inboxes) {
      if (inbox.head === undefined) {
        const skipped = inbox.skipped
        const next = inbox.next(this.stores.dedup)
        // A skipped duplicate moves the commit position: worth a commit like a processed record.
        if (inbox.skipped !== skipped) this.dirty = true
        if (next !== undefined) task.enqueueOne(next)
      }
      if (inbox.head !== undefined) live = true
    }
    return live
  }

  private settleHeads(task: StreamTask): void {
    for (const { topic, partition, offset } of task.consumedOffsets()) {
      const inbox = this.inboxByTopic.get(topic)
      if (inbox?.head !== undefined && inbox.partition === partition && offset > inbox.head.offset) inbox.headDone(this.stores.dedup)
    }
  }

  private newStreamTask(): StreamTask {
    const { options } = this
    const task = new StreamTask({
      applicationId: options.applicationId,
      topology: options.topology,
      subtopology: options.subtopology,
      partition: options.partition,
      collector: options.collector,
      wallClock: options.wallClock,
      stores: (name) => this.stores.store(name),
      caching: (name) => this.stores.caching(name),
      globalStores: options.globalStores,
      errorHandlers: options.errorHandlers,
      logger: options.logger,
    })
    task.init()
    return task
  }

  private expect(phase: Phase): void {
    if (this.phase !== phase) throw new StreamfoldError('ILLEGAL_STATE', `task ${this.id} is ${this.phase}, not ${phase}`, { taskId: this.id })
  }
}
