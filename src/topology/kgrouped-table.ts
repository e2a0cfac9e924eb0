import { tableAggregateProcessor, type TableAggregation } from '../processors/stateful/table-aggregate-processor'
import { valueAndTimestampSerde } from '../processors/stateful/value-and-timestamp'
import type { Serde } from '../serdes/serde'
import { Serdes } from '../serdes/serdes'
import { keyValueStoreSpec } from '../state/store-spec'
import { cacheBytesOf, type AggregateOptions } from './aggregate-options'
import type { DslContext } from './dsl-context'
import { KTable } from './ktable'
import { extendLineage, stableName } from './stable-name'
import type { StreamInfo } from './stream-info'

/**
 * A table re-grouped by a new key (Kafka Streams' KGroupedTable). Aggregations get both halves
 * of every row update: the adder for the new value and the subtractor for the old one, so a row
 * that moves between groups is counted in exactly one.
 */
export class KGroupedTable<K, V> {
  /** @internal */
  constructor(
    private readonly dsl: DslContext,
    private readonly info: StreamInfo<K, V>,
    private readonly keySerde: Serde<K>,
  ) {}

  count(options: AggregateOptions<number> = {}): KTable<K, number> {
    return this.fold('count', options, Serdes.double(), () => 0, (_k, _v, n) => n + 1, (_k, _v, n) => n - 1)
  }

  reduce(adder: (aggregate: V, value: V) => V, subtractor: (aggregate: V, value: V) => V, options: AggregateOptions<V> = {}): KTable<K, V> {
    const valueSerde = options.value ?? this.info.valueSerde!
    return this.fold('reduce', options, valueSerde, undefined, (_k, v, agg) => adder(agg, v), (_k, v, agg) => subtractor(agg, v))
  }

  aggregate<VA>(
    initializer: () => VA,
    adder: (key: K, value: V, aggregate: VA) => VA,
    subtractor: (key: K, value: V, aggregate: VA) => VA,
    options: AggregateOptions<VA> & { readonly value: Serde<VA> },
  ): KTable<K, VA> {
    return this.fold('aggregate', options, options.value, initializer, adder, subtractor)
  }

  private fold<VA>(
    operation: string,
    options: AggregateOptions<VA>,
    valueSerde: Serde<VA>,
    initializer: (() => VA) | undefined,
    adder: (key: K, value: V, aggregate: VA) => VA,
    subtractor: (key: K, value: V, aggregate: VA) => VA,
  ): KTable<K, VA> {
    const storeName = options.name ?? stableName(this.info.lineage, `table-${operation}`)
    const store = keyValueStoreSpec({
      name: storeName,
      keySerde: this.keySerde,
      valueSerde: valueAndTimestampSerde(valueSerde),
      persistent: options.inMemory !== true,
      ...cacheBytesOf(options),
    })
    const aggregation: TableAggregation<K, V, VA> = { storeName, initializer, adder, subtractor }
    const name = this.dsl.nodeName('KTABLE-AGGREGATE-', options.name === undefined ? undefined : { name: `${options.name}-aggregate` })
    this.dsl.addStatefulProcessor(name, tableAggregateProcessor(aggregation), this.info.nodeName, [store])
    return new KTable<K, VA>(this.dsl, {
      nodeName: name,
      keyChanged: false,
      lineage: extendLineage(this.info.lineage, `table-${operation}`, options.name),
      keySerde: this.keySerde,
      valueSerde,
      storeName,
      window: undefined,
    })
  }
}
