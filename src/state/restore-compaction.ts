/**
 * One compaction of a store's key range after a restore that rebuilt most of it (docs/state.md,
 * "Restore"). A restore writes the changelog in its order, which is not key order, so it leaves a
 * full memtable of random keys, level-0 files and overlapping level-1 files that each span the
 * whole store: a point read then searches the memtable and several table files, 2-4x the cost of a
 * read of the compacted range, and LevelDB repairs the layout only slowly, as reads exhaust the
 * files' seek allowances. The compaction runs in the background (processing does not wait for
 * it): the data are the same before and after, only their layout changes. It is done in pieces of
 * bounded size (TaskDb.compactRange), so that closing the task waits for one piece at most.
 */
import type { ChangelogEntry } from '../changelog/changelog-record'
import { StreamfoldError } from '../errors'
import type { Logger } from '../logger'
import { prefixEnd } from './binary-key'
import type { TaskDb } from './task-db'

export interface StoreRange {
  readonly storeName: string
  /** The store's key prefix (binary string): its range is every key starting with it. */
  readonly prefix: string
}

interface Tracked extends StoreRange {
  readonly end: string
  /** Bytes of the range on disk before the restore. */
  readonly sizeBefore: number
  /** Key and value bytes the restore wrote into the range. */
  written: number
}

/**
 * Compacts, once a restore has finished, each range it rebuilt for the most part: it wrote at
 * least one write buffer (less sits in the memtable, as processing's own writes would) and at least
 * as much as the range held on disk before, so that the compaction rewrites no more than about
 * twice what the restore wrote, and a short catch-up over a large store does not rewrite the store.
 */
export class RestoreCompaction {
  private constructor(
    private readonly db: TaskDb,
    private readonly ranges: ReadonlyMap<string, Tracked>,
  ) {}

  /** Notes the size of each range before the restore writes into it. */
  static async prepare(db: TaskDb, stores: readonly StoreRange[]): Promise<RestoreCompaction> {
    const ranges = new Map<string, Tracked>()
    for (const { storeName, prefix } of stores) {
      const end = prefixEnd(prefix) ?? '\xff'.repeat(prefix.length + 1)
      ranges.set(storeName, { storeName, prefix, end, sizeBefore: await db.approximateSize(prefix, end), written: 0 })
    }
    return new RestoreCompaction(db, ranges)
  }

  /** Counts a restored chunk's bytes. */
  wrote(storeName: string, entries: readonly ChangelogEntry[]): void {
    const range = this.ranges.get(storeName)
    if (range === undefined) return
    let bytes = 0
    for (const { key, value } of entries) bytes += key.length + (value?.length ?? 0)
    range.written += bytes
  }

  /** Starts the compactions the restore calls for; they run in the background, one at a time. */
  start(logger: Logger): void {
    for (const range of this.ranges.values()) {
      if (range.written < this.db.writeBufferSize || range.written < range.sizeBefore) continue
      void this.compact(range, logger)
    }
  }

  private async compact({ storeName, prefix, end, written, sizeBefore }: Tracked, logger: Logger): Promise<void> {
    const started = performance.now()
    try {
      // Closed meanwhile (task revoked or app stopped): the pieces left no longer matter.
      const { pieces, complete } = await this.db.compactRange(prefix, end)
      if (!complete) return
      // Includes the wait for the compactions of other tasks (one runs at a time).
      const durationMs = Math.round(performance.now() - started)
      logger.info({ store: storeName, restoredBytes: written, sizeBefore, pieces, durationMs }, 'restored store compacted')
    } catch (error) {
      // Closed meanwhile (task revoked or app stopped): the compaction no longer matters.
      if (error instanceof StreamfoldError && error.code === 'STORE_CLOSED') return
      logger.warn({ store: storeName, err: error }, 'compacting a restored store failed; reads stay slower until LevelDB compacts it')
    }
  }
}
