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
    // Items sort by time, then sequence: the key's last one at this time has the largest. (The
    // time as encoded: a fractional timestamp is stored as a whole millisecond.)
    const encoded = binaryToTime(time)
    const same = this.engine.itemsBetween(binary, encoded, encoded)
    const last = same[same.length - 1]
    const sequence = last === undefined ? 0 : binaryToTime(last, TIME_WIDTH) + 1
    this.engine.put(binary, time + TimedBytesStore.time(sequence), this.serializeValue(value))
  }

  /** The first value put at `timestamp`. */
  override fetch(key: K, timestamp: number): V | undefined
  /** Every value with `timeFrom <= timestamp <= timeTo`, by timestamp, then in the order put. */
  override fetch(key: K, timeFrom: number, timeTo: number): readonly WindowValue<V>[]
  override fetch(key: K, from: number, to?: number): V | undefined | readonly WindowValue<V>[] {
    const binary = this.binaryKey(key)
    const found: WindowValue<V>[] = []
    for (const item of this.engine.itemsBetween(binary, from, to ?? from)) {
      const value = this.valueOf(this.engine.get(binary, item))
      if (value === undefined) continue
      if (to === undefined) return value
      found.push({ windowStart: binaryToTime(item), value })
    }
    return to === undefined ? undefined : found
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
