/**
 * A bounded cache of committed values, so hot keys never reach LevelDB. It holds only what LevelDB
 * holds (filled on read misses and when a commit lands), never uncommitted writes: a discarded
 * transaction therefore needs nothing from the cache, and the cache can never leak a rolled-back
 * value. A key known to be absent is cached too (as null), because a stateful operation reads
 * every new key once before writing it.
 *
 * The bound is on approximate bytes (keys, values and a fixed per-entry overhead), since a count
 * of entries says little when values range from 8 bytes to kilobytes.
 */

/** Map entry, string and hidden-class overhead per cached record, measured roughly on V8. */
const ENTRY_OVERHEAD = 96
/** Eviction frees down to this share of the bound, so that it runs once per many inserts. */
const LOW_WATER = 0.9

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
  hits = 0
  misses = 0

  constructor(readonly maxBytes: number) {
    this.lowWater = Math.floor(maxBytes * LOW_WATER)
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
    if (size > this.maxBytes) {
      if (slot !== undefined) this.delete(key)
      return
    }
    if (slot === undefined) {
      this.slots.set(key, { value, size, referenced: false })
      this.bytes += size
    } else {
      this.bytes += size - slot.size
      slot.value = value
      slot.size = size
    }
    if (this.bytes > this.maxBytes) this.evict()
  }

  delete(key: string): void {
    const slot = this.slots.get(key)
    if (slot === undefined) return
    this.bytes -= slot.size
    this.slots.delete(key)
  }

  clear(): void {
    this.slots.clear()
    this.bytes = 0
  }

  private evict(): void {
    // Entries moved to the end are visited again in the same loop, now unreferenced: it ends.
    for (const [key, slot] of this.slots) {
      if (this.bytes <= this.lowWater) return
      this.slots.delete(key)
      if (slot.referenced) {
        slot.referenced = false
        this.slots.set(key, slot)
      } else {
        this.bytes -= slot.size
      }
    }
  }
}

function entrySize(key: string, value: Buffer | null): number {
  return key.length + (value === null ? 0 : value.length) + ENTRY_OVERHEAD
}
