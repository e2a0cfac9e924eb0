/**
 * Kafka Streams' WindowStore: values per (key, window start), kept for `retentionMs` of stream
 * time. Every read a windowed aggregation makes per record is synchronous, including the range
 * fetch sliding windows need (served from a per-key index of window starts).
 */
import type { KeyValue, StateStore, Windowed } from './state-store'

export interface WindowValue<V> {
  readonly windowStart: number
  readonly value: V
}

export interface WindowStore<K, V> extends StateStore {
  readonly kind: 'window'
  readonly windowSizeMs: number
  readonly retentionMs: number
  /** Largest window start written so far; windows starting at or before this - retention are gone. */
  readonly observedStreamTime: number
  /** Writes the window's value (`null` deletes it). A window already expired is dropped. */
  put(key: K, value: V | null, windowStart: number): void
  /** The value of one window. */
  fetch(key: K, windowStart: number): V | undefined
  /** The key's windows with `timeFrom <= start <= timeTo`, by start time. */
  fetch(key: K, timeFrom: number, timeTo: number): readonly WindowValue<V>[]
  /** Every key's windows with `timeFrom <= start <= timeTo`, by start time. */
  fetchAll(timeFrom: number, timeTo: number): AsyncIterable<KeyValue<Windowed<K>, V>>
  all(): AsyncIterable<KeyValue<Windowed<K>, V>>
}
