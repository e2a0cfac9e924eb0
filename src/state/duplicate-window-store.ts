/**
 * A window store that keeps every put (Kafka Streams' window store with retainDuplicates): the
 * store a stream-stream join keeps each side's records in, where several records of one key at
 * one timestamp must all join. Each put gets its own item `time8(timestamp) time8(sequence)` in
 * the timed engine (arity 2, so expiry still follows the timestamp). The sequence is one more
 * than the largest one the key already has at that timestamp, read from the key's index: it is
 * derived from the store's contents, so it stays unique after a restart or restore.
 *
 * Changelog key: key bytes + int64 timestamp + int64 sequence (docs/state.md). fetchAll and all
 * (inherited) list every duplicate.
 */
import type { Serde } from '../serdes/serde'
import { binaryToTime, TIME_WIDTH } from './binary-key'
import type { BytesStore } from './bytes-store'
import type { StoreInstance } from './store-factory'
import type { WindowStoreSpec } from './store-spec'
import { TimedBytesStore } from './timed-bytes-store'
import { TypedWindowStore } from './typed-window-store'
import type { WindowValue } from './window-store'

export class DuplicateWindowStore<K, V> extends TypedWindowStore<K, V> {
  /** Adds a value at `timestamp`; a null value does nothing (there is nothing to retract). */
  override put(key: K, value: V | null, timestamp: number): void {
    if (value === null) return
    const binary = this.binaryKey(key)
    const time = TimedBytesStore.time(timestamp)
    // Items sort by time, then sequence: the key's last one at `timestamp` is found from the end,
    // at once for records arriving in time order (a hot key's index is long).
    const items = this.engine.items(binary)
    let sequence = 0
    for (let i = items.length - 1; i >= 0; i--) {
      const item = items[i]!
      if (item.startsWith(time)) {
        sequence = binaryToTime(item, TIME_WIDTH) + 1
        break
      }
      if (item < time) break
    }
    this.engine.put(binary, time + TimedBytesStore.time(sequence), this.serializeValue(value))
  }

  /** The first value put at `timestamp`. */
  override fetch(key: K, timestamp: number): V | undefined
  /** Every value with `timeFrom <= timestamp <= timeTo`, by timestamp, then in the order put. */
  override fetch(key: K, timeFrom: number, timeTo: number): readonly WindowValue<V>[]
  override fetch(key: K, from: number, to?: number): V | undefined | readonly WindowValue<V>[] {
    const binary = this.binaryKey(key)
    const found: WindowValue<V>[] = []
    for (const item of this.engine.items(binary)) {
      const windowStart = binaryToTime(item)
      if (windowStart < from) continue
      if (windowStart > (to ?? from)) break
      const value = this.valueOf(this.engine.get(binary, item))
      if (value !== undefined) found.push({ windowStart, value })
    }
    return to === undefined ? found[0]?.value : found
  }
}

/** The store instance of a `retainDuplicates` window spec (store-factory.ts). */
export function duplicateWindowStore(
  spec: WindowStoreSpec<unknown, unknown>,
  core: BytesStore,
  common: { readonly keySerde: Serde<unknown>; readonly valueSerde: Serde<unknown>; readonly logged: boolean; readonly serdeTopic: string },
  changelogTopic: string | undefined,
): StoreInstance {
  const engine = new TimedBytesStore({ core, retentionMs: spec.retentionMs, arity: 2 })
  const facade = new DuplicateWindowStore({ engine, windowSizeMs: spec.windowSizeMs, ...common })
  return { name: spec.name, engine, changelogTopic, facade }
}
