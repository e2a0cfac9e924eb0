/**
 * The in-memory ByteDb: in-memory stores sit on it (they still write changelogs and restore from
 * them, like Kafka Streams' logged in-memory stores), and so does everything of a task that has no
 * state directory, such as one run by a test driver. No LevelDB is involved.
 *
 * Point reads are a Map lookup. The sorted key list that range scans need is rebuilt lazily, only
 * after keys were added or removed, since scans are rare next to point reads and writes.
 */
import { type ByteDb, type DbEntry, type DbOp, DEFAULT_CHUNK_SIZE } from './byte-db'

export class MemoryDb implements ByteDb {
  readonly persistent = false
  private readonly data = new Map<string, Buffer>()
  private sorted: string[] | undefined = []

  get size(): number {
    return this.data.size
  }

  getSync(key: string): Buffer | undefined {
    return this.data.get(key)
  }

  async *iterate(gte: string, lt: string, chunkSize = DEFAULT_CHUNK_SIZE): AsyncGenerator<readonly DbEntry[]> {
    const keys = this.sortedKeys()
    // Copy the range now: the snapshot must not see writes made while the caller iterates.
    const snapshot: DbEntry[] = []
    for (let i = lowerBound(keys, gte); i < keys.length; i++) {
      const key = keys[i]!
      if (key >= lt) break
      snapshot.push([key, this.data.get(key)!])
    }
    for (let i = 0; i < snapshot.length; i += chunkSize) yield snapshot.slice(i, i + chunkSize)
  }

  *iterateSync(gte: string, lt: string): Generator<DbEntry> {
    const keys = this.sortedKeys()
    for (let i = lowerBound(keys, gte); i < keys.length; i++) {
      const key = keys[i]!
      if (key >= lt) return
      yield [key, this.data.get(key)!]
    }
  }

  async write(ops: readonly DbOp[]): Promise<void> {
    this.apply(ops)
  }

  /** Synchronous write, for callers that are already past the point where a write could fail. */
  apply(ops: readonly DbOp[]): void {
    for (const op of ops) {
      if (op.type === 'put') {
        if (this.sorted !== undefined && !this.data.has(op.key)) this.sorted = undefined
        this.data.set(op.key, op.value)
      } else if (this.data.delete(op.key)) {
        this.sorted = undefined
      }
    }
  }

  private sortedKeys(): string[] {
    if (this.sorted === undefined) this.sorted = Array.from(this.data.keys()).sort(compareBinary)
    return this.sorted
  }
}

export function compareBinary(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (keys[mid]! < key) lo = mid + 1
    else hi = mid
  }
  return lo
}
