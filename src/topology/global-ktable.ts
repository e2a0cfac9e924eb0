import type { Serde } from '../serdes/serde'

/**
 * A table fully replicated on every instance of the app (Kafka Streams' GlobalKTable): it holds
 * every partition of its topic, so a stream joins it on any key its records carry, with no
 * co-partitioning and no repartition. Join it with `KStream.join(globalTable, keySelector,
 * joiner)` / `leftJoin`. Created by `StreamBuilder.globalTable`.
 */
export class GlobalKTable<K, V> {
  /** @internal */
  constructor(
    /** The store holding the table, for getKeyValueStore() in tests and interactive queries. */
    readonly queryableStoreName: string,
    /** @internal */
    readonly keySerde: Serde<K>,
    /** @internal */
    readonly valueSerde: Serde<V>,
  ) {}
}
