import { changeSerde, type Change } from '../processors/stateful/change'
import { suppressProcessor } from '../processors/stateful/suppress-processor'
import {
  tableFilterProcessor,
  tableMapValuesProcessor,
  tableRepartitionMapProcessor,
  tableToStreamProcessor,
} from '../processors/stateful/table-map-processors'
import { tableSourceProcessor } from '../processors/stateful/table-source-processor'
import { derivedRow, type TableValueGetterSupplier } from '../processors/stateful/table-value-getter'
import { valueAndTimestampSerde, type ValueAndTimestamp } from '../processors/stateful/value-and-timestamp'
import type { ProcessorSupplier } from '../processors/processor'
import type { KeyValuePair } from '../processors/stream-record'
import { TopologyError } from '../errors'
import type { Serde } from '../serdes/serde'
import { keyValueStoreSpec } from '../state/store-spec'
import { cacheBytesOf } from './aggregate-options'
import type { DslContext, NamedOptions } from './dsl-context'
import { KGroupedTable } from './kgrouped-table'
import { KStream } from './kstream'
import { requireSerde } from './require-serde'
import { extendLineage, stableName } from './stable-name'
import type { StreamInfo } from './stream-info'
import { suppressStoreSpec, type Suppressed } from './suppressed'
import { tableTableJoin, type TableTableJoinOptions } from './table-table-join'
import { deriveValueGetter, suppressValueGetter } from './table-value-getter'
import type { JoinKind, ValueJoiner } from './value-joiner'

export interface TableOptions<K, V> extends NamedOptions {
  /** Serdes of the table's store; default: the stream's, while its types did not change. */
  readonly key?: Serde<K>
  readonly value?: Serde<V>
  /** Keep the store in memory instead of LevelDB (it is still logged and restored). */
  readonly inMemory?: boolean
  /**
   * As for aggregations (AggregateOptions.caching), but the default follows Kafka Streams, which
   * materializes (and so caches) only a named source table: true when `name` is given, false
   * (every update forwarded) otherwise.
   */
  readonly caching?: boolean
}

/**
 * Kafka Streams' Materialized for a derived table (filter, mapValues, a table-table join): with
 * `name`, the result is kept in a logged, queryable key-value store of that name; `value` is its
 * serde (needed when the value type changed, as after mapValues or a join), `inMemory` and
 * `caching` as for TableOptions (caching on by default, as for named tables).
 */
export interface MaterializedOptions<V> extends NamedOptions {
  readonly value?: Serde<V>
  readonly inMemory?: boolean
  readonly caching?: boolean
}

/** What a KTable knows beyond a stream: its store (if materialized) and, for windowed tables, the grace period. */
export interface TableInfo<K, V> extends StreamInfo<K, V> {
  readonly storeName: string | undefined
  /** Set on windowed aggregation results: how long after a window's end updates may still come. */
  readonly window: { readonly graceMs: number } | undefined
  /** How joins read a derived table that has no store (unset: through `storeName`). */
  readonly valueGetter?: TableValueGetterSupplier<K, V>
}

/**
 * A changelog stream seen as a table: the latest value per key (Kafka Streams' KTable). Updates
 * flow downstream as changes, so filters emit tombstones for rows that stop matching and grouped
 * aggregations retract old values.
 */
export class KTable<K, V> {
  /** @internal */
  constructor(
    private readonly dsl: DslContext,
    /** @internal */
    readonly info: TableInfo<K, V>,
  ) {}

  /** The store holding this table, for getKeyValueStore() in tests and interactive queries. */
  get queryableStoreName(): string | undefined {
    return this.info.storeName
  }

  /** Rows that stop matching are deleted downstream; with `options.name` the result is materialized. */
  filter(predicate: (key: K, value: V) => boolean, options?: MaterializedOptions<V>): KTable<K, V> {
    return this.filterWith('filter', predicate, options)
  }

  filterNot(predicate: (key: K, value: V) => boolean, options?: MaterializedOptions<V>): KTable<K, V> {
    return this.filterWith('filterNot', (key, value) => !predicate(key, value), options)
  }

  /** With `options.name` the result is materialized, which needs `options.value` (the new type's serde). */
  mapValues<VR>(mapper: (key: K, value: V) => VR, options?: MaterializedOptions<VR>): KTable<K, VR> {
    // A mapper returning null deletes the row (tableMapValuesProcessor), so the getter has none.
    const derive = (key: K, row: ValueAndTimestamp<V>): ValueAndTimestamp<VR> | undefined => derivedRow(mapper(key, row.value), row.timestamp)
    return this.derive('mapValues', 'KTABLE-MAPVALUES-', tableMapValuesProcessor(mapper), derive, undefined, options)
  }

  /**
   * KTable-KTable join on equal keys: an update on either side joins with the other side's current
   * value; the result is a table whose updates carry the old result too (retractions downstream).
   */
  join<VO, VR>(other: KTable<K, VO>, joiner: ValueJoiner<K, V, VO, VR>, options?: TableTableJoinOptions<VR>): KTable<K, VR> {
    return this.joinWith('inner', other, joiner as ValueJoiner<K, V | null, VO | null, VR>, options)
  }

  /** As join, but a row of this table without a match joins with null. */
  leftJoin<VO, VR>(other: KTable<K, VO>, joiner: ValueJoiner<K, V, VO | null, VR>, options?: TableTableJoinOptions<VR>): KTable<K, VR> {
    return this.joinWith('left', other, joiner as ValueJoiner<K, V | null, VO | null, VR>, options)
  }

  /** As join, but a row of either table without a match joins with null. */
  outerJoin<VO, VR>(other: KTable<K, VO>, joiner: ValueJoiner<K, V | null, VO | null, VR>, options?: TableTableJoinOptions<VR>): KTable<K, VR> {
    return this.joinWith('outer', other, joiner, options)
  }

  /** The table's updates as a stream; a deleted key becomes a record with a null value. */
  toStream(options?: NamedOptions): KStream<K, V | null> {
    const name = this.dsl.nodeName('KTABLE-TOSTREAM-', options)
    this.dsl.graph.addProcessor(name, tableToStreamProcessor<K, V>(), this.info.nodeName)
    return new KStream<K, V | null>(this.dsl, {
      nodeName: name,
      keyChanged: false,
      lineage: extendLineage(this.info.lineage, 'toStream', options?.name),
      keySerde: this.info.keySerde,
      // Null values never reach a serde, so the table's value serde fits the nullable stream.
      valueSerde: this.info.valueSerde as Serde<V | null> | undefined,
    })
  }

  /**
   * Re-groups the table's rows by a new key for count/reduce/aggregate with retraction: when a
   * row changes group, its old value is subtracted from the old group and added to the new one.
   */
  groupBy<KR, VR>(
    selector: (key: K, value: V) => KeyValuePair<KR, VR>,
    options: NamedOptions & { readonly key: Serde<KR>; readonly value: Serde<VR> },
  ): KGroupedTable<KR, VR> {
    const name = options.name ?? stableName(this.info.lineage, 'groupBy')
    const mapName = this.dsl.nodeName('KTABLE-SELECT-')
    this.dsl.graph.addProcessor(mapName, tableRepartitionMapProcessor(selector), this.info.nodeName)
    const mapped: StreamInfo<KR, Change<VR>> = {
      nodeName: mapName,
      keyChanged: true,
      lineage: extendLineage(this.info.lineage, 'groupBy', options.name),
      keySerde: options.key,
      valueSerde: undefined,
    }
    const repartitioned = this.dsl.repartition(mapped, name, { key: options.key, value: changeSerde(options.value) })
    return new KGroupedTable<KR, VR>(this.dsl, { ...repartitioned, valueSerde: options.value }, options.key)
  }

  /**
   * Holds back updates: `Suppressed.untilWindowCloses()` emits exactly one final result per
   * window once stream time passes its end plus grace; `Suppressed.untilTimeLimit(ms)` emits a
   * key's latest value once it has waited `ms` of stream time. Joins read the suppressed table,
   * not its parent: a held-back update is not seen until it is emitted.
   */
  suppress(suppressed: Suppressed, options?: NamedOptions): KTable<K, V> {
    const name = this.dsl.nodeName('KTABLE-SUPPRESS-', options)
    if (suppressed.kind === 'untilWindowCloses' && this.info.window === undefined) {
      throw new TopologyError('TOPOLOGY_INVALID', 'suppress(Suppressed.untilWindowCloses()) needs a windowed table: the result of a windowed aggregation', { node: name })
    }
    const storeName = suppressed.name ?? stableName(this.info.lineage, 'suppress')
    const store = suppressStoreSpec(
      storeName,
      requireSerde(this.info.keySerde, 'suppress', 'key'),
      requireSerde(this.info.valueSerde, 'suppress', 'value'),
    )
    const graceMs = this.info.window?.graceMs ?? 0
    this.dsl.addStatefulProcessor(name, suppressProcessor<K, V>(suppressed, storeName, graceMs, requireSerde(this.info.keySerde, 'suppress', 'key')), this.info.nodeName, [store])
    const lineage = extendLineage(this.info.lineage, 'suppress', options?.name)
    const valueGetter = suppressValueGetter(this.info, storeName)
    return new KTable<K, V>(this.dsl, { ...this.info, nodeName: name, storeName: undefined, lineage, valueGetter })
  }

  private joinWith<VO, VR>(kind: JoinKind, other: KTable<K, VO>, joiner: ValueJoiner<K, V | null, VO | null, VR>, options: TableTableJoinOptions<VR> | undefined): KTable<K, VR> {
    return new KTable<K, VR>(this.dsl, tableTableJoin(this.dsl, this, other, joiner, kind, options))
  }

  private filterWith(operation: string, matches: (key: K, value: V) => boolean, options: MaterializedOptions<V> | undefined): KTable<K, V> {
    const derive = (key: K, row: ValueAndTimestamp<V>): ValueAndTimestamp<V> | undefined => (matches(key, row.value) ? row : undefined)
    return this.derive(operation, 'KTABLE-FILTER-', tableFilterProcessor(matches), derive, this.info.valueSerde, options)
  }

  /**
   * A table computed row by row from this one: a processor for its updates and, for joins, a
   * value getter applying the same `derive` to this table's rows (Kafka Streams' KTableFilter and
   * KTableMapValues value getters). With `options.name` the result gets a store of its own.
   */
  private derive<VR>(
    operation: string,
    prefix: string,
    supplier: ProcessorSupplier<K, Change<V>, K, Change<VR>>,
    derive: (key: K, row: ValueAndTimestamp<V>) => ValueAndTimestamp<VR> | undefined,
    valueSerde: Serde<VR> | undefined,
    options: MaterializedOptions<VR> | undefined,
  ): KTable<K, VR> {
    if (options?.name !== undefined) {
      // Checked before any node is added, so a refused call leaves the topology as it was.
      requireSerde(this.info.keySerde, operation, 'key')
      requireSerde(options.value ?? valueSerde, operation, 'value')
    }
    const name = this.dsl.nodeName(prefix, options)
    this.dsl.graph.addProcessor(name, supplier, this.info.nodeName)
    const derived: TableInfo<K, VR> = {
      nodeName: name,
      keyChanged: false,
      lineage: extendLineage(this.info.lineage, operation, options?.name),
      keySerde: this.info.keySerde,
      valueSerde,
      storeName: undefined,
      window: this.info.window,
      valueGetter: deriveValueGetter(this.info, derive),
    }
    return new KTable<K, VR>(this.dsl, materializeIfNamed(this.dsl, derived, options, operation))
  }
}

/**
 * Kafka Streams' Materialized on a derived table: with a name, the table's updates are written to
 * a store of that name (as a table built from a stream), which also serves joins and queries.
 */
export function materializeIfNamed<K, V>(dsl: DslContext, table: TableInfo<K, V>, options: MaterializedOptions<V> | undefined, operation: string): TableInfo<K, V> {
  if (options?.name === undefined) return table
  const streamName = `${options.name}-tostream`
  dsl.graph.addProcessor(streamName, tableToStreamProcessor<K, V>(), table.nodeName)
  const asStream: StreamInfo<K, V> = { ...table, nodeName: streamName }
  const { name, value, inMemory, caching } = options
  // A windowed table stays windowed (suppress needs its grace; joins refuse it) when stored.
  return { ...materializeTable(dsl, asStream, { name, value, inMemory, caching }, operation).info, window: table.window }
}

/** Materializes a stream of (key, value-or-null) records as a table in a key-value store. */
export function materializeTable<K, V>(dsl: DslContext, upstream: StreamInfo<K, V>, options: TableOptions<K, V>, operation: string): KTable<K, V> {
  const storeName = options.name ?? stableName(upstream.lineage, operation)
  const keySerde = requireSerde(options.key ?? upstream.keySerde, operation, 'key')
  const valueSerde = requireSerde(options.value ?? upstream.valueSerde, operation, 'value')
  const store = keyValueStoreSpec({
    name: storeName,
    keySerde,
    valueSerde: valueAndTimestampSerde(valueSerde),
    persistent: options.inMemory !== true,
    ...cacheBytesOf({ caching: options.caching ?? options.name !== undefined }),
  })
  const name = dsl.nodeName('KTABLE-SOURCE-')
  dsl.addStatefulProcessor(name, tableSourceProcessor<K, V>(storeName), upstream.nodeName, [store])
  return new KTable<K, V>(dsl, {
    nodeName: name,
    keyChanged: false,
    lineage: extendLineage(upstream.lineage, operation, options.name),
    keySerde,
    valueSerde,
    storeName,
    window: undefined,
  })
}
