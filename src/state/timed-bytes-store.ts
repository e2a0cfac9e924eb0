/**
 * The engine under window and session stores (and the dedup id window): values addressed by
 * (key, times), expiring by retention, with every read the windowed aggregations need on the hot
 * path answered synchronously.
 *
 * Keys inside the store's keyspace (docs/state.md):
 *   'W' item key -> value      data, time-ordered, logged. item = time8(expiry) [+ time8(start)]
 *   'X' key      -> items      per-key index of the key's live items, sorted; unlogged
 *   'T'          -> time8      observed stream time (max expiry time written); unlogged
 * A window's item is its start (which is also its expiry time); a session's is end + start.
 *
 * Point reads are `get(key, item)`. "Which windows/sessions does this key have" (sliding windows,
 * session merging, join lookups) reads the 'X' index: one point read, so it is synchronous too,
 * and a binary search finds a time range in it. Keys written since the last commit keep their
 * index decoded until the commit's step 1 writes it (key-indexes.ts). Data is time-ordered so
 * `entries(from, to)` and the expiry purge are range scans.
 *
 * Retention follows Kafka Streams' segmented stores: an item is expired when its expiry time is
 * <= observed stream time - retention. Expired items are never returned, puts of expired items are
 * dropped (and counted), the index drops them when a commit writes it, and `purgeExpired` deletes
 * the rest after each commit. Those deletes are not logged: the changelog topic is
 * `compact,delete` with the same retention, and restore skips expired records.
 */
import { StreamfoldError } from '../errors'
import type { ChangelogEntry } from '../changelog/changelog-record'
import { binaryToTime, clampTime, fromBinary, TIME_WIDTH, timeToBinary, toBinary } from './binary-key'
import type { DbOp } from './byte-db'
import type { BytesStore } from './bytes-store'
import { INDEX, KeyIndexes } from './key-indexes'
import { firstAfter, firstAtOrAfter, insertItem, joinItems, removeItem, splitItems } from './sorted-items'
import type { StoreEngine } from './store-engine'
import { readInt64BE, writeInt64BE } from '../serdes/int64-bytes'

const DATA = 'W'
const STREAM_TIME = 'T'

export interface TimedBytesStoreOptions {
  readonly core: BytesStore
  readonly retentionMs: number
  /** Times per item: 1 for windows (start), 2 for sessions (end, start). */
  readonly arity: 1 | 2
}

/** A live item of a key, as the index lists it. */
export interface TimedEntry {
  readonly key: string
  readonly item: string
  readonly value: Buffer
}

export class TimedBytesStore implements StoreEngine {
  readonly core: BytesStore
  readonly retentionMs: number
  private readonly width: number
  private readonly indexes: KeyIndexes
  private streamTime: number
  private committedStreamTime: number
  /** The stream time written by the commit in flight (its step 1). */
  private preparedStreamTime: number
  private purgedUpTo = -Infinity
  /** Puts dropped because their window or session had already expired. */
  droppedExpired = 0

  constructor(options: TimedBytesStoreOptions) {
    this.core = options.core
    this.retentionMs = options.retentionMs
    this.width = TIME_WIDTH * options.arity
    this.indexes = new KeyIndexes(options.core, this.width)
    this.streamTime = this.loadStreamTime()
    this.committedStreamTime = this.streamTime
    this.preparedStreamTime = this.streamTime
  }

  /** Largest expiry time written so far (-Infinity before the first write). */
  get observedStreamTime(): number {
    return this.streamTime
  }

  isLive(expiryTime: number): boolean {
    return expiryTime > this.streamTime - this.retentionMs
  }

  get(key: string, item: string): Buffer | undefined {
    if (!this.isLive(binaryToTime(item))) return undefined
    return this.core.get(DATA + item + key)
  }

  /** Writes or (value null) deletes an item; returns false when it was dropped as expired. */
  put(key: string, item: string, value: Buffer | null): boolean {
    const expiry = binaryToTime(item)
    if (expiry > this.streamTime) this.streamTime = expiry
    if (!this.isLive(expiry)) {
      this.droppedExpired++
      return false
    }
    const dataKey = DATA + item + key
    const exists = this.core.get(dataKey) !== undefined
    if (value !== null) {
      if (!exists) this.indexes.insert(key, item)
      this.core.put(dataKey, value)
    } else if (exists) {
      this.indexes.remove(key, item)
      this.core.put(dataKey, null)
    }
    return true
  }

  /** The key's live items in time order (expiry time, then start). */
  items(key: string): string[] {
    const list = this.indexes.view(key)
    const out: string[] = []
    for (let i = firstAfter(list, this.streamTime - this.retentionMs); i < list.length; i++) out.push(list.at(i)!)
    return out
  }

  /**
   * The key's live items whose time (the first one, the expiry time) is in [from, to], in order:
   * a binary search for `from`, then a walk to `to`, so a key with many items costs what the
   * range holds.
   */
  itemsBetween(key: string, from: number, to: number): string[] {
    const list = this.indexes.view(key)
    const out: string[] = []
    const first = Math.max(firstAtOrAfter(list, from), firstAfter(list, this.streamTime - this.retentionMs))
    for (let i = first; i < list.length; i++) {
      const item = list.at(i)!
      if (binaryToTime(item) > to) break
      out.push(item)
    }
    return out
  }

  /** Live entries whose expiry time is in [from, to], ordered by time, then key. */
  async *entries(from: number, to: number): AsyncGenerator<TimedEntry> {
    const lower = Math.max(clampTime(from), clampTime(this.streamTime - this.retentionMs + 1))
    const upper = clampTime(to)
    if (lower > upper) return
    const gte = DATA + timeToBinary(lower)
    const lt = upper === Number.MAX_SAFE_INTEGER ? INDEX : DATA + timeToBinary(upper + 1)
    for await (const [k, value] of this.core.entries(gte, lt)) {
      const item = k.slice(1, 1 + this.width)
      if (this.isLive(binaryToTime(item))) yield { key: k.slice(1 + this.width), item, value }
    }
  }

  /** A time as the first component of an item. */
  static time(time: number): string {
    return timeToBinary(time)
  }

  // --- engine hooks -----------------------------------------------------------------------------

  beforePrepare(): void {
    // The commit holds the stream time of its step 1: records processed while it finishes in the
    // background (at_least_once) advance `streamTime` for the next commit, not this one.
    this.preparedStreamTime = this.streamTime
    // The indexes of this commit's writes go into the buffer it freezes; the ones of writes made
    // while it finishes are decoded afresh from there and flushed by the next commit.
    this.indexes.flush(this.streamTime - this.retentionMs, this.deleteExpired)
    if (this.streamTime !== this.committedStreamTime) {
      this.core.put(STREAM_TIME, fromBinary(timeToBinary(this.streamTime)), false)
    }
  }

  afterCommit(): void {
    this.committedStreamTime = this.preparedStreamTime
  }

  afterDiscard(): void {
    this.streamTime = this.committedStreamTime
    this.indexes.drop()
  }

  /** `W item key` -> key bytes + big-endian int64 times (Kafka Streams' window/session key layout). */
  changelogKey(internal: string): Buffer {
    const keyLength = internal.length - 1 - this.width
    const out = Buffer.allocUnsafe(keyLength + this.width)
    out.write(internal.slice(1 + this.width), 0, 'latin1')
    for (let t = 0; t < this.width; t += TIME_WIDTH) writeInt64BE(out, keyLength + t, binaryToTime(internal, 1 + t))
    return out
  }

  restoreChunk(entries: readonly ChangelogEntry[], ops: DbOp[]): void {
    const prefix = this.core.prefix
    // The chunk's index changes, keyed by key; read from the database once per key per chunk.
    const indexes = new Map<string, string[]>()
    const indexOf = (key: string): string[] => {
      let items = indexes.get(key)
      if (items === undefined) {
        items = splitItems(this.core.readCommitted(INDEX + key), this.width)
        indexes.set(key, items)
      }
      return items
    }
    for (const entry of entries) {
      const [key, item] = this.parseChangelogKey(entry.key)
      const expiry = binaryToTime(item)
      if (expiry > this.streamTime) this.streamTime = expiry
      const dataKey = prefix + DATA + item + key
      if (entry.value === null) {
        ops.push({ type: 'del', key: dataKey })
        removeItem(indexOf(key), item)
      } else if (this.isLive(expiry)) {
        ops.push({ type: 'put', key: dataKey, value: entry.value })
        insertItem(indexOf(key), item)
      }
    }
    const cutoff = this.streamTime - this.retentionMs
    for (const [key, items] of indexes) {
      const live = firstAfter(items, cutoff)
      for (let i = 0; i < live; i++) ops.push({ type: 'del', key: prefix + DATA + items[i]! + key })
      const value = joinItems(items, live)
      ops.push(value === null ? { type: 'del', key: prefix + INDEX + key } : { type: 'put', key: prefix + INDEX + key, value })
    }
    if (this.streamTime !== -Infinity) {
      ops.push({ type: 'put', key: prefix + STREAM_TIME, value: fromBinary(timeToBinary(this.streamTime)) })
    }
    this.committedStreamTime = this.streamTime
  }

  afterRestore(): void {
    this.indexes.drop()
    this.core.resetCache()
    this.streamTime = this.loadStreamTime()
    this.committedStreamTime = this.streamTime
  }

  async purgeExpired(limit: number): Promise<void> {
    const cutoff = this.streamTime - this.retentionMs
    if (cutoff === -Infinity || cutoff <= this.purgedUpTo) return
    const touched = new Set<string>()
    let purged = 0
    let complete = true
    for await (const [k] of this.core.entries(DATA, DATA + timeToBinary(clampTime(cutoff) + 1))) {
      if (purged++ >= limit) {
        complete = false // the rest waits for the next commit, to keep each commit short
        break
      }
      this.core.put(k, null, false)
      touched.add(k.slice(1 + this.width))
    }
    const latest = this.streamTime - this.retentionMs // stream time may have moved during the scan
    for (const key of touched) this.indexes.prune(key, latest, this.deleteExpired)
    if (complete) this.purgedUpTo = cutoff
  }

  // --- internals --------------------------------------------------------------------------------

  private parseChangelogKey(bytes: Buffer): [key: string, item: string] {
    const keyLength = bytes.length - this.width
    if (keyLength < 0) {
      throw new StreamfoldError('RESTORE_FAILED', 'changelog key too short for a windowed store', {
        store: this.core.name,
      })
    }
    let item = ''
    for (let t = keyLength; t < bytes.length; t += TIME_WIDTH) {
      item += timeToBinary(readInt64BE(bytes, t))
    }
    return [toBinary(bytes.subarray(0, keyLength)), item]
  }

  /** Deletes an expired item's data (unlogged: the changelog forgets it by its own retention). */
  private readonly deleteExpired = (key: string, item: string): void => {
    this.core.put(DATA + item + key, null, false)
  }

  private loadStreamTime(): number {
    const bytes = this.core.get(STREAM_TIME)
    return bytes === undefined ? -Infinity : binaryToTime(toBinary(bytes))
  }
}
