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
}

export interface WindowedAggregateOptions<VA> extends AggregateOptions<VA> {
  /** How long windows are kept, in stream time; default and minimum: window size plus grace. */
  readonly retentionMs?: number
}
