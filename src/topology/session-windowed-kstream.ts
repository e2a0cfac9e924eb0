import { sessionWindowAggregateProcessor } from '../processors/stateful/session-window-aggregate-processor'
import type { Serde } from '../serdes/serde'
import { Serdes } from '../serdes/serdes'
import type { Windowed } from '../state/state-store'
import { sessionStoreSpec } from '../state/store-spec'
import { cacheBytesOf, type WindowedAggregateOptions } from './aggregate-options'
import type { DslContext } from './dsl-context'
import { KTable } from './ktable'
import { requireSerde } from './require-serde'
import { extendLineage, stableName } from './stable-name'
import type { StreamInfo } from './stream-info'
import type { SessionWindows } from './windows'

/**
 * A grouped stream cut into sessions: per key, records closer than the inactivity gap share a
 * session; a record that bridges two sessions merges them (the merged-away sessions are
 * retracted downstream with tombstones).
 */
export class SessionWindowedKStream<K, V> {
  /** @internal */
  constructor(
    private readonly dsl: DslContext,
    private readonly info: StreamInfo<K, V>,
    private readonly keySerde: Serde<K>,
    private readonly windows: SessionWindows,
  ) {}

  count(options: WindowedAggregateOptions<number> = {}): KTable<Windowed<K>, number> {
    return this.fold('count', options, Serdes.double(), () => 0, (_k, _v, n) => n + 1, (_k, a, b) => a + b)
  }

  reduce(reducer: (aggregate: V, value: V) => V, options: WindowedAggregateOptions<V> = {}): KTable<Windowed<K>, V> {
    const valueSerde = requireSerde(options.value ?? this.info.valueSerde, 'reduce', 'value')
    // No initial value for a reduce: `undefined` stands for "no record yet" and is never stored.
    const none = undefined as unknown as V
    return this.fold(
      'reduce',
      options,
      valueSerde,
      () => none,
      (_k, v, agg) => (agg === none ? v : reducer(agg, v)),
      (_k, a, b) => (a === none ? b : b === none ? a : reducer(a, b)),
    )
  }

  aggregate<VA>(
    initializer: () => VA,
    aggregator: (key: K, value: V, aggregate: VA) => VA,
    merger: (key: K, left: VA, right: VA) => VA,
    options: WindowedAggregateOptions<VA> & { readonly value: Serde<VA> },
  ): KTable<Windowed<K>, VA> {
    return this.fold('aggregate', options, options.value, initializer, aggregator, merger)
  }

  private fold<VA>(
    operation: string,
    options: WindowedAggregateOptions<VA>,
    valueSerde: Serde<VA>,
    initializer: () => VA,
    aggregator: (key: K, value: V, aggregate: VA) => VA,
    merger: (key: K, left: VA, right: VA) => VA,
  ): KTable<Windowed<K>, VA> {
    const storeName = options.name ?? stableName(this.info.lineage, `session-${operation}`)
    const store = sessionStoreSpec({
      name: storeName,
      keySerde: this.keySerde,
      valueSerde,
      // A record that is not late (its own session ends at or after stream time - grace - gap) can
      // merge sessions ending a gap before it, so those must still be kept: 2 gaps + grace, plus 1
      // because the store expires entries at exactly the retention boundary.
      retentionMs: Math.max(2 * this.windows.inactivityGapMs + this.windows.graceMs + 1, options.retentionMs ?? 0),
      persistent: options.inMemory !== true,
      ...cacheBytesOf(options),
    })
    const name = this.dsl.nodeName('KSTREAM-AGGREGATE-', options.name === undefined ? undefined : { name: `${options.name}-aggregate` })
    this.dsl.addStatefulProcessor(name, sessionWindowAggregateProcessor<K, V, VA>(this.windows, { storeName, initializer, aggregator, merger }), this.info.nodeName, [store])
    return new KTable<Windowed<K>, VA>(this.dsl, {
      nodeName: name,
      keyChanged: false,
      lineage: extendLineage(this.info.lineage, `session-${operation}`, options.name),
      keySerde: Serdes.windowed(this.keySerde),
      valueSerde,
      storeName,
      // A session can still grow until its end plus the gap plus grace (as Kafka Streams' suppress assumes).
      window: { graceMs: this.windows.inactivityGapMs + this.windows.graceMs },
    })
  }
}
