/**
 * A bounded LRU of committed values, so hot keys never reach LevelDB. It holds only what LevelDB
 * holds (filled on read misses and when a commit lands), never uncommitted writes: a discarded
 * transaction therefore needs nothing from the cache, and the cache can never leak a rolled-back
 * value. A key known to be absent is cached too (as null), because a stateful operation reads
 * every new key once before writing it.
 *
 * The bound is on approximate bytes (keys, values and a fixed per-entry overhead), since a count
 * of entries says little when values range from 8 bytes to kilobytes.
 */

/** Map entry, string and hidden-class overhead per cached record, measured roughly on V8. */
const ENTRY_OVERHEAD = 80

export class RecordCache {
  // A Map iterates in insertion order: re-inserting on every hit makes the first key the least
  // recently used one.
  private readonly entries = new Map<string, Buffer | null>()
  private bytes = 0
  hits = 0
  misses = 0

  constructor(readonly maxBytes: number) {}

  get size(): number {
    return this.entries.size
  }

  get sizeBytes(): number {
    return this.bytes
  }

  /** The cached value, null when the key is known to be absent, undefined when not cached. */
  get(key: string): Buffer | null | undefined {
    const value = this.entries.get(key)
    if (value === undefined) {
      this.misses++
      return undefined
    }
    this.hits++
    this.entries.delete(key)
    this.entries.set(key, value)
    return value
  }

  set(key: string, value: Buffer | null): void {
    const previous = this.entries.get(key)
    if (previous !== undefined) {
      this.bytes -= entrySize(key, previous)
      this.entries.delete(key)
    }
    const size = entrySize(key, value)
    if (size > this.maxBytes) return
    this.entries.set(key, value)
    this.bytes += size
    if (this.bytes > this.maxBytes) this.evict()
  }

  delete(key: string): void {
    const previous = this.entries.get(key)
    if (previous === undefined) return
    this.bytes -= entrySize(key, previous)
    this.entries.delete(key)
  }

  clear(): void {
    this.entries.clear()
    this.bytes = 0
  }

  private evict(): void {
    for (const [key, value] of this.entries) {
      if (this.bytes <= this.maxBytes) return
      this.entries.delete(key)
      this.bytes -= entrySize(key, value)
    }
  }
}

function entrySize(key: string, value: Buffer | null): number {
  return key.length + (value === null ? 0 : value.length) + ENTRY_OVERHEAD
}
