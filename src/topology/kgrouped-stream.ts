import { streamAggregateProcessor, type StreamAggregation } from '../processors/stateful/stream-aggregate-processor'
import { valueAndTimestampSerde } from '../processors/stateful/value-and-timestamp'
import type { Serde } from '../serdes/serde'
import { Serdes } from '../serdes/serdes'
import { keyValueStoreSpec } from '../state/store-spec'
import { cacheBytesOf, type AggregateOptions } from './aggregate-options'
import type { DslContext } from './dsl-context'
import { KTable } from './ktable'
import { requireSerde } from './require-serde'
import { SessionWindowedKStream } from './session-windowed-kstream'
import { extendLineage, stableName } from './stable-name'
import type { StreamInfo } from './stream-info'
import { TimeWindowedKStream } from './time-windowed-kstream'
import { SessionWindows, SlidingWindows, TimeWindows } from './windows'

/**
 * A stream grouped by key (Kafka Streams' KGroupedStream): every record of a key is processed by
 * the same task, so it can be folded into one aggregate per key.
 */
export class KGroupedStream<K, V> {
  /** @internal */
  constructor(
    private readonly dsl: DslContext,
    private readonly info: StreamInfo<K, V>,
    private readonly keySerde: Serde<K>,
  ) {}

  /** Number of records per key. Records with a null key or value are dropped and counted. */
  count(options: AggregateOptions<number> = {}): KTable<K, number> {
    return this.fold('count', options, Serdes.double(), () => 0, (_k, _v, n) => n + 1)
  }

  /** Combines the values of a key; the first value is the initial aggregate. */
  reduce(reducer: (aggregate: V, value: V) => V, options: AggregateOptions<V> = {}): KTable<K, V> {
    const valueSerde = requireSerde(options.value ?? this.info.valueSerde, 'reduce', 'value')
    return this.fold('reduce', options, valueSerde, undefined, (_k, v, agg) => reducer(agg, v))
  }

  aggregate<VA>(
    initializer: () => VA,
    aggregator: (key: K, value: V, aggregate: VA) => VA,
    options: AggregateOptions<VA> & { readonly value: Serde<VA> },
  ): KTable<K, VA> {
    return this.fold('aggregate', options, options.value, initializer, aggregator)
  }

  windowedBy(windows: TimeWindows | SlidingWindows): TimeWindowedKStream<K, V>
  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V>
  windowedBy(windows: TimeWindows | SlidingWindows | SessionWindows): TimeWindowedKStream<K, V> | SessionWindowedKStream<K, V> {
    if (windows instanceof SessionWindows) return new SessionWindowedKStream(this.dsl, this.info, this.keySerde, windows)
    return new TimeWindowedKStream(this.dsl, this.info, this.keySerde, windows)
  }

  private fold<VA>(
    operation: string,
    options: AggregateOptions<VA>,
    valueSerde: Serde<VA>,
    initializer: (() => VA) | undefined,
    aggregator: (key: K, value: V, aggregate: VA) => VA,
  ): KTable<K, VA> {
    const storeName = options.name ?? stableName(this.info.lineage, operation)
    const store = keyValueStoreSpec({
      name: storeName,
      keySerde: this.keySerde,
      valueSerde: valueAndTimestampSerde(valueSerde),
      persistent: options.inMemory !== true,
      ...cacheBytesOf(options),
    })
    const aggregation: StreamAggregation<K, V, VA> = { storeName, initializer, aggregator }
    const name = this.dsl.nodeName('KSTREAM-AGGREGATE-', options.name === undefined ? undefined : { name: `${options.name}-aggregate` })
    this.dsl.addStatefulProcessor(name, streamAggregateProcessor(aggregation), this.info.nodeName, [store])
    return new KTable<K, VA>(this.dsl, {
      nodeName: name,
      keyChanged: false,
      lineage: extendLineage(this.info.lineage, operation, options.name),
      keySerde: this.keySerde,
      valueSerde,
      storeName,
      window: undefined,
    })
  }
}
