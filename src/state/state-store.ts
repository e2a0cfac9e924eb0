/**
 * What every state store has, whatever its kind. The typed interfaces (KeyValueStore, WindowStore,
 * SessionStore) extend it; persistent and in-memory stores implement the same ones.
 */

export const STORE_KINDS = ['keyValue', 'window', 'session'] as const
export type StoreKind = (typeof STORE_KINDS)[number]

export interface StateStore {
  readonly name: string
  readonly kind: StoreKind
  /** True when the store's data lives in the task's LevelDB (false: in memory). */
  readonly persistent: boolean
  /** True when the store writes a changelog topic (and restores from it). */
  readonly logged: boolean
  isOpen(): boolean
}

/**
 * A key's identity in a store: its serialized form, so equal keys that are different objects (a
 * JSON key, a Windowed key) meet. The built-in stores have it; the DSL's cached aggregations key
 * their pending Changes by it, and forward at once over a store without it.
 */
export interface KeyIdentity<K> {
  keyId(key: K): string
}

export function keyIdentityOf<K>(store: object): KeyIdentity<K> | undefined {
  return typeof (store as Partial<KeyIdentity<K>>).keyId === 'function' ? (store as KeyIdentity<K>) : undefined
}

export interface KeyValue<K, V> {
  readonly key: K
  readonly value: V
}

/** A time window: `start` inclusive, `end` exclusive for time windows, inclusive for sessions. */
export interface TimeWindow {
  readonly start: number
  readonly end: number
}

/** A key qualified by the window it belongs to (Kafka Streams' `Windowed<K>`). */
export interface Windowed<K> {
  readonly key: K
  readonly window: TimeWindow
}
