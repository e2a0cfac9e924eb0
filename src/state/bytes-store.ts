/**
 * The byte-level core every store kind sits on: one store's keyspace in a ByteDb, with the task's
 * transaction in front of it (Quix Streams' "the write buffer is the transaction").
 *
 * Reads, all synchronous:   write buffer -> pending -> record cache -> ByteDb.getSync
 * Writes:                   write buffer only; nothing is sent or written before commit.
 *
 * Commit is driven by TaskStores in three steps: `prepare()` moves the buffer to `pending` (from
 * which the changelog records are made) and opens a fresh buffer, so writes made while the commit
 * is in flight belong to the next transaction; `collectOps()` adds pending to the task's one
 * atomic batch; `completeCommit()` moves pending into the cache once the batch is durable.
 * `discard()` drops both layers: the store is back at its last commit.
 */
import { StreamfoldError } from '../errors'
import { keyAfter, prefixEnd } from './binary-key'
import type { ByteDb, DbEntry, DbOp } from './byte-db'
import { compareBinary } from './memory-db'
import { entrySize, valueSize } from './entry-size'
import { RecordCache } from './record-cache'

/** One key's last write in a transaction (last write wins: one changelog record per key). */
export interface BufferedWrite {
  value: Buffer | null
  /** Timestamp of the record being processed when the write happened (the changelog record's). */
  timestamp: number
  /** False for derived entries (indexes, stream time) that restore rebuilds and the changelog omits. */
  logged: boolean
}

export interface BytesStoreOptions {
  readonly name: string
  readonly taskId: string
  /** This store's keyspace in `db` (key-space.ts). */
  readonly prefix: string
  readonly db: ByteDb
  /** Cache bound in bytes; 0 disables it (an in-memory db needs no cache). */
  readonly cacheMaxBytes: number
  /** The current record's timestamp, stamped on each write. */
  readonly clock: () => number
}

export class BytesStore {
  readonly name: string
  readonly db: ByteDb
  readonly prefix: string
  private readonly taskId: string
  private readonly end: string
  private readonly clock: () => number
  private readonly cache: RecordCache | undefined
  private buffer = new Map<string, BufferedWrite>()
  /** Approximate memory of `buffer` (entry-size.ts): what `maxUncommittedBytes` bounds. */
  private bufferBytes = 0
  private pending: Map<string, BufferedWrite> | undefined
  private open = true

  constructor(options: BytesStoreOptions) {
    this.name = options.name
    this.taskId = options.taskId
    this.db = options.db
    this.prefix = options.prefix
    this.end = prefixEnd(options.prefix) ?? '\xff'.repeat(options.prefix.length + 1)
    this.clock = options.clock
    this.cache = options.cacheMaxBytes > 0 ? new RecordCache(options.cacheMaxBytes) : undefined
  }

  get isOpen(): boolean {
    return this.open
  }

  /** True when the running transaction changed something. */
  get dirty(): boolean {
    return this.buffer.size > 0
  }

  /** Approximate bytes the running transaction holds in memory (keys, values, per-entry overhead). */
  get uncommittedBytes(): number {
    return this.bufferBytes
  }

  get cacheStats(): { readonly entries: number; readonly bytes: number; readonly hits: number; readonly misses: number } {
    const c = this.cache
    return { entries: c?.size ?? 0, bytes: c?.sizeBytes ?? 0, hits: c?.hits ?? 0, misses: c?.misses ?? 0 }
  }

  get(key: string): Buffer | undefined {
    if (!this.open) throw this.closedError()
    const buffered = this.buffer.get(key) ?? this.pending?.get(key)
    if (buffered !== undefined) return buffered.value ?? undefined
    const cache = this.cache
    if (cache === undefined) return this.db.getSync(this.prefix + key)
    const cached = cache.get(key)
    if (cached !== undefined) return cached ?? undefined
    const value = this.db.getSync(this.prefix + key)
    cache.set(key, value ?? null)
    return value
  }

  /** Buffers a write; `null` deletes. */
  put(key: string, value: Buffer | null, logged = true): void {
    if (!this.open) throw this.closedError()
    const timestamp = this.clock()
    const existing = this.buffer.get(key)
    if (existing === undefined) {
      this.buffer.set(key, { value, timestamp, logged })
      this.bufferBytes += entrySize(key, value)
      return
    }
    this.bufferBytes += valueSize(value) - valueSize(existing.value)
    existing.value = value
    existing.timestamp = timestamp
    existing.logged = logged
  }

  /**
   * Counts memory the store's engine holds for the running transaction outside the buffer (a
   * window store's decoded indexes, key-indexes.ts). The engine drops that memory when the buffer
   * is frozen or discarded, which is when the count goes back to zero.
   */
  countUncommitted(bytes: number): void {
    this.bufferBytes += bytes
  }

  /**
   * Entries with `gte <= key < lt` (keys without the store prefix), in byte order: the write
   * buffer merged over the database, buffered puts shadowing and buffered deletes hiding committed
   * entries. The buffer is read when iteration starts; later writes are not seen.
   */
  async *entries(gte = '', lt?: string): AsyncGenerator<DbEntry> {
    if (!this.open) throw this.closedError()
    if (lt !== undefined && lt <= gte) return
    const overlay = this.overlay(gte, lt)
    const skip = this.prefix.length
    let i = 0
    for await (const rows of this.db.iterate(this.prefix + gte, lt === undefined ? this.end : this.prefix + lt)) {
      for (const [fullKey, value] of rows) {
        const key = fullKey.slice(skip)
        while (i < overlay.length && overlay[i]![0] < key) {
          const [k, v] = overlay[i++]!
          if (v !== null) yield [k, v]
        }
        const shadow = i < overlay.length && overlay[i]![0] === key ? overlay[i++]! : undefined
        if (shadow === undefined) yield [key, value]
        else if (shadow[1] !== null) yield [key, shadow[1]]
      }
    }
    for (; i < overlay.length; i++) {
      const [k, v] = overlay[i]!
      if (v !== null) yield [k, v]
    }
  }

  /**
   * `entries()` synchronously, for stores on an in-memory database (a suppression buffer
   * rebuilds its index from it in init()). Throws on LevelDB, whose iterators are async.
   */
  entriesSync(gte = '', lt?: string): DbEntry[] {
    if (!this.open) throw this.closedError()
    const iterateSync = this.db.iterateSync?.bind(this.db)
    if (iterateSync === undefined) {
      throw new StreamfoldError('ILLEGAL_STATE', 'synchronous iteration needs an in-memory store', this.coordinates())
    }
    const merged = new Map<string, Buffer | null>()
    const skip = this.prefix.length
    for (const [fullKey, value] of iterateSync(this.prefix + gte, lt === undefined ? this.end : this.prefix + lt)) {
      merged.set(fullKey.slice(skip), value)
    }
    for (const [key, value] of this.overlay(gte, lt)) merged.set(key, value)
    const out: DbEntry[] = []
    for (const [key, value] of merged) if (value !== null) out.push([key, value])
    return out.sort((a, b) => compareBinary(a[0], b[0]))
  }

  /** Entries whose key starts with `prefix`. */
  prefixEntries(prefix: string): AsyncGenerator<DbEntry> {
    return this.entries(prefix, prefixEnd(prefix))
  }

  /** Entries with `from <= key <= to`; undefined bounds are open. */
  rangeEntries(from: string | undefined, to: string | undefined): AsyncGenerator<DbEntry> {
    return this.entries(from ?? '', to === undefined ? undefined : keyAfter(to))
  }

  // --- commit side, driven by TaskStores -------------------------------------------------------

  /** Freezes the running transaction for commit; returns its writes. */
  prepare(): ReadonlyMap<string, BufferedWrite> {
    if (this.pending !== undefined) {
      throw new StreamfoldError('ILLEGAL_STATE', 'a commit is already in progress', this.coordinates())
    }
    const pending = this.buffer
    this.pending = pending
    this.buffer = new Map()
    this.bufferBytes = 0
    return pending
  }

  /** Adds the prepared writes to the task's atomic batch. */
  collectOps(ops: DbOp[]): void {
    if (this.pending === undefined) return
    for (const [key, write] of this.pending) {
      ops.push(
        write.value === null
          ? { type: 'del', key: this.prefix + key }
          : { type: 'put', key: this.prefix + key, value: write.value },
      )
    }
  }

  /** The batch is durable: prepared writes become committed values, cached unless `cacheWrites` is false. */
  completeCommit(cacheWrites = true): void {
    const pending = this.pending
    if (pending === undefined) return
    this.pending = undefined
    const cache = this.cache
    if (cache === undefined) return
    if (cacheWrites) for (const [key, write] of pending) cache.set(key, write.value)
    else if (cache.size > 0) for (const key of pending.keys()) cache.delete(key)
  }

  /** Rolls back to the last commit: the running and the prepared transaction are dropped. */
  discard(): void {
    this.buffer = new Map()
    this.bufferBytes = 0
    this.pending = undefined
  }

  // --- restore ----------------------------------------------------------------------------------

  /** A committed value read past the cache (restore writes LevelDB directly). */
  readCommitted(key: string): Buffer | undefined {
    return this.db.getSync(this.prefix + key)
  }

  /** Forgets cached values after something wrote the database behind the store's back (restore). */
  resetCache(): void {
    this.cache?.clear()
  }

  close(): void {
    this.open = false
    this.discard()
    this.cache?.clear()
  }

  private overlay(gte: string, lt: string | undefined): [string, Buffer | null][] {
    const merged = new Map<string, Buffer | null>()
    const add = (layer: ReadonlyMap<string, BufferedWrite> | undefined): void => {
      if (layer === undefined) return
      for (const [key, write] of layer) {
        if (key >= gte && (lt === undefined || key < lt)) merged.set(key, write.value)
      }
    }
    add(this.pending)
    add(this.buffer) // newer writes win
    return Array.from(merged).sort((a, b) => compareBinary(a[0], b[0]))
  }

  private coordinates(): { readonly taskId: string; readonly store: string } {
    return { taskId: this.taskId, store: this.name }
  }

  private closedError(): StreamfoldError {
    return new StreamfoldError('STORE_CLOSED', 'state store is closed', this.coordinates())
  }
}
