/**
 * KvStore in memory: a sorted list of entries kept in chunks of at most CHUNK_MAX, so an insert in
 * the middle (partition logs interleave in the key space) moves a few hundred slots, not the whole
 * store. Writes apply synchronously but resolve asynchronously, like the durable store.
 */
import type { KeyRange, KvEntry, KvOp, KvStore } from './kv-store'

const CHUNK_MAX = 512

interface Entry {
  readonly key: Buffer
  value: Buffer
}

export class MemoryKvStore implements KvStore {
  /** Non-empty chunks, each sorted, every key of chunk i below every key of chunk i+1. */
  private chunks: Entry[][] = []
  private closed = false

  async range(range: KeyRange, limit: number): Promise<KvEntry[]> {
    this.assertOpen()
    const out: KvEntry[] = []
    if (limit <= 0) return out
    if (range.reverse === true) {
      let [c, i] = this.upperStart(range)
      while (c >= 0 && out.length < limit) {
        const chunk = this.chunks[c]!
        for (; i >= 0 && out.length < limit; i--) {
          const e = chunk[i]!
          if (belowLower(e.key, range)) return out
          out.push([e.key, Buffer.from(e.value)])
        }
        c--
        i = c >= 0 ? this.chunks[c]!.length - 1 : -1
      }
      return out
    }
    let [c, i] = this.lowerStart(range)
    while (c < this.chunks.length && out.length < limit) {
      const chunk = this.chunks[c]!
      for (; i < chunk.length && out.length < limit; i++) {
        const e = chunk[i]!
        if (aboveUpper(e.key, range)) return out
        // A copy: readers slice records out of values, and must never alias the stored bytes.
        out.push([e.key, Buffer.from(e.value)])
      }
      c++
      i = 0
    }
    return out
  }

  async write(ops: readonly KvOp[], _sync: boolean): Promise<void> {
    this.assertOpen()
    for (const op of ops) {
      // Ops hold buffers the broker built for this write and never touches again: no copy.
      if (op.type === 'put') this.put(op.key, op.value)
      else this.del(op.key)
    }
  }

  async clear(range: KeyRange): Promise<void> {
    this.assertOpen()
    const doomed = await this.range({ ...range, reverse: false }, Number.MAX_SAFE_INTEGER)
    for (const [key] of doomed) this.del(key)
  }

  async close(): Promise<void> {
    this.closed = true
  }

  private put(key: Buffer, value: Buffer): void {
    if (this.chunks.length === 0) {
      this.chunks.push([{ key, value }])
      return
    }
    const c = this.chunkFor(key)
    const chunk = this.chunks[c]!
    const i = search(chunk, key)
    const hit = chunk[i]
    if (hit !== undefined && hit.key.equals(key)) {
      hit.value = value
      return
    }
    chunk.splice(i, 0, { key, value })
    if (chunk.length > CHUNK_MAX) this.chunks.splice(c + 1, 0, chunk.splice(CHUNK_MAX / 2))
  }

  private del(key: Buffer): void {
    if (this.chunks.length === 0) return
    const c = this.chunkFor(key)
    const chunk = this.chunks[c]!
    const i = search(chunk, key)
    if (i < chunk.length && chunk[i]!.key.equals(key)) {
      chunk.splice(i, 1)
      if (chunk.length === 0) this.chunks.splice(c, 1)
    }
  }

  /** The chunk whose span holds `key`: the last chunk whose first key is <= key (or the first). */
  private chunkFor(key: Buffer): number {
    let lo = 0
    let hi = this.chunks.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (Buffer.compare(this.chunks[mid]![0]!.key, key) <= 0) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  /** Position of the first entry at or after the range's lower bound. */
  private lowerStart(range: KeyRange): [number, number] {
    const bound = range.gt ?? range.gte
    if (bound === undefined || this.chunks.length === 0) return [0, 0]
    const c = this.chunkFor(bound)
    const chunk = this.chunks[c]!
    let i = search(chunk, bound)
    if (range.gt !== undefined && i < chunk.length && chunk[i]!.key.equals(bound)) i++
    return [c, i]
  }

  /** Position of the last entry at or before the range's upper bound (chunk -1: none). */
  private upperStart(range: KeyRange): [number, number] {
    const last = this.chunks.length - 1
    const bound = range.lt ?? range.lte
    if (bound === undefined) return [last, last >= 0 ? this.chunks[last]!.length - 1 : -1]
    if (last < 0) return [-1, -1]
    const c = this.chunkFor(bound)
    const chunk = this.chunks[c]!
    let i = search(chunk, bound) // first entry >= bound
    if (range.lte !== undefined && i < chunk.length && chunk[i]!.key.equals(bound)) return [c, i]
    i--
    if (i >= 0) return [c, i]
    return c > 0 ? [c - 1, this.chunks[c - 1]!.length - 1] : [-1, -1]
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('MemoryKvStore is closed')
  }
}

/** Index of the first entry whose key is >= `key`. */
function search(chunk: readonly Entry[], key: Buffer): number {
  let lo = 0
  let hi = chunk.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (Buffer.compare(chunk[mid]!.key, key) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

function aboveUpper(key: Buffer, r: KeyRange): boolean {
  if (r.lt !== undefined) return Buffer.compare(key, r.lt) >= 0
  if (r.lte !== undefined) return Buffer.compare(key, r.lte) > 0
  return false
}

function belowLower(key: Buffer, r: KeyRange): boolean {
  if (r.gt !== undefined) return Buffer.compare(key, r.gt) <= 0
  if (r.gte !== undefined) return Buffer.compare(key, r.gte) < 0
  return false
}
