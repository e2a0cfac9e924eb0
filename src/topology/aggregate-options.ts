import type { Serde } from '../serdes/serde'
import type { NamedOptions } from './dsl-context'

/**
 * Options of count/reduce/aggregate (Kafka Streams' Materialized): `name` names the store (and
 * its changelog topic `${applicationId}-${name}-changelog`). Unnamed stores get a name derived
 * from the operation's lineage, which does not change when unrelated nodes are added.
 */
export interface AggregateOptions<VA> extends NamedOptions {
  /** Serde of the aggregate; for count and reduce it defaults to what is known. */
  readonly value?: Serde<VA>
  /** Keep the store in memory instead of LevelDB (still logged and restored). */
  readonly inMemory?: boolean
  /**
   * Kafka Streams' `Materialized.withCachingEnabled()` / `withCachingDisabled()`. Default true: the
   * store has a record cache, and the result forwards one update per key per commit (the latest,
   * with the value forwarded before it as old value) instead of one per input record: count,
   * reduce and aggregate of grouped streams and tables and of every kind of window, and
   * `table()` / `toTable()`. false: every update goes downstream at once (lowest latency, the
   * most output), and reads of this store skip the cache.
   */
  readonly caching?: boolean
}

/** The store-spec field that carries `caching` (0 turns the store's cache off). */
export function cacheBytesOf(options: { readonly caching?: boolean }): { cacheMaxBytes?: number } {
  return options.caching === false ? { cacheMaxBytes: 0 } : {}
}

export interface WindowedAggregateOptions<VA> extends AggregateOptions<VA> {
  /** How long windows are kept, in stream time; default and minimum: window size plus grace. */
  readonly retentionMs?: number
}
