import type { Deserializer, Serde } from '../serdes/serde'
import { KTable, materializeTable } from './ktable'
import { asSerde, type StreamInfo } from './stream-info'
import { DslContext, type NamedOptions } from './dsl-context'
import { KStream } from './kstream'
import type { StoreSpec, TimestampExtractor } from './node-spec'
import type { Topology } from './topology'
import { GlobalKTable } from './global-ktable'
import type { GlobalStoreSpec } from './global-store-spec'
import { stableName } from './stable-name'
import { keyValueStoreSpec } from '../state/store-spec'
import { valueAndTimestampSerde } from '../processors/stateful/value-and-timestamp'

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
    return new KStream<K, V>(this.dsl, this.sourceInfo(name, topics, options))
  }

  /**
   * Reads a topic as a table: the latest value per key, kept in a store named `name` (default:
   * derived from the topic), a null value deleting the key.
   */
  table<K, V>(
    topic: string,
    options: StreamOptions<K, V> & { readonly key: Serde<K>; readonly value: Serde<V>; readonly inMemory?: boolean; readonly caching?: boolean },
  ): KTable<K, V> {
    const name = this.dsl.nodeName('KTABLE-SOURCE-STREAM-')
    this.dsl.graph.addSource(name, topic, options)
    const info = this.sourceInfo(name, topic, options)
    const { name: tableName, key, value, inMemory, caching } = options
    return materializeTable(this.dsl, info, { name: tableName, key, value, inMemory, caching }, 'table')
  }

  /**
   * Reads every partition of `topic` into a table held whole by every instance of the app
   * (Kafka Streams' GlobalKTable), in a store named `name` (default: derived from the topic). The
   * topic is read to its end before processing starts, then followed while the app runs; it is
   * the store's changelog, so it should be compacted.
   */
  globalTable<K, V>(topic: string, options: NamedOptions & { readonly key: Serde<K>; readonly value: Serde<V> }): GlobalKTable<K, V> {
    const storeName = options.name ?? stableName(topic, 'globalTable')
    const store = keyValueStoreSpec({
      name: storeName,
      keySerde: options.key,
      valueSerde: valueAndTimestampSerde(options.value),
      // Its topic is its changelog: nothing to log, and restore is reading the topic.
      logging: false,
    })
    const sourceName = this.dsl.nodeName('KSTREAM-SOURCE-')
    this.dsl.graph.addGlobalStore({
      store: store as GlobalStoreSpec['store'],
      topic,
      sourceName,
      processorName: this.dsl.nodeName('KTABLE-SOURCE-'),
      keyDeserializer: options.key as GlobalStoreSpec['keyDeserializer'],
      valueDeserializer: options.value as GlobalStoreSpec['valueDeserializer'],
    })
    return new GlobalKTable<K, V>(storeName, options.key, options.value)
  }

  private sourceInfo<K, V>(nodeName: string, topics: string | readonly string[], options: StreamOptions<K, V>): StreamInfo<K, V> {
    const list = typeof topics === 'string' ? [topics] : [...topics]
    return {
      nodeName,
      keyChanged: false,
      lineage: list.join('+'),
      keySerde: asSerde<K>(options.key),
      valueSerde: asSerde<V>(options.value),
    }
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
