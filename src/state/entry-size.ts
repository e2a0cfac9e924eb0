/**
 * What one key and its value cost in V8, for the bounds on state memory: the record caches
 * (record-cache.ts) and the uncommitted writes that force an early commit (bytes-store.ts). Both
 * hold a Map entry with a small object per key, the key as a string and the value as a Buffer.
 */

/**
 * Memory per entry beyond its key and value characters, measured on Node 20 (V8 11.3): 200k
 * entries with 12-character keys inserted into one cache, `gc()` twice, then
 * `process.memoryUsage()` before and after, per entry. Null values (known absent): heap +77 B,
 * RSS +84 B, so 72 B beyond the key: Map entry, entry object, string header.
 */
export const ENTRY_OVERHEAD = 72
/**
 * A Buffer value beyond its bytes, same measurement: values read by `getSync` (one ArrayBuffer and
 * backing store each) cost RSS +547 B per 16-byte value, values serialized from the pool
 * (`Buffer.allocUnsafe`, a view on a shared slab) +276 B. About 400 B covers both.
 */
export const BUFFER_OVERHEAD = 400

/** Approximate bytes of one entry: a key string and a value (null: a delete or known absence). */
export function entrySize(key: string, value: Buffer | null): number {
  return key.length + ENTRY_OVERHEAD + valueSize(value)
}

/** The value's part of `entrySize`. */
export function valueSize(value: Buffer | null): number {
  return value === null ? 0 : value.length + BUFFER_OVERHEAD
}

/**
 * An item of a decoded window/session index (key-indexes.ts) beyond its characters: its string
 * and array slot. Same measurement, 200k items in one array: 34 B for a window's 8-character item,
 * 42 B for a 16-character item decoded from the stored index, 90 B for a join store's item (time +
 * sequence, a concatenation V8 keeps as a cons string over two strings). 72 B beyond 16 characters
 * covers the largest.
 */
export const INDEX_ITEM_OVERHEAD = 72

/** Approximate bytes of a decoded index item of `width` characters. */
export function indexItemSize(width: number): number {
  return width + INDEX_ITEM_OVERHEAD
}
