import { slidingWindowAggregateProcessor } from '../processors/stateful/sliding-window-aggregate-processor'
import { valueAndTimestampSerde } from '../processors/stateful/value-and-timestamp'
import { windowAggregateProcessor } from '../processors/stateful/window-aggregate-processor'
import type { Serde } from '../serdes/serde'
import { Serdes } from '../serdes/serdes'
import type { Windowed } from '../state/state-store'
import { windowStoreSpec } from '../state/store-spec'
import { cacheBytesOf, type WindowedAggregateOptions } from './aggregate-options'
import type { DslContext } from './dsl-context'
import { KTable } from './ktable'
import { requireSerde } from './require-serde'
import { extendLineage, stableName } from './stable-name'
import type { StreamInfo } from './stream-info'
import { TimeWindows, type SlidingWindows } from './windows'

/**
 * A grouped stream cut into time windows (tumbling, hopping or sliding). Aggregates are kept per
 * key and window; results are keyed by `Windowed<K>` and updated as records arrive (use
 * `suppress(Suppressed.untilWindowCloses())` for one final result per window).
 */
export class TimeWindowedKStream<K, V> {
  /** @internal */
  constructor(
    private readonly dsl: DslContext,
    private readonly info: StreamInfo<K, V>,
    private readonly keySerde: Serde<K>,
    private readonly windows: TimeWindows | SlidingWindows,
  ) {}

  count(options: WindowedAggregateOptions<number> = {}): KTable<Windowed<K>, number> {
    return this.fold('count', options, Serdes.double(), () => 0, (_k, _v, n) => n + 1, false)
  }

  reduce(reducer: (aggregate: V, value: V) => V, options: WindowedAggregateOptions<V> = {}): KTable<Windowed<K>, V> {
    const valueSerde = requireSerde(options.value ?? this.info.valueSerde, 'reduce', 'value')
    return this.fold('reduce', options, valueSerde, undefined, (_k, v, agg) => reducer(agg, v), true)
  }

  aggregate<VA>(
    initializer: () => VA,
    aggregator: (key: K, value: V, aggregate: VA) => VA,
    options: WindowedAggregateOptions<VA> & { readonly value: Serde<VA> },
  ): KTable<Windowed<K>, VA> {
    return this.fold('aggregate', options, options.value, initializer, aggregator, false)
  }

  private fold<VA>(
    operation: string,
    options: WindowedAggregateOptions<VA>,
    valueSerde: Serde<VA>,
    initializer: (() => VA) | undefined,
    aggregator: (key: K, value: V, aggregate: VA) => VA,
    isReduce: boolean,
  ): KTable<Windowed<K>, VA> {
    const w = this.windows
    const storeName = options.name ?? stableName(this.info.lineage, `windowed-${operation}`)
    const sizeMs = w instanceof TimeWindows ? w.sizeMs : w.timeDifferenceMs
    // Sliding windows look back up to two time differences when a record arrives.
    const minRetention = w instanceof TimeWindows ? w.sizeMs + w.graceMs : 2 * w.timeDifferenceMs + w.graceMs
    const store = windowStoreSpec({
      name: storeName,
      keySerde: this.keySerde,
      valueSerde: valueAndTimestampSerde(valueSerde),
      windowSizeMs: sizeMs,
      retentionMs: Math.max(minRetention, options.retentionMs ?? 0),
      persistent: options.inMemory !== true,
      ...cacheBytesOf(options),
    })
    const name = this.dsl.nodeName('KSTREAM-AGGREGATE-', options.name === undefined ? undefined : { name: `${options.name}-aggregate` })
    let supplier
    if (w instanceof TimeWindows) {
      supplier = windowAggregateProcessor<K, V, VA>(w, { storeName, initializer, aggregator })
    } else {
      // Sliding windows start from the first record in them: a reduce starts from that value.
      const init = initializer ?? (() => undefined as unknown as VA)
      const agg = isReduce ? (k: K, v: V, a: VA) => (a === undefined ? (v as unknown as VA) : aggregator(k, v, a)) : aggregator
      supplier = slidingWindowAggregateProcessor<K, V, VA>(w, { storeName, initializer: init, aggregator: agg })
    }
    this.dsl.addStatefulProcessor(name, supplier, this.info.nodeName, [store])
    return new KTable<Windowed<K>, VA>(this.dsl, {
      nodeName: name,
      keyChanged: false,
      lineage: extendLineage(this.info.lineage, `windowed-${operation}`, options.name),
      keySerde: Serdes.windowed(this.keySerde),
      valueSerde,
      storeName,
      window: { graceMs: w.graceMs },
    })
  }
}
