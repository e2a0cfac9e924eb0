import type { ProcessorSupplier } from '../processors/processor'
import type { KeyValuePair } from '../processors/stream-record'
import { filterProcessor, type Predicate } from '../processors/stateless/filter-processor'
import { flatMapProcessor, flatMapValuesProcessor } from '../processors/stateless/flat-map-processor'
import { mapProcessor, mapValuesProcessor, selectKeyProcessor } from '../processors/stateless/map-processor'
import { passThroughProcessor } from '../processors/stateless/pass-through-processor'
import { peekProcessor, type ForeachAction } from '../processors/stateless/peek-processor'
import type { Serde, Serializer } from '../serdes/serde'
import { KGroupedStream } from './kgrouped-stream'
import { KTable, materializeTable, type TableOptions } from './ktable'
import { extendLineage, stableName } from './stable-name'
import { requireSerde } from './require-serde'
import type { StreamInfo } from './stream-info'
import { BranchedKStream } from './branched-kstream'
import type { DslContext, NamedOptions } from './dsl-context'
import type { StreamPartitioner, TopicNameExtractor } from './node-spec'
import { streamTableJoin, type StreamTableJoinOptions } from './stream-table-join'
import { streamStreamJoin, type StreamStreamJoinOptions } from './stream-stream-join'
import { JoinWindows } from './windows'
import type { ValueJoiner } from './value-joiner'
import { GlobalKTable } from './global-ktable'
import { globalTableJoinProcessor } from '../processors/stateful/global-table-join-processor'

/** Picks the GlobalKTable key a stream record joins on; null: nothing to join. */
export type GlobalKeySelector<K, V, GK> = (key: K, value: V) => GK | null
import { TopologyError } from '../errors'

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
    /** @internal */
    readonly info: StreamInfo<K, V>,
  ) {}

  /** @internal the node this stream's records come out of */
  get nodeName(): string {
    return this.info.nodeName
  }

  filter(predicate: Predicate<K, V>, options?: NamedOptions): KStream<K, V> {
    return this.add('filter', 'KSTREAM-FILTER-', filterProcessor(predicate, false), this.same(), options)
  }

  filterNot(predicate: Predicate<K, V>, options?: NamedOptions): KStream<K, V> {
    return this.add('filterNot', 'KSTREAM-FILTER-', filterProcessor(predicate, true), this.same(), options)
  }

  map<KR, VR>(mapper: (key: K, value: V) => KeyValuePair<KR, VR>, options?: NamedOptions): KStream<KR, VR> {
    return this.add('map', 'KSTREAM-MAP-', mapProcessor(mapper), NEW_KEY, options)
  }

  mapValues<VR>(mapper: (key: K, value: V) => VR, options?: NamedOptions): KStream<K, VR> {
    return this.add('mapValues', 'KSTREAM-MAPVALUES-', mapValuesProcessor(mapper), this.sameKey(), options)
  }

  flatMap<KR, VR>(mapper: (key: K, value: V) => Iterable<KeyValuePair<KR, VR>>, options?: NamedOptions): KStream<KR, VR> {
    return this.add('flatMap', 'KSTREAM-FLATMAP-', flatMapProcessor(mapper), NEW_KEY, options)
  }

  flatMapValues<VR>(mapper: (key: K, value: V) => Iterable<VR>, options?: NamedOptions): KStream<K, VR> {
    return this.add('flatMapValues', 'KSTREAM-FLATMAPVALUES-', flatMapValuesProcessor(mapper), this.sameKey(), options)
  }

  selectKey<KR>(mapper: (key: K, value: V) => KR, options?: NamedOptions): KStream<KR, V> {
    return this.add('selectKey', 'KSTREAM-KEY-SELECT-', selectKeyProcessor(mapper), { keyChanged: true, keySerde: undefined, valueSerde: this.info.valueSerde }, options)
  }

  peek(action: ForeachAction<K, V>, options?: NamedOptions): KStream<K, V> {
    return this.add('peek', 'KSTREAM-PEEK-', peekProcessor(action, true), this.same(), options)
  }

  /** Terminal: calls `action` for every record. */
  foreach(action: ForeachAction<K, V>, options?: NamedOptions): void {
    this.add('foreach', 'KSTREAM-FOREACH-', peekProcessor(action, false), this.same(), options)
  }

  /** Routes each record to the first branch whose predicate matches (see BranchedKStream). */
  split<P extends string = string>(options?: { readonly name?: P }): BranchedKStream<K, V, P> {
    const name = this.dsl.nodeName('KSTREAM-BRANCH-', options)
    return new BranchedKStream<K, V, P>(this.dsl, this.info, name)
  }

  /** Records of both streams, interleaved in processing order. */
  merge(other: KStream<K, V>, options?: NamedOptions): KStream<K, V> {
    const name = this.dsl.nodeName('KSTREAM-MERGE-', options)
    this.dsl.graph.addProcessor(name, passThroughProcessor<K, V>(), this.nodeName, other.nodeName)
    return new KStream<K, V>(this.dsl, {
      nodeName: name,
      keyChanged: this.info.keyChanged || other.info.keyChanged,
      lineage: `(${this.info.lineage}+${other.info.lineage})>merge${options?.name === undefined ? '' : `(${options.name})`}`,
      keySerde: this.info.keySerde ?? other.info.keySerde,
      valueSerde: this.info.valueSerde ?? other.info.valueSerde,
    })
  }

  /** Terminal: writes every record to `topic`, or to the topic `topic(key, value, context)` names. */
  to(topic: string | TopicNameExtractor<K, V>, options: ToOptions<K, V>): void {
    const name = this.dsl.nodeName('KSTREAM-SINK-', options)
    this.dsl.graph.addSink(name, topic, options, this.nodeName)
  }

  /**
   * Inner join. With a KTable: each stream record is joined with the table's current value for
   * its key (table updates emit nothing). With a KStream and JoinWindows: records of both streams
   * whose keys match and whose timestamps are within the windows are joined.
   */
  join<VT, VR>(table: KTable<K, VT>, joiner: ValueJoiner<K, V, VT, VR>, options?: StreamTableJoinOptions): KStream<K, VR>
  join<VO, VR>(other: KStream<K, VO>, joiner: ValueJoiner<K, V, VO, VR>, windows: JoinWindows, options?: StreamStreamJoinOptions<K, V, VO>): KStream<K, VR>
  /** With a GlobalKTable: `keySelector` picks the table key to look up for each stream record. */
  join<GK, GV, VR>(globalTable: GlobalKTable<GK, GV>, keySelector: GlobalKeySelector<K, V, GK>, joiner: ValueJoiner<K, V, GV, VR>, options?: NamedOptions): KStream<K, VR>
  join<VO, VR>(
    other: KTable<K, VO> | KStream<K, VO> | GlobalKTable<unknown, VO>,
    joinerOrSelector: ValueJoiner<K, V, VO, VR> | GlobalKeySelector<K, V, unknown>,
    windowsOrOptions?: JoinWindows | StreamTableJoinOptions | ValueJoiner<K, V, VO, VR>,
    options?: StreamStreamJoinOptions<K, V, VO>,
  ): KStream<K, VR> {
    if (other instanceof GlobalKTable) return this.joinGlobal(false, other, joinerOrSelector as GlobalKeySelector<K, V, unknown>, windowsOrOptions as ValueJoiner<K, V, VO | null, VR>, options)
    const joiner = joinerOrSelector as ValueJoiner<K, V | null, VO | null, VR>
    return this.joinWith('inner', other, joiner, windowsOrOptions as JoinWindows | StreamTableJoinOptions | undefined, options)
  }

  /** As join, but a stream record without a match is joined with null (after its window closes, for a KStream). */
  leftJoin<VT, VR>(table: KTable<K, VT>, joiner: ValueJoiner<K, V, VT | null, VR>, options?: StreamTableJoinOptions): KStream<K, VR>
  leftJoin<VO, VR>(other: KStream<K, VO>, joiner: ValueJoiner<K, V, VO | null, VR>, windows: JoinWindows, options?: StreamStreamJoinOptions<K, V, VO>): KStream<K, VR>
  leftJoin<GK, GV, VR>(globalTable: GlobalKTable<GK, GV>, keySelector: GlobalKeySelector<K, V, GK>, joiner: ValueJoiner<K, V, GV | null, VR>, options?: NamedOptions): KStream<K, VR>
  leftJoin<VO, VR>(
    other: KTable<K, VO> | KStream<K, VO> | GlobalKTable<unknown, VO>,
    joinerOrSelector: ValueJoiner<K, V, VO | null, VR> | GlobalKeySelector<K, V, unknown>,
    windowsOrOptions?: JoinWindows | StreamTableJoinOptions | ValueJoiner<K, V, VO | null, VR>,
    options?: StreamStreamJoinOptions<K, V, VO>,
  ): KStream<K, VR> {
    if (other instanceof GlobalKTable) return this.joinGlobal(true, other, joinerOrSelector as GlobalKeySelector<K, V, unknown>, windowsOrOptions as ValueJoiner<K, V, VO | null, VR>, options)
    const joiner = joinerOrSelector as ValueJoiner<K, V | null, VO | null, VR>
    return this.joinWith('left', other, joiner, windowsOrOptions as JoinWindows | StreamTableJoinOptions | undefined, options)
  }

  /** Windowed join of two streams that also emits each side's unmatched records, joined with null, once their window closes. */
  outerJoin<VO, VR>(
    other: KStream<K, VO>,
    joiner: ValueJoiner<K, V | null, VO | null, VR>,
    windows: JoinWindows,
    options?: StreamStreamJoinOptions<K, V, VO>,
  ): KStream<K, VR> {
    return this.joinWith('outer', other, joiner, windows, options)
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
    return new KStream<KOut, VOut>(this.dsl, { nodeName: name, keyChanged: true, lineage: extendLineage(this.info.lineage, 'process', name), keySerde: undefined, valueSerde: undefined })
  }

  /** Groups by the current key, repartitioning first if an earlier operation changed the key. */
  groupByKey(options: GroupedOptions<K, V> = {}): KGroupedStream<K, V> {
    const keySerde = options.key ?? this.info.keySerde
    const valueSerde = options.value ?? this.info.valueSerde
    if (!this.info.keyChanged) {
      return new KGroupedStream(this.dsl, { ...this.info, keySerde, valueSerde }, requireSerde(keySerde, 'groupByKey', 'key'))
    }
    const name = options.name ?? stableName(this.info.lineage, 'groupByKey')
    const repartitioned = this.dsl.repartition(this.info, name, {
      key: requireSerde(keySerde, 'groupByKey', 'key'),
      value: requireSerde(valueSerde, 'groupByKey', 'value'),
    })
    return new KGroupedStream(this.dsl, repartitioned, repartitioned.keySerde!)
  }

  /** Groups by a new key; records go through a repartition topic so each key lands on one task. */
  groupBy<KR>(selector: (key: K, value: V) => KR, options: GroupedOptions<KR, V> & { readonly key: Serde<KR> }): KGroupedStream<KR, V> {
    const name = options.name ?? stableName(this.info.lineage, 'groupBy')
    const keyed = this.selectKey(selector)
    const repartitioned = this.dsl.repartition(keyed.info, name, {
      key: options.key,
      value: requireSerde(options.value ?? this.info.valueSerde, 'groupBy', 'value'),
    })
    return new KGroupedStream(this.dsl, repartitioned, options.key)
  }

  /** Writes the stream through a repartition topic (records spread by key over its partitions). */
  repartition(options: RepartitionOptions<K, V> = {}): KStream<K, V> {
    const name = options.name ?? stableName(this.info.lineage, 'repartition')
    const repartitioned = this.dsl.repartition(this.info, name, {
      key: requireSerde(options.key ?? this.info.keySerde, 'repartition', 'key'),
      value: requireSerde(options.value ?? this.info.valueSerde, 'repartition', 'value'),
      partitions: options.partitions,
    })
    return new KStream(this.dsl, repartitioned)
  }

  /** The latest value per key as a table (a null value deletes the key). */
  toTable(options: TableOptions<K, V> = {}): KTable<K, V> {
    const source = this.info.keyChanged ? this.repartition({ key: options.key, value: options.value }) : this
    return materializeTable(this.dsl, source.info, options, 'toTable')
  }

  /** KStream-GlobalKTable join: no repartition, whatever the key; the table is on every instance. */
  private joinGlobal<GK, GV, VR>(
    left: boolean,
    table: GlobalKTable<GK, GV>,
    keySelector: GlobalKeySelector<K, V, GK>,
    joiner: ValueJoiner<K, V, GV | null, VR>,
    options: NamedOptions | undefined,
  ): KStream<K, VR> {
    const operation = left ? 'leftJoin' : 'join'
    const supplier = globalTableJoinProcessor<K, V, GK, GV, VR>({ storeName: table.queryableStoreName, keySelector, joiner, left })
    return this.add(operation, 'KSTREAM-GLOBALJOIN-', supplier, this.sameKey(), options)
  }

  private joinWith<VO, VR>(
    kind: 'inner' | 'left' | 'outer',
    other: KTable<K, VO> | KStream<K, VO>,
    joiner: ValueJoiner<K, V | null, VO | null, VR>,
    windowsOrOptions: JoinWindows | StreamTableJoinOptions | undefined,
    options: StreamStreamJoinOptions<K, V, VO> | undefined,
  ): KStream<K, VR> {
    if (other instanceof KTable) {
      if (kind === 'outer') throw new TopologyError('TOPOLOGY_INVALID', 'outerJoin takes a KStream: KStream-KTable joins are inner or left')
      const joined = streamTableJoin(this.dsl, this.info, other, joiner as ValueJoiner<K, V, VO | null, VR>, kind, windowsOrOptions as StreamTableJoinOptions | undefined)
      return new KStream<K, VR>(this.dsl, joined)
    }
    if (!(windowsOrOptions instanceof JoinWindows)) {
      throw new TopologyError('TOPOLOGY_INVALID', `a KStream-KStream ${kind} join needs JoinWindows as its third argument`)
    }
    return new KStream<K, VR>(this.dsl, streamStreamJoin(this.dsl, this.info, other.info, joiner, windowsOrOptions, kind, options))
  }

  private same(): Omit<StreamInfo<K, V>, 'nodeName' | 'lineage'> {
    return { keyChanged: this.info.keyChanged, keySerde: this.info.keySerde, valueSerde: this.info.valueSerde }
  }

  private sameKey<VR>(): Omit<StreamInfo<K, VR>, 'nodeName' | 'lineage'> {
    return { keyChanged: this.info.keyChanged, keySerde: this.info.keySerde, valueSerde: undefined }
  }

  private add<KR, VR>(
    operation: string,
    prefix: string,
    supplier: ProcessorSupplier<K, V, KR, VR>,
    next: Omit<StreamInfo<KR, VR>, 'nodeName' | 'lineage'>,
    options: NamedOptions | undefined,
  ): KStream<KR, VR> {
    const name = this.dsl.nodeName(prefix, options)
    this.dsl.graph.addProcessor(name, supplier, this.nodeName)
    return new KStream<KR, VR>(this.dsl, { ...next, nodeName: name, lineage: extendLineage(this.info.lineage, operation, options?.name) })
  }
}

const NEW_KEY = { keyChanged: true, keySerde: undefined, valueSerde: undefined } as const

export interface GroupedOptions<K, V> extends NamedOptions {
  /** Serdes for the repartition topic and the store; default: the stream's, while its types did not change. */
  readonly key?: Serde<K>
  readonly value?: Serde<V>
}

export interface RepartitionOptions<K, V> extends GroupedOptions<K, V> {
  /** Partition count of the repartition topic; default: that of the upstream source topics. */
  readonly partitions?: number
}
