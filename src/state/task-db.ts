/**
 * One task's LevelDB: `${stateDir}/${applicationId}/${taskId}`. The only file in the project that
 * imports classic-level. It maps LevelDB's failures onto our codes:
 *
 * - LOCK held by another process (or another open in this one) -> STATE_DIR_LOCKED: never open a
 *   database twice, that is how state gets corrupted.
 * - corruption, unreadable files, an unknown layout version -> STATE_CORRUPTED: the caller wipes
 *   the directory (`TaskDb.wipe`) and restores from the changelogs.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ClassicLevel } from 'classic-level'
import { StreamfoldError } from '../errors'
import { type ByteDb, type BytesEntry, type DbEntry, type DbOp, DEFAULT_CHUNK_SIZE } from './byte-db'
import { pieceEnd } from './compaction-pieces'
import { FORMAT_KEY, FORMAT_VERSION } from './key-space'

type Level = ClassicLevel<Buffer, Buffer>

export interface TaskDbLocation {
  readonly stateDir: string
  readonly applicationId: string
  readonly taskId: string
}

/**
 * LevelDB's memory knobs for one task database. Unset fields keep LevelDB's defaults (8 MiB block
 * cache, 4 MiB write buffer). The runtime divides one app-wide budget over its tasks.
 */
export interface TaskDbTuning {
  /** LRU block cache in bytes (`cacheSize`). */
  readonly cacheSize?: number
  /** Memtable size in bytes before it is flushed to a level-0 file (`writeBufferSize`). */
  readonly writeBufferSize?: number
  /** Open table files kept (`maxOpenFiles`). */
  readonly maxOpenFiles?: number
}

/** LevelDB's write buffer when none is configured. */
const LEVELDB_WRITE_BUFFER_BYTES = 4 * 1024 * 1024
/** Levels of a LevelDB tree (leveldb::config::kNumLevels). */
const LEVELDB_LEVELS = 7

/**
 * Compactions of every task database in the process, one at a time. A running compactRange holds
 * a libuv threadpool thread (4 by default) until it ends, while the work itself happens on
 * LevelDB's one background thread, shared by every database of the process: compactions side by
 * side would only take threads from the reads and writes of the running tasks.
 */
let compactionTurn: Promise<unknown> = Promise.resolve()

/**
 * Bytes on disk of one piece of a compactRange (about): what a close waits for, ~0.25 s at the 130
 * MB/s measured for a whole-range compaction. The first piece also merges all of level 0 into
 * level 1 (their files span the range), bounded by LevelDB's level sizes rather than the range's.
 */
export const COMPACTION_PIECE_BYTES = 32 * 1024 * 1024

/** What compactRange did: the pieces compacted, and whether they covered the whole range. */
export interface RangeCompaction {
  readonly pieces: number
  readonly complete: boolean
}

export class TaskDb implements ByteDb {
  readonly persistent = true
  private closed = false
  private closing: Promise<void> | undefined
  /** This database's compactions, queued or running. */
  private compactions: Promise<unknown> = Promise.resolve()

  private constructor(
    private readonly db: Level,
    readonly location: string,
    private readonly taskId: string,
    /** Bytes of the memtable: data written past it goes to table files. */
    readonly writeBufferSize: number,
  ) {}

  static location(where: TaskDbLocation): string {
    return path.join(where.stateDir, where.applicationId, where.taskId)
  }

  /** Opens (creating if missing) and checks the layout version. */
  static async open(where: TaskDbLocation, tuning: TaskDbTuning = {}): Promise<TaskDb> {
    const location = TaskDb.location(where)
    fs.mkdirSync(location, { recursive: true })
    const db: Level = new ClassicLevel<Buffer, Buffer>(location, { keyEncoding: 'buffer', valueEncoding: 'buffer', ...definedOnly(tuning) })
    try {
      await db.open()
    } catch (error) {
      throw mapOpenError(error, where.taskId)
    }
    const taskDb = new TaskDb(db, location, where.taskId, tuning.writeBufferSize ?? LEVELDB_WRITE_BUFFER_BYTES)
    try {
      await taskDb.checkFormat()
    } catch (error) {
      await db.close().catch(() => undefined)
      throw error
    }
    return taskDb
  }

  /** Deletes a task directory: the state will be rebuilt from the changelogs. */
  static async wipe(location: string): Promise<void> {
    await fs.promises.rm(location, { recursive: true, force: true })
  }

  getSync(key: string): Buffer | undefined {
    this.assertOpen()
    try {
      return this.db.getSync(Buffer.from(key, 'latin1'))
    } catch (error) {
      throw mapRuntimeError(error, this.taskId)
    }
  }

  async *iterate(gte: string, lt: string, chunkSize = DEFAULT_CHUNK_SIZE): AsyncGenerator<readonly DbEntry[]> {
    this.assertOpen()
    const it = this.db.iterator({ gte: Buffer.from(gte, 'latin1'), lt: Buffer.from(lt, 'latin1') })
    try {
      for (;;) {
        let rows: [Buffer, Buffer][]
        try {
          rows = await it.nextv(chunkSize)
        } catch (error) {
          throw mapRuntimeError(error, this.taskId)
        }
        if (rows.length === 0) return
        yield rows.map(([k, v]): DbEntry => [k.toString('latin1'), v])
      }
    } finally {
      await it.close()
    }
  }

  async write(ops: readonly DbOp[]): Promise<void> {
    this.assertOpen()
    if (ops.length === 0) return
    const batch = this.db.batch()
    addOps(batch, ops)
    await this.commit(batch)
  }

  async writePrefixed(prefix: Buffer, entries: readonly BytesEntry[], ops: readonly DbOp[]): Promise<void> {
    this.assertOpen()
    if (entries.length === 0 && ops.length === 0) return
    const batch = this.db.batch()
    const keys = new PrefixedKeys(prefix)
    for (const { key, value } of entries) {
      if (value === null) batch.del(keys.of(key))
      else batch.put(keys.of(key), value)
    }
    addOps(batch, ops)
    await this.commit(batch)
  }

  /**
   * Compacts the keys `gte <= key < lt` into one level after the other compactions of the process:
   * flushes the memtable, then merges the range's table files level by level down to the deepest
   * level holding any of them, so that a read of the range looks at one table file. LevelDB cannot
   * stop a running compaction, so the range is compacted in consecutive pieces of about
   * `pieceBytes` on disk (compaction-pieces.ts), and a close waits only for the piece in progress:
   * the pieces left are skipped (`complete` false; `pieces` 0 when the database was closed before
   * the compaction's turn came).
   */
  compactRange(gte: string, lt: string, pieceBytes = COMPACTION_PIECE_BYTES): Promise<RangeCompaction> {
    this.assertOpen()
    const compaction = compactionTurn.then(() => this.compactInPieces(gte, lt, pieceBytes))
    compactionTurn = compaction.catch(() => undefined)
    this.compactions = compaction.catch(() => undefined)
    return compaction
  }

  /** Resolves when the compactions asked for so far have finished (or failed, or were skipped). */
  async compacted(): Promise<void> {
    await this.compactions
  }

  /** Table files per LevelDB level (0-6), from LevelDB's `num-files-at-level<N>` properties. */
  filesPerLevel(): number[] {
    this.assertOpen()
    const files: number[] = []
    for (let level = 0; level < LEVELDB_LEVELS; level++) files.push(Number(this.db.getProperty(`leveldb.num-files-at-level${level}`)))
    return files
  }

  /** Approximate bytes on disk of the keys `gte <= key < lt` (table files; the memtable is not counted). */
  async approximateSize(gte: string, lt: string): Promise<number> {
    this.assertOpen()
    try {
      return await this.db.approximateSize(Buffer.from(gte, 'latin1'), Buffer.from(lt, 'latin1'))
    } catch (error) {
      throw mapRuntimeError(error, this.taskId)
    }
  }

  /** Every call resolves once the database is closed: a close waits for a running compaction piece,
   *  and a second caller (wipe() after a close still under way) must not go on before it ends. */
  close(): Promise<void> {
    this.closed = true
    this.closing ??= this.db.close()
    return this.closing
  }

  /** Closes and deletes the directory. */
  async wipe(): Promise<void> {
    await this.close()
    await TaskDb.wipe(this.location)
  }

  private async checkFormat(): Promise<void> {
    const version = this.getSync(FORMAT_KEY)
    if (version === undefined) {
      // A new database gets the current version; a non-empty one without it is not ours.
      const anyKey = await this.db.keys({ limit: 1 }).all()
      if (anyKey.length > 0) throw corrupted(this.taskId, 'state directory holds data without a layout version')
      await this.write([{ type: 'put', key: FORMAT_KEY, value: Buffer.from(FORMAT_VERSION) }])
      return
    }
    if (version.toString('latin1') !== FORMAT_VERSION) {
      throw corrupted(this.taskId, `state directory has unknown layout version (expected ${FORMAT_VERSION})`)
    }
  }

  private async compactInPieces(gte: string, lt: string, pieceBytes: number): Promise<RangeCompaction> {
    let pieces = 0
    try {
      if (this.closed) return { pieces, complete: false }
      const [first, last] = await Promise.all([this.edgeKey(gte, lt, false), this.edgeKey(gte, lt, true)])
      const sizeOf = (from: string, to: string) => this.approximateSize(from, to)
      for (let start = gte; start < lt; pieces++) {
        if (this.closed) return { pieces, complete: false }
        const low = start === gte ? first : start
        const end = low === undefined || last === undefined ? lt : await pieceEnd(sizeOf, start, low, last, lt, pieceBytes)
        // Checked again after the awaits: once close() has been called, LevelDB takes no new calls.
        if (this.closed) return { pieces, complete: false }
        await this.db.compactRange(Buffer.from(start, 'latin1'), Buffer.from(end, 'latin1'))
        start = end
      }
      return { pieces, complete: true }
    } catch (error) {
      // A size or key lookup that close() overtook: the pieces left are skipped.
      if (this.closed) return { pieces, complete: false }
      throw error instanceof StreamfoldError ? error : mapRuntimeError(error, this.taskId)
    }
  }

  /** The first (or last) key of the range, undefined when it holds none. */
  private async edgeKey(gte: string, lt: string, last: boolean): Promise<string | undefined> {
    const [key] = await this.db.keys({ gte: Buffer.from(gte, 'latin1'), lt: Buffer.from(lt, 'latin1'), reverse: last, limit: 1 }).all()
    return key?.toString('latin1')
  }

  private async commit(batch: ReturnType<Level['batch']>): Promise<void> {
    try {
      await batch.write()
    } catch (error) {
      throw mapRuntimeError(error, this.taskId)
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StreamfoldError('STORE_CLOSED', 'task state database is closed', { taskId: this.taskId })
  }
}

function addOps(batch: ReturnType<Level['batch']>, ops: readonly DbOp[]): void {
  for (const op of ops) {
    if (op.type === 'put') batch.put(Buffer.from(op.key, 'latin1'), op.value)
    else batch.del(Buffer.from(op.key, 'latin1'))
  }
}

/**
 * `prefix + key` without a Buffer per key: a chained batch's put/del copies the key into LevelDB's
 * WriteBatch at once (leveldb::WriteBatch::Put appends it), so one scratch buffer serves every key.
 * The buffer handed over must be exactly the key's length, so views of it are kept per length.
 */
class PrefixedKeys {
  private scratch: Buffer
  private views: Buffer[] = []

  constructor(private readonly prefix: Buffer) {
    this.scratch = Buffer.allocUnsafe(prefix.length + 64)
    prefix.copy(this.scratch)
  }

  of(key: Buffer): Buffer {
    const length = this.prefix.length + key.length
    if (length > this.scratch.length) {
      this.scratch = Buffer.allocUnsafe(length * 2)
      this.prefix.copy(this.scratch)
      this.views = []
    }
    this.scratch.set(key, this.prefix.length)
    return (this.views[length] ??= this.scratch.subarray(0, length))
  }
}

function definedOnly(tuning: TaskDbTuning): TaskDbTuning {
  return Object.fromEntries(Object.entries(tuning).filter(([, v]) => v !== undefined)) as TaskDbTuning
}

function levelCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null
  const cause = e?.cause?.code
  if (typeof cause === 'string') return cause
  return typeof e?.code === 'string' ? e.code : undefined
}

function mapOpenError(error: unknown, taskId: string): StreamfoldError {
  if (levelCode(error) === 'LEVEL_LOCKED') {
    return new StreamfoldError(
      'STATE_DIR_LOCKED',
      'state directory is locked by another process (or already open in this one)',
      { taskId, cause: error },
    )
  }
  // Anything else on open (corruption, a CURRENT file naming a missing manifest, ...) means the
  // directory cannot be trusted.
  return corrupted(taskId, 'state directory cannot be opened', error)
}

function mapRuntimeError(error: unknown, taskId: string): StreamfoldError {
  if (levelCode(error) === 'LEVEL_CORRUPTION') return corrupted(taskId, 'state database is corrupted', error)
  return new StreamfoldError('STATE_CORRUPTED', 'state database operation failed', { taskId, cause: error })
}

function corrupted(taskId: string, message: string, cause?: unknown): StreamfoldError {
  return new StreamfoldError('STATE_CORRUPTED', message, { taskId, cause })
}
