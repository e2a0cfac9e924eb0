/**
 * A store as data (Kafka Streams' StoreBuilder): what the topology holds and what each task turns
 * into a store instance (task-stores.ts). The DSL makes these for its stateful operations; users
 * make them for the Processor API with the functions below and `TopologyBuilder.addStateStore`.
 */
import { StreamfoldError } from '../errors'
import type { Serde } from '../serdes/serde'
import { assertStoreName } from './key-space'
import type { StoreKind } from './state-store'

export interface StoreLogging {
  /** Write a changelog topic and restore from it (default true). */
  readonly enabled: boolean
  /** Changelog topic configs, merged over the defaults (changelog-topic.ts). */
  readonly topicConfig: Readonly<Record<string, string>>
}

interface StoreSpecBase<K, V> {
  readonly kind: StoreKind
  readonly name: string
  readonly keySerde: Serde<K>
  readonly valueSerde: Serde<V>
  /** In the task's LevelDB (true) or in memory (false). Both are restored from the changelog. */
  readonly persistent: boolean
  readonly logging: StoreLogging
  /**
   * The store's own bound on its record cache in bytes (persistent stores; 0 disables the cache).
   * Every cache also draws on the app's shared pool (`StreamsConfig.cacheMaxBytes`).
   */
  readonly cacheMaxBytes: number
}

export interface KeyValueStoreSpec<K, V> extends StoreSpecBase<K, V> {
  readonly kind: 'keyValue'
}

export interface WindowStoreSpec<K, V> extends StoreSpecBase<K, V> {
  readonly kind: 'window'
  readonly windowSizeMs: number
  /** How long windows are kept, in stream time; at least the window size plus grace. */
  readonly retentionMs: number
  /**
   * Keep every put instead of one value per key and time (Kafka Streams' retainDuplicates, what
   * stream-stream joins use): puts never overwrite, a null put does nothing, and fetches return
   * every value (duplicate-window-store.ts).
   */
  readonly retainDuplicates: boolean
}

export interface SessionStoreSpec<K, V> extends StoreSpecBase<K, V> {
  readonly kind: 'session'
  /** How long sessions are kept after their end, in stream time; at least the inactivity gap plus grace. */
  readonly retentionMs: number
}

// Specs erase their types in collections: type safety lives where the store is used.
/* eslint-disable-next-line @typescript-eslint/no-explicit-any */
export type StoreSpec<K = any, V = any> = KeyValueStoreSpec<K, V> | WindowStoreSpec<K, V> | SessionStoreSpec<K, V>

/**
 * No bound of the store's own: the app's pool (`StreamsConfig.cacheMaxBytes`, 10 MiB by default)
 * bounds every cache of every task together, as Kafka Streams' `statestore.cache.max.bytes`.
 */
export const DEFAULT_CACHE_MAX_BYTES = Number.MAX_SAFE_INTEGER

export interface StoreOptions<K, V> {
  readonly name: string
  readonly keySerde: Serde<K>
  readonly valueSerde: Serde<V>
  /** Default true. */
  readonly persistent?: boolean
  /** Default true; an object enables logging with extra changelog topic configs. */
  readonly logging?: boolean | { readonly topicConfig: Readonly<Record<string, string>> }
  /** The store's own record-cache bound in bytes; 0 disables caching. Default: only the app's pool. */
  readonly cacheMaxBytes?: number
}

export function keyValueStoreSpec<K, V>(options: StoreOptions<K, V>): KeyValueStoreSpec<K, V> {
  return Object.freeze({ kind: 'keyValue', ...base(options) })
}

export function windowStoreSpec<K, V>(
  options: StoreOptions<K, V> & { readonly windowSizeMs: number; readonly retentionMs: number; readonly retainDuplicates?: boolean },
): WindowStoreSpec<K, V> {
  const { windowSizeMs, retentionMs } = options
  assertDuration(options.name, 'windowSizeMs', windowSizeMs, 1)
  assertDuration(options.name, 'retentionMs', retentionMs, windowSizeMs)
  return Object.freeze({ kind: 'window', ...base(options), windowSizeMs, retentionMs, retainDuplicates: options.retainDuplicates ?? false })
}

export function sessionStoreSpec<K, V>(options: StoreOptions<K, V> & { readonly retentionMs: number }): SessionStoreSpec<K, V> {
  assertDuration(options.name, 'retentionMs', options.retentionMs, 0)
  return Object.freeze({ kind: 'session', ...base(options), retentionMs: options.retentionMs })
}

function base<K, V>(options: StoreOptions<K, V>): Omit<StoreSpecBase<K, V>, 'kind'> {
  assertStoreName(options.name)
  const logging = options.logging ?? true
  const cacheMaxBytes = options.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES
  if (!Number.isSafeInteger(cacheMaxBytes) || cacheMaxBytes < 0) {
    throw new StreamfoldError('CONFIG_INVALID', 'cacheMaxBytes must be a non-negative integer', { store: options.name })
  }
  return {
    name: options.name,
    keySerde: options.keySerde,
    valueSerde: options.valueSerde,
    persistent: options.persistent ?? true,
    logging: Object.freeze(
      typeof logging === 'boolean'
        ? { enabled: logging, topicConfig: Object.freeze({}) }
        : { enabled: true, topicConfig: Object.freeze({ ...logging.topicConfig }) },
    ),
    cacheMaxBytes,
  }
}

function assertDuration(store: string, what: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new StreamfoldError('CONFIG_INVALID', `${what} must be an integer >= ${min}`, { store })
  }
}
