/**
 * All state of one task: its stores, its dedup store, and the commit API the runtime drives.
 *
 *            prepareCommit(src)              commit(...) resolves
 *   open ──────────────────────► prepared ───────────────────────► open
 *    ▲ │                            │
 *    │ └── discard() ◄──────────────┘ discard(): back to the last commit
 *    └─────┘
 *   (any) ── close() ──► closed
 *
 * 1. `prepareCommit(sourceOffsets)` freezes every store's write buffer and returns the changelog
 *    records (one per changed key, header `__src` = sourceOffsets). Writes made from now on belong
 *    to the next transaction.
 * 2. The runtime produces them and commits its transaction (or flushes and commits offsets).
 * 3. `commit({ changelogEndOffsets, appliedOffsets })` writes ONE LevelDB batch: every persistent
 *    store's changes, the changelog positions (`__meta`) and the applied source offsets
 *    (`__dedup`). In-memory stores take their changes once that batch is durable.
 * A crash before 3 leaves LevelDB at the previous commit; start-up restores from the stored
 * changelog positions to the end, which heals a crash between 2 and 3.
 */
import { changelogTopicSpec } from '../changelog/changelog-topic'
import { ChangelogRecordEncoder } from '../changelog/changelog-record'
import type { RestoreEndEvent, RestoreListener } from '../changelog/changelog-restorer'
import { StreamfoldError, TaskCorruptedError } from '../errors'
import { type Logger, silentLogger } from '../logger'
import type {
  OutgoingRecord,
  PartitionReader,
  TopicPartition,
  TopicPartitionOffset,
  TopicSpec,
} from '../runtime/broker/broker'
import type { DbOp } from './byte-db'
import { DedupStore } from './dedup-store'
import type { KeyValueStore } from './key-value-store'
import { defaultStateMemory, type StateMemory } from './memory-budget'
import type { SessionStore } from './session-store'
import type { StateStore, StoreKind } from './state-store'
import type { StoreInstance } from './store-factory'
import type { StoreSpec } from './store-spec'
import { openInMemoryTaskState, openTaskState, type TaskState } from './task-state'
import { restoreTaskStores } from './task-restore'
import { appliedOffsetOp, type ChangelogPosition, changelogPositionOp } from './task-meta'
import type { WindowStore } from './window-store'

export interface TaskStoresOptions {
  readonly applicationId: string
  readonly taskId: string
  /** Where task databases live; absent: everything in memory, no LevelDB (test drivers). */
  readonly stateDir?: string
  /** This task's partition of every changelog topic (the task's input partition number). */
  readonly changelogPartition: number
  readonly stores: readonly StoreSpec[]
  /** Enables the dedup id window, keeping ids this long in stream time. */
  readonly dedupIdRetentionMs?: number
  /** The timestamp of the record being processed, stamped on changelog records (default: now). */
  readonly recordTimestamp?: () => number
  readonly logger?: Logger
  /** The app's state memory (record-cache pool, LevelDB sizes); default: one shared by the process. */
  readonly memory?: StateMemory
}

export interface PreparedCommit {
  readonly changelogRecords: readonly OutgoingRecord[]
}

export interface CommitOptions {
  /**
   * The next offset of each changelog partition after this commit's records. A store left out
   * keeps its stored position, which is safe (restore re-reads from it) but slower to restore.
   */
  readonly changelogEndOffsets?: readonly TopicPartitionOffset[]
  /**
   * The applied source offsets to store; default: the ones given to `prepareCommit`. The watermark
   * never moves back: an offset below the one already applied for its partition keeps that one.
   */
  readonly appliedOffsets?: readonly TopicPartitionOffset[]
  /**
   * False: committed values are not put in the record cache (cached ones are dropped instead), for
   * bulk loads nobody reads yet (a global store's bootstrap). Default true.
   */
  readonly cacheWrites?: boolean
}

export interface TaskRestoreOptions {
  readonly reader: Pick<PartitionReader, 'readToEnd'>
  /** The group's committed offsets of the task's input partitions. */
  readonly committedOffsets: readonly TopicPartitionOffset[]
  readonly listener?: RestoreListener
  readonly maxBatchRecords?: number
}

/** Hooks around the task's commit, for processors holding state outside stores (e.g. buffers). */
export interface CommitHooks {
  /** Start of prepareCommit: store writes made here are part of the commit being prepared. */
  beforePrepare?(): void
  /** The commit is durable. */
  afterCommit?(): void
  /** The running transaction was dropped. */
  afterDiscard?(): void
}

type Phase = 'open' | 'prepared' | 'committing' | 'closed'

interface CommitBatch {
  readonly persistentOps: DbOp[]
  readonly memoryOps: DbOp[]
  readonly positions: Map<string, ChangelogPosition>
  readonly applied: readonly TopicPartitionOffset[]
  readonly started: number
}

/** Expired window/session entries deleted per store per commit at most (keeps commits short). */
const PURGE_LIMIT = 10_000

export class TaskStores {
  readonly taskId: string
  readonly dedup: DedupStore
  private readonly state: TaskState
  private readonly byName: ReadonlyMap<string, StoreInstance>
  private readonly logger: Logger
  private phase: Phase = 'open'
  private preparedSource: readonly TopicPartitionOffset[] = []
  private readonly hooks: CommitHooks[] = []

  private constructor(
    private readonly options: TaskStoresOptions,
    state: TaskState,
    logger: Logger,
  ) {
    this.taskId = options.taskId
    this.state = state
    this.logger = logger
    this.dedup = state.dedup
    this.byName = new Map(state.instances.map((i) => [i.name, i]))
  }

  /** Opens the task's database (wiping it when unreadable) and instantiates its stores. */
  static async open(options: TaskStoresOptions): Promise<TaskStores> {
    const logger = (options.logger ?? silentLogger()).child({ taskId: options.taskId })
    const state = await openTaskState(options, logger)
    return new TaskStores(options, state, logger)
  }

  /** A task without a state directory, opened synchronously (the test driver's tasks). */
  static openInMemory(options: Omit<TaskStoresOptions, 'stateDir'>): TaskStores {
    const logger = (options.logger ?? silentLogger()).child({ taskId: options.taskId })
    return new TaskStores(options, openInMemoryTaskState(options), logger)
  }

  /** The task directory, or undefined when the task has no LevelDB. */
  get location(): string | undefined {
    return this.state.taskDb?.location
  }

  /**
   * Approximate bytes the running transaction holds over every store of the task: what
   * `maxUncommittedBytes` bounds (Kafka Streams' statestore.uncommitted.max.bytes).
   */
  get uncommittedBytes(): number {
    let total = 0
    for (const instance of this.state.instances) total += instance.engine.core.uncommittedBytes
    return total
  }

  storeNames(): string[] {
    return this.state.instances.filter((i) => i.facade !== undefined).map((i) => i.name)
  }

  /** A store by name (the processor context's lookup). */
  store(name: string): StateStore {
    const facade = this.byName.get(name)?.facade
    if (facade === undefined) {
      throw new StreamfoldError('UNKNOWN_STATE_STORE', 'no state store of that name in this task', {
        taskId: this.taskId,
        store: name,
      })
    }
    return facade
  }

  /**
   * Whether the store has a record cache in Kafka Streams' sense: its aggregation forwards one
   * Change per key per commit (pending-changes.ts). Off when the store's or the app's
   * `cacheMaxBytes` is 0, as with Kafka Streams' `withCachingDisabled()` or a cache size of 0.
   */
  caching(name: string): boolean {
    const spec = this.options.stores.find((s) => s.name === name)
    return spec !== undefined && spec.cacheMaxBytes > 0 && (this.options.memory ?? defaultStateMemory()).cacheMaxBytes > 0
  }

  getKeyValueStore<K, V>(name: string): KeyValueStore<K, V> {
    return this.storeOfKind(name, 'keyValue') as KeyValueStore<K, V>
  }

  getWindowStore<K, V>(name: string): WindowStore<K, V> {
    return this.storeOfKind(name, 'window') as WindowStore<K, V>
  }

  getSessionStore<K, V>(name: string): SessionStore<K, V> {
    return this.storeOfKind(name, 'session') as SessionStore<K, V>
  }

  /** The changelog topics to create, given the partition count of the task's input topics. */
  changelogTopics(partitions: number): TopicSpec[] {
    const specs: TopicSpec[] = this.options.stores
      .filter((s) => s.logging.enabled)
      .map((s) =>
        changelogTopicSpec({
          applicationId: this.options.applicationId,
          storeName: s.name,
          partitions,
          retentionMs: s.kind === 'keyValue' ? undefined : s.retentionMs,
          config: s.logging.topicConfig,
        }),
      )
    const dedup = this.state.dedupInstance
    if (dedup !== undefined) {
      specs.push(
        changelogTopicSpec({
          applicationId: this.options.applicationId,
          storeName: dedup.name,
          partitions,
          retentionMs: this.options.dedupIdRetentionMs,
        }),
      )
    }
    return specs
  }

  /** This task's changelog partitions (to look up their end offsets after a commit). */
  changelogPartitions(): TopicPartition[] {
    return this.logged().map((i) => ({ topic: i.changelogTopic!, partition: this.options.changelogPartition }))
  }

  /** Registers commit hooks; returns a function that removes them. */
  onCommit(hooks: CommitHooks): () => void {
    this.hooks.push(hooks)
    return () => {
      const i = this.hooks.indexOf(hooks)
      if (i >= 0) this.hooks.splice(i, 1)
    }
  }

  /** Brings every logged store up to its changelog; call before processing (docs/state.md). */
  async restore(options: TaskRestoreOptions): Promise<RestoreEndEvent[]> {
    this.expectPhase('open', 'restore')
    const results = await restoreTaskStores({
      ...options,
      instances: this.logged(),
      state: this.state,
      partition: this.options.changelogPartition,
      logger: this.logger,
    })
    await this.purgeExpired()
    return results
  }

  /** Step 1 of a commit: freezes the write buffers into changelog records. */
  prepareCommit(sourceOffsets: readonly TopicPartitionOffset[]): PreparedCommit {
    this.expectPhase('open', 'prepareCommit')
    for (const hook of this.hooks) hook.beforePrepare?.()
    const encoder = new ChangelogRecordEncoder(sourceOffsets)
    const partition = this.options.changelogPartition
    const records: OutgoingRecord[] = []
    for (const { engine, changelogTopic } of this.state.instances) {
      engine.beforePrepare()
      const writes = engine.core.prepare()
      if (changelogTopic === undefined) continue
      for (const [key, write] of writes) {
        if (!write.logged) continue
        records.push(
          encoder.record(changelogTopic, partition, {
            key: engine.changelogKey(key),
            value: write.value,
            timestamp: write.timestamp,
          }),
        )
      }
    }
    this.preparedSource = sourceOffsets
    this.phase = 'prepared'
    return { changelogRecords: records }
  }

  /** Step 3 of a commit: the one atomic LevelDB batch (state + changelog positions + applied offsets). */
  async commit(options: CommitOptions = {}): Promise<void> {
    const batch = this.beginCommit(options)
    try {
      if (this.state.taskDb !== undefined) await this.state.taskDb.write(batch.persistentOps)
    } catch (error) {
      this.rollBack()
      throw new TaskCorruptedError('writing the commit to the task database failed', { taskId: this.taskId, cause: error })
    }
    this.finishCommit(batch, options.cacheWrites ?? true)
    await this.purgeExpired()
  }

  /**
   * Step 3 for a task with no LevelDB, synchronously: the test driver commits after every record,
   * as Kafka Streams' TopologyTestDriver does, and its API is synchronous. Expired windows are
   * purged in the background afterwards (they are never returned meanwhile).
   */
  commitInMemory(options: CommitOptions = {}): void {
    if (this.state.taskDb !== undefined) {
      throw new StreamfoldError('ILLEGAL_STATE', 'commitInMemory is only for tasks without LevelDB', { taskId: this.taskId })
    }
    this.finishCommit(this.beginCommit(options))
    this.purgeExpired().catch((error: unknown) => this.logger.warn({ err: error }, 'purging expired windows failed'))
  }

  private beginCommit(options: CommitOptions): CommitBatch {
    this.expectPhase('prepared', 'commit')
    this.phase = 'committing'
    const persistentOps: DbOp[] = []
    const memoryOps: DbOp[] = []
    for (const { engine } of this.state.instances) {
      engine.core.collectOps(engine.core.db.persistent ? persistentOps : memoryOps)
    }
    const positions = this.newPositions(options.changelogEndOffsets ?? [])
    for (const [name, position] of positions) {
      const ops = this.byName.get(name)!.engine.core.db.persistent ? persistentOps : memoryOps
      ops.push(changelogPositionOp(name, position))
    }
    const applied = this.neverBackwards(options.appliedOffsets ?? this.preparedSource)
    const mainOps = this.state.taskDb !== undefined ? persistentOps : memoryOps
    for (const offset of applied) mainOps.push(appliedOffsetOp(offset))
    return { persistentOps, memoryOps, positions, applied, started: performance.now() }
  }

  private finishCommit(batch: CommitBatch, cacheWrites = true): void {
    this.state.memoryDb.apply(batch.memoryOps)
    for (const { engine } of this.state.instances) {
      engine.core.completeCommit(cacheWrites)
      engine.afterCommit()
    }
    for (const [name, position] of batch.positions) this.state.positions.set(name, position)
    this.dedup.markApplied(batch.applied)
    this.phase = 'open'
    for (const hook of this.hooks) hook.afterCommit?.()
    this.logger.debug(
      { ops: batch.persistentOps.length + batch.memoryOps.length, durationMs: Math.round(performance.now() - batch.started) },
      'state committed',
    )
  }

  /** Drops the running (and any prepared) transaction: every store is back at its last commit. */
  discard(): void {
    if (this.phase === 'closed') return
    this.expectPhase(this.phase === 'prepared' ? 'prepared' : 'open', 'discard')
    this.rollBack()
  }

  /** Closes without committing: uncommitted writes are dropped. */
  async close(): Promise<void> {
    if (this.phase === 'closed') return
    this.phase = 'closed'
    for (const { engine } of this.state.instances) engine.core.close()
    await this.state.taskDb?.close()
  }

  /** Closes and deletes the task directory; the next open rebuilds from the changelogs. */
  async wipe(): Promise<void> {
    await this.close()
    await this.state.taskDb?.wipe()
  }

  private rollBack(): void {
    for (const { engine } of this.state.instances) {
      engine.core.discard()
      engine.afterDiscard()
    }
    this.phase = 'open'
    for (const hook of this.hooks) hook.afterDiscard?.()
  }

  /** Maintenance after a commit or restore: a failure is logged, never reported as the commit's. */
  private async purgeExpired(): Promise<void> {
    for (const { name, engine } of this.state.instances) {
      try {
        await engine.purgeExpired(PURGE_LIMIT)
      } catch (error) {
        this.logger.warn({ store: name, err: error }, 'purging expired entries failed; retried after the next commit')
      }
    }
  }

  /**
   * The applied offsets to store, none below the one already applied: the state holds the effects
   * of every record below the stored watermark, so lowering it would let those records, when
   * redelivered, change the state a second time. (The inbox reports a commit position at or above
   * the watermark; this keeps the invariant whatever a caller passes.)
   */
  private neverBackwards(offsets: readonly TopicPartitionOffset[]): readonly TopicPartitionOffset[] {
    return offsets.map((o) => {
      const known = this.dedup.appliedOffset(o.topic, o.partition)
      return known !== undefined && known > o.offset ? { topic: o.topic, partition: o.partition, offset: known } : o
    })
  }

  private newPositions(endOffsets: readonly TopicPartitionOffset[]): Map<string, ChangelogPosition> {
    const byTopic = new Map(this.logged().map((i) => [i.changelogTopic!, i.name]))
    const positions = new Map<string, ChangelogPosition>()
    for (const { topic, partition, offset } of endOffsets) {
      const name = byTopic.get(topic)
      if (name !== undefined && partition === this.options.changelogPartition) positions.set(name, { partition, offset })
    }
    return positions
  }

  private logged(): StoreInstance[] {
    return this.state.instances.filter((i) => i.changelogTopic !== undefined)
  }

  private storeOfKind(name: string, kind: StoreKind): StateStore {
    const store = this.store(name)
    if (store.kind !== kind) {
      throw new StreamfoldError('UNKNOWN_STATE_STORE', `state store is a ${store.kind} store, not a ${kind} store`, {
        taskId: this.taskId,
        store: name,
      })
    }
    return store
  }

  private expectPhase(expected: Phase, action: string): void {
    if (this.phase === expected) return
    if (this.phase === 'closed') throw new StreamfoldError('STORE_CLOSED', 'task stores are closed', { taskId: this.taskId })
    throw new StreamfoldError('ILLEGAL_STATE', `${action} is not allowed while the task state is ${this.phase}`, {
      taskId: this.taskId,
    })
  }
}
