import type { Serde } from '../serdes/serde'

/** What a KStream or KTable knows about the node its records come out of. */
export interface StreamInfo<K, V> {
  readonly nodeName: string
  /** True after an operation that may have changed the key (map, selectKey, process, ...): a
   *  later stateful operation repartitions first, as in Kafka Streams. */
  readonly keyChanged: boolean
  /** Source topics and operations leading here; unnamed stores and topics are named from it. */
  readonly lineage: string
  /** Serdes known to fit the records (inherited while the types do not change). */
  readonly keySerde: Serde<K> | undefined
  readonly valueSerde: Serde<V> | undefined
}

/** A serde if `x` is a whole one (a source may be given only a deserializer). */
export function asSerde<T>(x: unknown): Serde<T> | undefined {
  const s = x as Partial<Serde<T>> | undefined
  return s !== undefined && typeof s.serialize === 'function' && typeof s.deserialize === 'function' ? (s as Serde<T>) : undefined
}
