/**
 * The per-key item indexes of one timed store (`X` key -> the key's items, docs/state.md), with
 * the indexes of keys written since the last commit held decoded.
 *
 * An index is one stored value per key. Rewriting it whole on every new item made a put O(n) in
 * the key's items: about 1.2 ms per record for a join key with 10k records in its store. So a
 * key's first write after a commit decodes its index into a sorted array, later writes insert
 * into that array (an append for items in time order, else a binary search), and `flush()`
 * writes each changed index into the write buffer once, at the commit's step 1 (the engine's
 * beforePrepare), so a commit holds the indexes of exactly the writes it holds. Reads take the
 * array when there is one, and otherwise binary-search the stored value in place.
 *
 * The arrays belong to the running transaction: they are dropped with it (discard, restore),
 * and their memory is counted with its write buffer (`maxUncommittedBytes`).
 */
import type { BytesStore } from './bytes-store'
import { entrySize, indexItemSize } from './entry-size'
import { firstAfter, insertItem, type ItemList, joinItems, removeItem, splitItems, StoredItems } from './sorted-items'

/** The index's prefix in the store's keyspace. */
export const INDEX = 'X'

/** Called for each expired item an index drops, so that the engine deletes its data. */
export type ExpiredItem = (key: string, item: string) => void

export class KeyIndexes {
  /** Decoded indexes of the keys written since the last flush, expired items included. */
  private readonly changed = new Map<string, string[]>()
  private readonly itemBytes: number

  constructor(
    private readonly core: BytesStore,
    private readonly width: number,
  ) {
    this.itemBytes = indexItemSize(width)
  }

  /** The key's items, sorted, expired ones included: the running transaction's version. */
  view(key: string): ItemList {
    const items = this.changed.get(key)
    // A closed store must throw on reads; the core's get does.
    return items !== undefined && this.core.isOpen ? items : new StoredItems(this.core.get(INDEX + key), this.width)
  }

  insert(key: string, item: string): void {
    if (insertItem(this.writable(key), item)) this.core.countUncommitted(this.itemBytes)
  }

  remove(key: string, item: string): void {
    removeItem(this.writable(key), item)
  }

  /**
   * Drops the key's items with a time at or before `cutoff` (the purge after a commit). A key
   * not written since the last flush is rewritten in the write buffer at once.
   */
  prune(key: string, cutoff: number, expired: ExpiredItem): void {
    const items = this.changed.get(key)
    if (items === undefined) {
      this.write(key, splitItems(this.core.get(INDEX + key), this.width), cutoff, expired)
      return
    }
    const live = firstAfter(items, cutoff)
    for (let i = 0; i < live; i++) expired(key, items[i]!)
    items.splice(0, live)
  }

  /** Writes every changed index into the write buffer without its items at or before `cutoff`. */
  flush(cutoff: number, expired: ExpiredItem): void {
    for (const [key, items] of this.changed) this.write(key, items, cutoff, expired)
    this.changed.clear()
  }

  /** Forgets the changed indexes: the write buffer holding their writes was dropped. */
  drop(): void {
    this.changed.clear()
  }

  private writable(key: string): string[] {
    let items = this.changed.get(key)
    if (items === undefined) {
      items = splitItems(this.core.get(INDEX + key), this.width)
      this.changed.set(key, items)
      this.core.countUncommitted(entrySize(key, null) + items.length * this.itemBytes)
    }
    return items
  }

  private write(key: string, items: readonly string[], cutoff: number, expired: ExpiredItem): void {
    const live = firstAfter(items, cutoff)
    for (let i = 0; i < live; i++) expired(key, items[i]!)
    this.core.put(INDEX + key, joinItems(items, live), false)
  }
}
