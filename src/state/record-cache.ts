/**
 * A bounded cache of committed values, so hot keys never reach LevelDB. It holds only what LevelDB
 * holds (filled on read misses and when a commit lands), never uncommitted writes: a discarded
 * transaction therefore needs nothing from the cache, and the cache can never leak a rolled-back
 * value. A key known to be absent is cached too (as null), because a stateful operation reads
 * every new key once before writing it.
 *
 * The bound is on bytes (keys, values and a measured per-entry overhead), since a count of entries
 * says little when values range from 8 bytes to kilobytes. Every cache draws on a `CachePool`
 * shared by all stores of all tasks of an app (Kafka Streams' `statestore.cache.max.bytes`); a
 * store may also have its own, lower bound.
 */
import { entrySize } from './entry-size'

/** Eviction frees down to this share of the bound, so that it runs once per many inserts. */
const LOW_WATER = 0.9

/**
 * Bytes shared by several caches. An insert that overflows the pool evicts from the cache it went
 * into, as Kafka Streams' ThreadCache does, unless that cache holds less than an even share: then
 * from the largest, so that the caches of idle stores cannot starve the busy ones.
 */
export class CachePool {
  /** Bytes accounted over every cache drawing on the pool. */
  bytes = 0
  /** The caches holding entries (an emptied or closed cache leaves). */
  readonly caches = new Set<RecordCache>()

  constructor(readonly maxBytes: number) {}

  victim(inserting: RecordCache): RecordCache {
    if (inserting.sizeBytes * this.caches.size >= this.bytes) return inserting
    let largest = inserting
    for (const cache of this.caches) if (cache.sizeBytes > largest.sizeBytes) largest = cache
    return largest
  }
}

/** Caches made without a pool (unit tests of a store alone) are bounded only by their own size. */
const UNSHARED = new CachePool(Number.MAX_SAFE_INTEGER)
let ambientPool: CachePool | undefined

/**
 * Runs `build` so that the caches it creates draw on `pool`. Stores create their cache themselves
 * (BytesStore), from options that carry no pool; the task opener wraps their creation in this.
 */
export function withCachePool<T>(pool: CachePool, build: () => T): T {
  const outer = ambientPool
  ambientPool = pool
  try {
    return build()
  } finally {
    ambientPool = outer
  }
}

interface Slot {
  value: Buffer | null
  size: number
  /** Read since the eviction hand last passed (CLOCK's reference bit). */
  referenced: boolean
}

/**
 * CLOCK, an LRU approximation: a hit only sets a flag, where a strict LRU would move the entry
 * (a Map delete plus set, which costs more than the lookup it saves). Eviction walks the Map in
 * insertion order, gives referenced entries a second chance (clears the flag, moves them to the
 * end) and drops the others.
 */
export class RecordCache {
  private readonly slots = new Map<string, Slot>()
  private bytes = 0
  private readonly lowWater: number
  private readonly pool: CachePool
  hits = 0
  misses = 0

  constructor(readonly maxBytes: number) {
    this.lowWater = Math.floor(maxBytes * LOW_WATER)
    this.pool = ambientPool ?? UNSHARED
  }

  get size(): number {
    return this.slots.size
  }

  get sizeBytes(): number {
    return this.bytes
  }

  /** The cached value, null when the key is known to be absent, undefined when not cached. */
  get(key: string): Buffer | null | undefined {
    const slot = this.slots.get(key)
    if (slot === undefined) {
      this.misses++
      return undefined
    }
    this.hits++
    slot.referenced = true
    return slot.value
  }

  set(key: string, value: Buffer | null): void {
    const size = entrySize(key, value)
    const slot = this.slots.get(key)
    if (size > this.maxBytes || size > this.pool.maxBytes) {
      if (slot !== undefined) this.delete(key)
      return
    }
    if (slot === undefined) {
      this.slots.set(key, { value, size, referenced: false })
      this.grow(size)
    } else {
      this.grow(size - slot.size)
      slot.value = value
      slot.size = size
    }
    if (this.bytes > this.maxBytes) this.shrinkTo(this.lowWater)
    const overflow = this.pool.bytes - this.pool.maxBytes
    if (overflow > 0) {
      // The overflow plus a tenth of the victim: the next eviction is many inserts away, and no
      // cache drops all its hot entries for another's growth in one go.
      const victim = this.pool.victim(this)
      victim.shrinkTo(Math.floor(victim.bytes * LOW_WATER) - overflow)
    }
  }

  delete(key: string): void {
    const slot = this.slots.get(key)
    if (slot === undefined) return
    this.grow(-slot.size)
    this.slots.delete(key)
  }

  clear(): void {
    this.slots.clear()
    this.grow(-this.bytes)
  }

  private grow(delta: number): void {
    const was = this.bytes
    this.bytes += delta
    this.pool.bytes += delta
    if (was === 0 && this.bytes > 0) this.pool.caches.add(this)
    else if (was > 0 && this.bytes === 0) this.pool.caches.delete(this)
  }

  private shrinkTo(target: number): void {
    // Entries moved to the end are visited again in the same loop, now unreferenced: it ends, at
    // the latest when this cache is empty.
    for (const [key, slot] of this.slots) {
      if (this.bytes <= target) return
      this.slots.delete(key)
      if (slot.referenced) {
        slot.referenced = false
        this.slots.set(key, slot)
      } else {
        this.grow(-slot.size)
      }
    }
  }
}
