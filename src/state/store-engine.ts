/**
 * The side of a store that TaskStores drives (commit, restore, expiry), as opposed to the typed
 * face processors use. One engine per store kind: the key-value one is the identity; the timed one
 * (timed-bytes-store.ts) adds per-key indexes and retention.
 */
import type { ChangelogEntry } from '../changelog/changelog-record'
import { fromBinary, toBinary } from './binary-key'
import type { DbOp } from './byte-db'
import type { BytesStore } from './bytes-store'

export interface StoreEngine {
  readonly core: BytesStore
  /** Last writes into the buffer before it is frozen (e.g. the store's stream time). */
  beforePrepare(): void
  afterCommit(): void
  afterDiscard(): void
  /** The changelog key of a logged internal key. */
  changelogKey(key: string): Buffer
  /** Turns restored changelog entries into database operations (full keys, prefix included). */
  restoreChunk(entries: readonly ChangelogEntry[], ops: DbOp[]): void
  /** Restore wrote the database directly: drop what was derived from the old contents. */
  afterRestore(): void
  /** Deletes expired data through the write buffer; a no-op for stores without retention. */
  purgeExpired(limit: number): Promise<void>
}

export class KeyValueEngine implements StoreEngine {
  constructor(readonly core: BytesStore) {}

  beforePrepare(): void {}
  afterCommit(): void {}
  afterDiscard(): void {}

  changelogKey(key: string): Buffer {
    return fromBinary(key)
  }

  restoreChunk(entries: readonly ChangelogEntry[], ops: DbOp[]): void {
    const prefix = this.core.prefix
    for (const { key, value } of entries) {
      const full = prefix + toBinary(key)
      ops.push(value === null ? { type: 'del', key: full } : { type: 'put', key: full, value })
    }
  }

  afterRestore(): void {
    this.core.resetCache()
  }

  async purgeExpired(): Promise<void> {}
}
