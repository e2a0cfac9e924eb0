import type { ProcessorSupplier } from '../processors/processor'
import type { KeyValuePair } from '../processors/stream-record'
import { filterProcessor, type Predicate } from '../processors/stateless/filter-processor'
import { flatMapProcessor, flatMapValuesProcessor } from '../processors/stateless/flat-map-processor'
import { mapProcessor, mapValuesProcessor, selectKeyProcessor } from '../processors/stateless/map-processor'
import { passThroughProcessor } from '../processors/stateless/pass-through-processor'
import { peekProcessor, type ForeachAction } from '../processors/stateless/peek-processor'
import type { Serializer } from '../serdes/serde'
import { BranchedKStream } from './branched-kstream'
import type { DslContext, NamedOptions } from './dsl-context'
import type { StreamPartitioner, TopicNameExtractor } from './node-spec'

export interface ToOptions<K, V> extends NamedOptions {
  /** Never called with null: null keys and values are written as null. */
  readonly key: Serializer<NonNullable<K>>
  readonly value: Serializer<NonNullable<V>>
  readonly partitioner?: StreamPartitioner<K, V>
}

export interface ProcessOptions extends NamedOptions {
  /** Names of stores (added with `StreamBuilder.addStateStore`) the processor may use. */
  readonly stores?: readonly string[]
}

/**
 * An unbounded stream of records, Kafka Streams' KStream. Every operation adds a node and
 * returns a new KStream; the generics follow the data, so a mismatched serde or mapper in a
 * chain fails to compile. Lambdas take `(key, value)` everywhere.
 */
export class KStream<K, V> {
  /** @internal create streams with StreamBuilder.stream() */
  constructor(
    private readonly dsl: DslContext,
    /** @internal the node this stream's records come out of */
    readonly nodeName: string,
    /** @internal true after an operation that may have changed the key (map, selectKey, ...):
     *  a later stateful operation must repartition first, as in Kafka Streams. */
    readonly keyChanged: boolean,
  ) {}

  filter(predicate: Predicate<K, V>, options?: NamedOptions): KStream<K, V> {
    return this.add('KSTREAM-FILTER-', filterProcessor(predicate, false), this.keyChanged, options)
  }

  filterNot(predicate: Predicate<K, V>, options?: NamedOptions): KStream<K, V> {
    return this.add('KSTREAM-FILTER-', filterProcessor(predicate, true), this.keyChanged, options)
  }

  map<KR, VR>(mapper: (key: K, value: V) => KeyValuePair<KR, VR>, options?: NamedOptions): KStream<KR, VR> {
    return this.add('KSTREAM-MAP-', mapProcessor(mapper), true, options)
  }

  mapValues<VR>(mapper: (key: K, value: V) => VR, options?: NamedOptions): KStream<K, VR> {
    return this.add('KSTREAM-MAPVALUES-', mapValuesProcessor(mapper), this.keyChanged, options)
  }

  flatMap<KR, VR>(mapper: (key: K, value: V) => Iterable<KeyValuePair<KR, VR>>, options?: NamedOptions): KStream<KR, VR> {
    return this.add('KSTREAM-FLATMAP-', flatMapProcessor(mapper), true, options)
  }

  flatMapValues<VR>(mapper: (key: K, value: V) => Iterable<VR>, options?: NamedOptions): KStream<K, VR> {
    return this.add('KSTREAM-FLATMAPVALUES-', flatMapValuesProcessor(mapper), this.keyChanged, options)
  }

  selectKey<KR>(mapper: (key: K, value: V) => KR, options?: NamedOptions): KStream<KR, V> {
    return this.add('KSTREAM-KEY-SELECT-', selectKeyProcessor(mapper), true, options)
  }

  peek(action: ForeachAction<K, V>, options?: NamedOptions): KStream<K, V> {
    return this.add('KSTREAM-PEEK-', peekProcessor(action, true), this.keyChanged, options)
  }

  /** Terminal: calls `action` for every record. */
  foreach(action: ForeachAction<K, V>, options?: NamedOptions): void {
    this.add('KSTREAM-FOREACH-', peekProcessor(action, false), this.keyChanged, options)
  }

  /** Routes each record to the first branch whose predicate matches (see BranchedKStream). */
  split<P extends string = string>(options?: { readonly name?: P }): BranchedKStream<K, V, P> {
    const name = this.dsl.nodeName('KSTREAM-BRANCH-', options)
    return new BranchedKStream<K, V, P>(this.dsl, this.nodeName, name, this.keyChanged)
  }

  /** Records of both streams, interleaved in processing order. */
  merge(other: KStream<K, V>, options?: NamedOptions): KStream<K, V> {
    const name = this.dsl.nodeName('KSTREAM-MERGE-', options)
    this.dsl.graph.addProcessor(name, passThroughProcessor<K, V>(), this.nodeName, other.nodeName)
    return new KStream<K, V>(this.dsl, name, this.keyChanged || other.keyChanged)
  }

  /** Terminal: writes every record to `topic`, or to the topic `topic(key, value, context)` names. */
  to(topic: string | TopicNameExtractor<K, V>, options: ToOptions<K, V>): void {
    const name = this.dsl.nodeName('KSTREAM-SINK-', options)
    this.dsl.graph.addSink(name, topic, options, this.nodeName)
  }

  /** Runs a Processor API processor; its forwarded records form the returned stream. */
  process<KOut = never, VOut = never>(
    supplier: ProcessorSupplier<K, V, KOut, VOut>,
    options?: ProcessOptions,
  ): KStream<KOut, VOut> {
    const name = this.dsl.nodeName('KSTREAM-PROCESSOR-', options)
    this.dsl.graph.addProcessor(name, supplier, this.nodeName)
    if (options?.stores !== undefined && options.stores.length > 0) {
      this.dsl.graph.connectProcessorAndStateStores(name, ...options.stores)
    }
    return new KStream<KOut, VOut>(this.dsl, name, true)
  }

  private add<KR, VR>(
    prefix: string,
    supplier: ProcessorSupplier<K, V, KR, VR>,
    keyChanged: boolean,
    options: NamedOptions | undefined,
  ): KStream<KR, VR> {
    const name = this.dsl.nodeName(prefix, options)
    this.dsl.graph.addProcessor(name, supplier, this.nodeName)
    return new KStream<KR, VR>(this.dsl, name, keyChanged)
  }
}
