import type { KeyValueStore } from '../../state/key-value-store'
import { keyIdentityOf, type KeyIdentity } from '../../state/state-store'
import { asInternal } from '../internal-context'
import type { Processor, ProcessorContext, ProcessorSupplier } from '../processor'
import type { StreamRecord } from '../stream-record'
import type { Change } from './change'
import { PendingChanges } from './pending-changes'
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
 * another group leaves its old group and joins the new one. Over a cached store, one Change per
 * key per commit goes downstream (pending-changes.ts).
 */
export function tableAggregateProcessor<K, V, VA>(aggregation: TableAggregation<K, V, VA>): ProcessorSupplier<K, Change<V>, K, Change<VA>> {
  return () => new TableAggregateProcessor(aggregation)
}

class TableAggregateProcessor<K, V, VA> implements Processor<K, Change<V>, K, Change<VA>> {
  private store!: KeyValueStore<K, ValueAndTimestamp<VA>>
  private ids: KeyIdentity<K> | undefined
  private changes!: PendingChanges<K, VA>

  constructor(private readonly aggregation: TableAggregation<K, V, VA>) {}

  init(context: ProcessorContext<K, Change<VA>>): void {
    const internal = asInternal(context)
    this.store = context.getStateStore(this.aggregation.storeName)
    this.ids = keyIdentityOf(this.store)
    this.changes = PendingChanges.over(internal, this.aggregation.storeName, this.ids)
  }

  process(record: StreamRecord<K, Change<V>>): void {
    const { key } = record
    const { newValue, oldValue } = record.value
    const id = this.ids === undefined ? '' : this.ids.keyId(key)
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
    this.changes.update(id, key, old?.value ?? null, aggregate, timestamp, record.headers)
  }
}
