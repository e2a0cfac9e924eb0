import type { KeyValue, Windowed } from '../../state/state-store'
import type { WindowValue } from '../../state/window-store'

/**
 * What interactive queries return (Kafka Streams' ReadOnlyKeyValueStore, ReadOnlyWindowStore,
 * ReadOnlySessionStore): reads only, because the topology owns every write. Values are plain
 * (a DSL store's ValueAndTimestamp is unwrapped), as Kafka's QueryableStoreTypes.keyValueStore().
 */
export interface ReadOnlyKeyValueStore<K, V> {
  get(key: K): V | undefined
  /** Entries with `from <= key <= to`, task after task (each task's part in key order). */
  range(from?: K, to?: K): AsyncIterable<KeyValue<K, V>>
  all(): AsyncIterable<KeyValue<K, V>>
  approximateNumEntries(): Promise<number>
}

export interface ReadOnlyWindowStore<K, V> {
  /** The key's windows with `timeFrom <= start <= timeTo`, by start time. */
  fetch(key: K, timeFrom: number, timeTo: number): readonly WindowValue<V>[]
  fetchAll(timeFrom: number, timeTo: number): AsyncIterable<KeyValue<Windowed<K>, V>>
  all(): AsyncIterable<KeyValue<Windowed<K>, V>>
}

export interface ReadOnlySessionStore<K, V> {
  /** All live sessions of the key. */
  fetch(key: K): readonly KeyValue<Windowed<K>, V>[]
  fetchSession(key: K, sessionStart: number, sessionEnd: number): V | undefined
  all(): AsyncIterable<KeyValue<Windowed<K>, V>>
}

export type QueryableStoreType = 'keyValue' | 'window' | 'session'

export interface StoreQueryOptions {
  /** Which store kind the caller expects; a different one fails with STORE_TYPE_MISMATCH. Default keyValue. */
  readonly type?: QueryableStoreType
  /** Query only the task of this partition (Kafka's StoreQueryParameters.withPartition). */
  readonly partition?: number
  /**
   * Also answer while the app is REBALANCING (Kafka's enableStaleStores), from the tasks already
   * running. We have no standby replicas: restoring tasks are never read.
   */
  readonly staleStores?: boolean
}
