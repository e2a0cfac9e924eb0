import type { Deserializer } from '../serdes/serde'
import { DslContext, type NamedOptions } from './dsl-context'
import { KStream } from './kstream'
import type { StoreSpec, TimestampExtractor } from './node-spec'
import type { Topology } from './topology'

export interface StreamOptions<K, V> extends NamedOptions {
  readonly key: Deserializer<K>
  readonly value: Deserializer<V>
  /** Event time of each record; default: the record's own (producer or log-append) timestamp. */
  readonly timestampExtractor?: TimestampExtractor<K, V>
}

/**
 * Entry point of the DSL (Kafka Streams' StreamsBuilder): declare input streams, chain
 * operations, then `build()` an immutable, validated Topology.
 */
export class StreamBuilder {
  private readonly dsl = new DslContext()

  stream<K, V>(topics: string | readonly string[], options: StreamOptions<K, V>): KStream<K, V> {
    const name = this.dsl.nodeName('KSTREAM-SOURCE-', options)
    this.dsl.graph.addSource(name, topics, options)
    return new KStream<K, V>(this.dsl, name, false)
  }

  /** Registers a state store for Processor API processors (connect it with `process(..., { stores })`). */
  addStateStore(store: StoreSpec): this {
    this.dsl.graph.addStateStore(store)
    return this
  }

  build(): Topology {
    return this.dsl.graph.build()
  }
}
