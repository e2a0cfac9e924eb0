/**
 * KvStore on classic-level: the only file of the embedded broker that imports it. One LevelDB
 * database holds every topic, log, group offset and transaction of a data directory.
 */
import { ClassicLevel } from 'classic-level'
import { StreamfoldError } from '../../../errors'
import type { KeyRange, KvEntry, KvOp, KvStore } from './kv-store'

export class LevelKvStore implements KvStore {
  private constructor(private readonly db: ClassicLevel<Buffer, Buffer>) {}

  static async open(dataDir: string): Promise<LevelKvStore> {
    const db = new ClassicLevel<Buffer, Buffer>(dataDir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
    try {
      await db.open()
    } catch (cause) {
      // LevelDB's LOCK file: a second process (or a second broker in this one) on the same dir.
      throw new StreamfoldError('BROKER_ERROR', `cannot open embedded broker data directory ${dataDir}`, { cause })
    }
    return new LevelKvStore(db)
  }

  async range(range: KeyRange, limit: number): Promise<KvEntry[]> {
    if (limit <= 0) return []
    // all() closes the iterator itself, on success and on error.
    return this.db.iterator({ ...definedBounds(range), reverse: range.reverse === true, limit }).all()
  }

  async write(ops: readonly KvOp[], sync: boolean): Promise<void> {
    if (ops.length === 0 && !sync) return
    if (ops.length === 0) {
      // An empty batch still goes through the write-ahead log, so this fsyncs earlier writes.
      await this.db.batch([], { sync: true })
      return
    }
    // A chained batch: abstract-level's array form checks and copies every operation in JS first
    // (about twice the main-thread time per op for the appends of a busy topic).
    const batch = this.db.batch()
    for (const op of ops) {
      if (op.type === 'put') batch.put(op.key, op.value)
      else batch.del(op.key)
    }
    await batch.write({ sync })
  }

  async clear(range: KeyRange): Promise<void> {
    await this.db.clear(definedBounds(range))
  }

  async close(): Promise<void> {
    await this.db.close()
  }
}

/** classic-level reads an `undefined` bound as a bound: pass only the ones that are set. */
function definedBounds(r: KeyRange): { gt?: Buffer; gte?: Buffer; lt?: Buffer; lte?: Buffer } {
  const out: { gt?: Buffer; gte?: Buffer; lt?: Buffer; lte?: Buffer } = {}
  if (r.gt !== undefined) out.gt = r.gt
  if (r.gte !== undefined) out.gte = r.gte
  if (r.lt !== undefined) out.lt = r.lt
  if (r.lte !== undefined) out.lte = r.lte
  return out
}
