/**
 * Kafka Streams' KeyValueStore, with TypeScript idioms. Point operations are synchronous (the
 * processing hot path); scans are async because LevelDB iterators are. Keys are ordered by their
 * serialized bytes, so range scans follow the key serde's byte order (the numeric serdes are
 * order-preserving).
 */
import type { Serde } from '../serdes/serde'
import type { KeyValue, StateStore } from './state-store'

export interface KeyValueStore<K, V> extends StateStore {
  readonly kind: 'keyValue'
  /** The value (read-your-writes within the running transaction), or undefined. */
  get(key: K): V | undefined
  /** Writes `value`; `null` deletes the key (Kafka's tombstone). */
  put(key: K, value: V | null): void
  /** Writes only when the key is absent; returns the existing value when there was one. */
  putIfAbsent(key: K, value: V): V | undefined
  putAll(entries: Iterable<KeyValue<K, V>>): void
  /** Deletes the key; returns the value it had. */
  delete(key: K): V | undefined
  /** Entries with `from <= key <= to` in key order; an undefined bound is open. */
  range(from?: K, to?: K): AsyncIterable<KeyValue<K, V>>
  /** Entries whose serialized key starts with the serialized `prefix`. */
  prefixScan<P>(prefix: P, prefixSerde: Serde<P>): AsyncIterable<KeyValue<K, V>>
  all(): AsyncIterable<KeyValue<K, V>>
  /** The number of entries; counts by scanning, so it costs O(n) (diagnostics, tests). */
  approximateNumEntries(): Promise<number>
}
