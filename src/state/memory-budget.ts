/**
 * How much memory state may take, and how it is divided (docs/state.md, "Memory"):
 *
 * - the record caches of every store of every task draw on one pool of `cacheMaxBytes` (Kafka
 *   Streams' `statestore.cache.max.bytes`, whose 10 MiB default this keeps);
 * - each task database gets `taskDbMemoryBytes` of LevelDB memory: a fifth for its block cache and
 *   two fifths for its write buffer (the memtable; a second one exists while the first is flushed).
 *
 * LevelDB's caches are per database and fixed when it opens (classic-level cannot share one, as a
 * RocksDB Cache is shared across stores), and tasks open one after another, so an app-wide LevelDB
 * figure cannot be divided fairly at open time: the LevelDB part is per task, its total is
 * `taskDbMemoryBytes` times the tasks open.
 */
import { StreamfoldError } from '../errors'
import { CachePool } from './record-cache'
import type { TaskDbTuning } from './task-db'

const MIB = 1024 * 1024

/** Record caches of all stores and tasks together. */
export const DEFAULT_STATE_CACHE_MAX_BYTES = 10 * MIB
/**
 * LevelDB memory per task database: a 256 KiB block cache and 512 KiB write buffers. LevelDB's
 * own defaults (8 MiB block cache, 4 MiB write buffer) took up to 16 MiB per task, yet random
 * reads over a large store miss a cache of any of these sizes alike (measured at 10M keys over 16
 * tasks: CPU per getSync the same with 0.25-8 MiB caches, peak RSS 16 MiB lower per MiB less).
 */
export const DEFAULT_TASK_DB_MEMORY_BYTES = 1280 * 1024
/** LevelDB raises a write buffer below 64 KiB to 64 KiB: two fifths of this. */
const MIN_TASK_DB_MEMORY_BYTES = 160 * 1024

export interface StateMemoryOptions {
  /** Bytes of all record caches together; 0 disables caching. Default 10 MiB. */
  readonly cacheMaxBytes?: number
  /** LevelDB block cache and write buffers of each task database. Default 1.25 MiB. */
  readonly taskDbMemoryBytes?: number
}

/** One app's state memory: the shared record-cache pool and the LevelDB settings of its tasks. */
export class StateMemory {
  readonly cacheMaxBytes: number
  readonly taskDbMemoryBytes: number
  readonly cachePool: CachePool
  readonly taskDbTuning: TaskDbTuning

  constructor(options: StateMemoryOptions = {}) {
    this.cacheMaxBytes = bytes('cacheMaxBytes', options.cacheMaxBytes ?? DEFAULT_STATE_CACHE_MAX_BYTES, 0)
    this.taskDbMemoryBytes = bytes('taskDbMemoryBytes', options.taskDbMemoryBytes ?? DEFAULT_TASK_DB_MEMORY_BYTES, MIN_TASK_DB_MEMORY_BYTES)
    this.cachePool = new CachePool(this.cacheMaxBytes)
    const fifth = Math.floor(this.taskDbMemoryBytes / 5)
    this.taskDbTuning = Object.freeze({ cacheSize: fifth, writeBufferSize: 2 * fifth })
  }
}

let processDefault: StateMemory | undefined

/** What tasks opened without an app's StateMemory share (TaskStores used directly, test drivers). */
export function defaultStateMemory(): StateMemory {
  processDefault ??= new StateMemory()
  return processDefault
}

function bytes(option: string, value: number, min: number): number {
  // classic-level reads its sizes as 32-bit unsigned integers.
  const max = option === 'taskDbMemoryBytes' ? 2 * (2 ** 32 - 1) : Number.MAX_SAFE_INTEGER
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new StreamfoldError('CONFIG_INVALID', `invalid ${option}: expected an integer number of bytes from ${min} to ${max}, got ${String(value)}`)
  }
  return value
}
