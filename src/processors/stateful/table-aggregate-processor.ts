import type { KeyValueStore } from '../../state/key-value-store'
import type { Processor, ProcessorContext, ProcessorSupplier } from '../processor'
import type { StreamRecord } from '../stream-record'
import type { Change } from './change'
import type { ValueAndTimestamp } from './value-and-timestamp'

export interface TableAggregation<K, V, VA> {
  readonly storeName: string
  /** Undefined for reduce: the first value added becomes the aggregate. */
  readonly initializer: (() => VA) | undefined
  readonly adder: (key: K, value: V, aggregate: VA) => VA
  readonly subtractor: (key: K, value: V, aggregate: VA) => VA
}

/**
 * count/reduce/aggregate of a grouped table (Kafka's KTableAggregate/KTableReduce): each update
 * first subtracts the value the source row had, then adds its new one, so a row that moves to
 * another group leaves its old group and joins the new one.
 */
export function tableAggregateProcessor<K, V, VA>(aggregation: TableAggregation<K, V, VA>): ProcessorSupplier<K, Change<V>, K, Change<VA>> {
  return () => new TableAggregateProcessor(aggregation)
}

class TableAggregateProcessor<K, V, VA> implements Processor<K, Change<V>, K, Change<VA>> {
  private context!: ProcessorContext<K, Change<VA>>
  private store!: KeyValueStore<K, ValueAndTimestamp<VA>>

  constructor(private readonly aggregation: TableAggregation<K, V, VA>) {}

  init(context: ProcessorContext<K, Change<VA>>): void {
    this.context = context
    this.store = context.getStateStore(this.aggregation.storeName)
  }

  process(record: StreamRecord<K, Change<V>>): void {
    const { key } = record
    const { newValue, oldValue } = record.value
    const old = this.store.get(key)
    const { initializer, adder, subtractor } = this.aggregation
    let aggregate: VA | null = old?.value ?? null
    // Retract first: a value that was never added (no aggregate yet) has nothing to retract.
    if (oldValue !== null && aggregate !== null) aggregate = subtractor(key, oldValue, aggregate)
    if (newValue !== null) {
      if (aggregate !== null) aggregate = adder(key, newValue, aggregate)
      else if (initializer !== undefined) aggregate = adder(key, newValue, initializer())
      else aggregate = newValue as unknown as VA
    }
    const timestamp = old === undefined ? record.timestamp : Math.max(record.timestamp, old.timestamp)
    if (aggregate === null) this.store.delete(key)
    else this.store.put(key, { value: aggregate, timestamp })
    this.context.forward({ key, value: { newValue: aggregate, oldValue: old?.value ?? null }, timestamp, headers: record.headers })
  }
}
