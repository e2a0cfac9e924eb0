/**
 * The ordered byte map beneath the stores. Two implementations: the task's LevelDB (task-db.ts)
 * and an in-memory one (memory-db.ts) for in-memory stores and for tasks without a state
 * directory. Stores never know which one they sit on, so persistent and in-memory stores are the
 * same code. Keys are binary strings (see binary-key.ts) including the store's prefix.
 */

export type DbOp =
  | { readonly type: 'put'; readonly key: string; readonly value: Buffer }
  | { readonly type: 'del'; readonly key: string }

export type DbEntry = readonly [key: string, value: Buffer]

/** A put (value) or a delete (null value) whose key is bytes, not a binary string. */
export interface BytesEntry {
  readonly key: Buffer
  readonly value: Buffer | null
}

export interface ByteDb {
  /** True when the data survives a restart (LevelDB). */
  readonly persistent: boolean
  /** The committed value of `key`; never a promise (the hot path is synchronous). */
  getSync(key: string): Buffer | undefined
  /**
   * Committed entries with `gte <= key < lt` in key order, in chunks (one await per chunk, not per
   * entry). The view is a snapshot taken when iteration starts.
   */
  iterate(gte: string, lt: string, chunkSize?: number): AsyncIterable<readonly DbEntry[]>
  /** The same, synchronously; only in-memory databases have it (LevelDB iterators are async). */
  iterateSync?(gte: string, lt: string): Iterable<DbEntry>
  /** Applies all operations atomically: all of them are visible afterwards, or none. */
  write(ops: readonly DbOp[]): Promise<void>
  /**
   * Applies atomically `prefix + entry.key` := `entry.value` (null: delete) for every entry, then
   * `ops`. Optional: restore writes changelog keys through it, without turning every key into a
   * binary string and back; callers fall back to `write` where it is missing.
   */
  writePrefixed?(prefix: Buffer, entries: readonly BytesEntry[], ops: readonly DbOp[]): Promise<void>
}

export const DEFAULT_CHUNK_SIZE = 1000
