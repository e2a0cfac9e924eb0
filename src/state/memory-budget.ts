/**
 * How much memory state may take, and how it is divided (docs/state.md, "Memory"):
 *
 * - the record caches of every store of every task draw on one pool of `cacheMaxBytes` (Kafka
 *   Streams' `statestore.cache.max.bytes`, whose 10 MiB default this keeps);
 * - the writes of the running transaction (the stores' write buffers), over every task, force an
 *   early commit when they reach `maxUncommittedBytes` (Kafka Streams' `statestore.uncommitted.max.bytes`,
 *   whose 64 MiB default this keeps): without it an at_least_once app, which commits every 30 s,
 *   holds every key changed in 30 s in memory;
 * - each task database gets a LevelDB block cache of `taskDbCacheBytes` and a write buffer (the
 *   memtable; a second one exists while the first is flushed) of `taskDbWriteBufferBytes`.
 *
 * LevelDB's caches are per database and fixed when it opens (classic-level cannot share one, as a
 * RocksDB Cache is shared across stores), and tasks open one after another, so an app-wide LevelDB
 * figure cannot be divided fairly at open time: the LevelDB part is per task.
 */
import { StreamfoldError } from '../errors'
import { CachePool } from './record-cache'
import type { TaskDbTuning } from './task-db'

const MIB = 1024 * 1024

/** Record caches of all stores and tasks together. */
export const DEFAULT_STATE_CACHE_MAX_BYTES = 10 * MIB
/** Uncommitted writes of all stores and tasks together before an early commit. */
export const DEFAULT_MAX_UNCOMMITTED_BYTES = 64 * MIB
/**
 * LevelDB block cache per task. LevelDB's default, 8 MiB, took 128 MiB over 16 tasks, yet random
 * reads over a large store miss a cache of any of these sizes alike (measured at 10M keys over 16
 * tasks: CPU per getSync the same with 0.25-8 MiB caches, peak RSS 16 MiB lower per MiB less).
 */
export const DEFAULT_TASK_DB_CACHE_BYTES = 256 * 1024
/**
 * LevelDB's default write buffer. It fills only under writes, and 512 KiB measured restores 1.3x
 * slower (more level-0 files and compactions), with no RSS gain in the rss-10m benchmark.
 */
export const DEFAULT_TASK_DB_WRITE_BUFFER_BYTES = 4 * MIB
/** LevelDB raises a write buffer below 64 KiB to 64 KiB. */
const MIN_WRITE_BUFFER_BYTES = 64 * 1024
/** classic-level reads its sizes as 32-bit unsigned integers. */
const MAX_LEVELDB_BYTES = 2 ** 32 - 1

export interface StateMemoryOptions {
  /** Bytes of all record caches together; 0 disables caching. Default 10 MiB. */
  readonly cacheMaxBytes?: number
  /** LevelDB block cache of each task database. Default 256 KiB. */
  readonly taskDbCacheBytes?: number
  /** LevelDB write buffer (memtable) of each task database. Default 4 MiB. */
  readonly taskDbWriteBufferBytes?: number
  /** Uncommitted state writes of all tasks that start a commit before the interval; Infinity: no bound. Default 64 MiB. */
  readonly maxUncommittedBytes?: number
}

/** One app's state memory: the shared record-cache pool and the LevelDB settings of its tasks. */
export class StateMemory {
  readonly cacheMaxBytes: number
  readonly cachePool: CachePool
  /** Approximate bytes of uncommitted writes, over every store of every task, that start a commit. */
  readonly maxUncommittedBytes: number
  /** The LevelDB sizes of each task database. */
  readonly taskDbTuning: Required<Pick<TaskDbTuning, 'cacheSize' | 'writeBufferSize'>>

  constructor(options: StateMemoryOptions = {}) {
    this.cacheMaxBytes = bytes('cacheMaxBytes', options.cacheMaxBytes ?? DEFAULT_STATE_CACHE_MAX_BYTES, 0, Number.MAX_SAFE_INTEGER)
    this.cachePool = new CachePool(this.cacheMaxBytes)
    const maxUncommitted = options.maxUncommittedBytes ?? DEFAULT_MAX_UNCOMMITTED_BYTES
    this.maxUncommittedBytes = maxUncommitted === Number.POSITIVE_INFINITY ? maxUncommitted : bytes('maxUncommittedBytes', maxUncommitted, 0, Number.MAX_SAFE_INTEGER, ' or Infinity')
    this.taskDbTuning = Object.freeze({
      cacheSize: bytes('taskDbCacheBytes', options.taskDbCacheBytes ?? DEFAULT_TASK_DB_CACHE_BYTES, 0, MAX_LEVELDB_BYTES),
      writeBufferSize: bytes('taskDbWriteBufferBytes', options.taskDbWriteBufferBytes ?? DEFAULT_TASK_DB_WRITE_BUFFER_BYTES, MIN_WRITE_BUFFER_BYTES, MAX_LEVELDB_BYTES),
    })
  }
}

let processDefault: StateMemory | undefined

/** What tasks opened without an app's StateMemory share (TaskStores used directly, test drivers). */
export function defaultStateMemory(): StateMemory {
  processDefault ??= new StateMemory()
  return processDefault
}

function bytes(option: string, value: number, min: number, max: number, alternative = ''): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new StreamfoldError('CONFIG_INVALID', `invalid ${option}: expected an integer number of bytes from ${min} to ${max}${alternative}, got ${String(value)}`)
  }
  return value
}
