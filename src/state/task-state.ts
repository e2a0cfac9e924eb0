/**
 * Opening a task's state: the LevelDB (or none), its bookkeeping, and one instance per store.
 * A directory that cannot be trusted (LevelDB corruption, unknown layout version, malformed
 * bookkeeping) is wiped with a warning and the stores start empty, to be rebuilt from their
 * changelogs; a lock held by another process is never broken.
 */
import { StreamfoldError } from '../errors'
import type { Logger } from '../logger'
import { changelogTopicName } from '../changelog/changelog-topic'
import { BytesStore } from './bytes-store'
import { DedupStore } from './dedup-store'
import { DEDUP_IDS_PREFIX, DEDUP_STORE_NAME } from './key-space'
import { defaultStateMemory } from './memory-budget'
import { MemoryDb } from './memory-db'
import { withCachePool } from './record-cache'
import { createStore, type StoreInstance } from './store-factory'
import { DEFAULT_CACHE_MAX_BYTES } from './store-spec'
import { TaskDb } from './task-db'
import { type ChangelogPosition, loadAppliedOffsets, loadChangelogPositions } from './task-meta'
import type { TaskStoresOptions } from './task-stores'
import { TimedBytesStore } from './timed-bytes-store'

export interface TaskState {
  readonly taskDb: TaskDb | undefined
  readonly memoryDb: MemoryDb
  /** Every store, the dedup id window included. */
  readonly instances: readonly StoreInstance[]
  readonly dedupInstance: StoreInstance | undefined
  readonly dedup: DedupStore
  /** Changelog position per store name (`__meta`). */
  readonly positions: Map<string, ChangelogPosition>
}

export async function openTaskState(options: TaskStoresOptions, logger: Logger): Promise<TaskState> {
  checkNames(options)
  if (options.stateDir === undefined) return build(options, undefined)
  const where = { stateDir: options.stateDir, applicationId: options.applicationId, taskId: options.taskId }
  const tuning = (options.memory ?? defaultStateMemory()).taskDbTuning
  let taskDb: TaskDb | undefined
  try {
    taskDb = await TaskDb.open(where, tuning)
    return await build(options, taskDb)
  } catch (error) {
    await taskDb?.close()
    if (!(error instanceof StreamfoldError) || error.code !== 'STATE_CORRUPTED') throw error
    const cause = error.cause instanceof Error ? error.cause.message : undefined
    logger.warn(
      { location: TaskDb.location(where), reason: error.message, cause },
      'local state is unreadable: wiping it; stores will be rebuilt from their changelogs',
    )
    await TaskDb.wipe(TaskDb.location(where))
    return build(options, await TaskDb.open(where, tuning))
  }
}

/**
 * A task with no state directory, synchronously: its fresh MemoryDb holds no positions or applied
 * offsets to load. The test driver opens its tasks this way.
 */
export function openInMemoryTaskState(options: TaskStoresOptions): TaskState {
  checkNames(options)
  if (options.stateDir !== undefined) {
    throw new StreamfoldError('ILLEGAL_STATE', 'an in-memory task cannot have a state directory', { taskId: options.taskId })
  }
  return assemble(options, undefined, new MemoryDb(), new Map(), new Map())
}

/** The stores of a task, their record caches drawing on the app's shared pool. */
function assemble(...args: Parameters<typeof assembleStores>): TaskState {
  return withCachePool((args[0].memory ?? defaultStateMemory()).cachePool, () => assembleStores(...args))
}

async function build(options: TaskStoresOptions, taskDb: TaskDb | undefined): Promise<TaskState> {
  const memoryDb = new MemoryDb()
  const mainDb = taskDb ?? memoryDb
  const positions = await loadChangelogPositions(mainDb, options.taskId)
  const applied = await loadAppliedOffsets(mainDb, options.taskId)
  return assemble(options, taskDb, memoryDb, positions, applied)
}

function assembleStores(
  options: TaskStoresOptions,
  taskDb: TaskDb | undefined,
  memoryDb: MemoryDb,
  positions: Map<string, ChangelogPosition>,
  applied: Awaited<ReturnType<typeof loadAppliedOffsets>>,
): TaskState {
  const mainDb = taskDb ?? memoryDb
  const clock = options.recordTimestamp ?? Date.now
  const instances = options.stores.map((spec) =>
    createStore(spec, {
      applicationId: options.applicationId,
      taskId: options.taskId,
      db: spec.persistent && taskDb !== undefined ? taskDb : memoryDb,
      clock,
    }),
  )
  // In-memory stores start empty whatever LevelDB remembers about them.
  for (const instance of instances) if (!instance.engine.core.db.persistent) positions.delete(instance.name)

  let dedupInstance: StoreInstance | undefined
  let dedupEngine: TimedBytesStore | undefined
  if (options.dedupIdRetentionMs !== undefined) {
    const core = new BytesStore({
      name: DEDUP_STORE_NAME,
      taskId: options.taskId,
      prefix: DEDUP_IDS_PREFIX,
      db: mainDb,
      cacheMaxBytes: mainDb.persistent ? DEFAULT_CACHE_MAX_BYTES : 0,
      clock,
    })
    dedupEngine = new TimedBytesStore({ core, retentionMs: options.dedupIdRetentionMs, arity: 1 })
    const changelogTopic = changelogTopicName(options.applicationId, DEDUP_STORE_NAME)
    dedupInstance = { name: DEDUP_STORE_NAME, engine: dedupEngine, facade: undefined, changelogTopic }
  }
  return {
    taskDb,
    memoryDb,
    instances: dedupInstance === undefined ? instances : [...instances, dedupInstance],
    dedupInstance,
    dedup: new DedupStore(applied, dedupEngine, options.taskId),
    positions,
  }
}

function checkNames(options: TaskStoresOptions): void {
  const seen = new Set<string>()
  for (const { name } of options.stores) {
    if (seen.has(name)) {
      throw new StreamfoldError('CONFIG_INVALID', 'two state stores of the task have the same name', {
        taskId: options.taskId,
        store: name,
      })
    }
    seen.add(name)
  }
}
