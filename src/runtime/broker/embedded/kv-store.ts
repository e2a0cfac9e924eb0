/**
 * The embedded broker's storage port: an ordered key-value store with atomic batches. Two
 * implementations: LevelKvStore (classic-level, durable) and MemoryKvStore (a sorted map, for
 * tests and the TopologyTestDriver). Everything above this interface is the same code in both
 * modes, so the in-memory broker exercises exactly the logic the durable one runs.
 */

/** Bounds of a key range; keys compare bytewise, like LevelDB's default comparator. */
export interface KeyRange {
  readonly gt?: Buffer
  readonly gte?: Buffer
  readonly lt?: Buffer
  readonly lte?: Buffer
  /** Highest keys first. */
  readonly reverse?: boolean
}

export type KvOp =
  | { readonly type: 'put'; readonly key: Buffer; readonly value: Buffer }
  | { readonly type: 'del'; readonly key: Buffer }

export type KvEntry = readonly [key: Buffer, value: Buffer]

export interface KvStore {
  /** Up to `limit` entries of the range, in key order (or reverse order). */
  range(range: KeyRange, limit: number): Promise<KvEntry[]>
  /** Applies every op or none. `sync` asks the store to reach stable storage before resolving. */
  write(ops: readonly KvOp[], sync: boolean): Promise<void>
  /** Deletes every entry of the range (not atomic with anything else). */
  clear(range: KeyRange): Promise<void>
  close(): Promise<void>
}

/** The value stored under `key`, if any. */
export async function getValue(store: KvStore, key: Buffer): Promise<Buffer | undefined> {
  const [entry] = await store.range({ gte: key, lte: key }, 1)
  return entry?.[1]
}

/** A range to scan, fetched `chunk` entries at a time (default 1024). */
export interface ScanRange extends KeyRange {
  readonly chunk?: number
}

/** Calls `visit` for every entry of the range, in order. */
export async function scanAll(store: KvStore, range: ScanRange, visit: (key: Buffer, value: Buffer) => void): Promise<void> {
  const chunk = range.chunk ?? 1024
  const bounds: KeyRange = { gt: range.gt, gte: range.gte, lt: range.lt, lte: range.lte, reverse: range.reverse }
  let next = bounds
  for (;;) {
    const entries = await store.range(next, chunk)
    for (const [k, v] of entries) visit(k, v)
    if (entries.length < chunk) return
    const last = entries[entries.length - 1]![0]
    // Continue past the last entry seen: replace the bound on the side the scan moves towards.
    next = bounds.reverse === true ? { gt: bounds.gt, gte: bounds.gte, lt: last, reverse: true } : { gt: last, lt: bounds.lt, lte: bounds.lte }
  }
}
