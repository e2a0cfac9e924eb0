import type { KeyValueStore } from '../../state/key-value-store'
import { keyIdentityOf, type KeyIdentity } from '../../state/state-store'
import { asInternal, type InternalProcessorContext } from '../internal-context'
import type { Processor, ProcessorContext, ProcessorSupplier } from '../processor'
import type { StreamRecord } from '../stream-record'
import type { Change } from './change'
import { PendingChanges } from './pending-changes'
import type { ValueAndTimestamp } from './value-and-timestamp'

/** How a grouped stream folds a value into its aggregate. `initializer` undefined means reduce:
 *  the first value becomes the aggregate. */
export interface StreamAggregation<K, V, VA> {
  readonly storeName: string
  readonly initializer: (() => VA) | undefined
  readonly aggregator: (key: K, value: V, aggregate: VA) => VA
}

/**
 * count/reduce/aggregate of a grouped stream (Kafka's KStreamAggregate): one aggregate per key in
 * a key-value store, its updates forwarded as Changes with the max timestamp of their inputs: one
 * per key per commit over a cached store, every one otherwise (pending-changes.ts).
 * Records with a null key or value are dropped and counted, as in Kafka Streams.
 */
export function streamAggregateProcessor<K, V, VA>(aggregation: StreamAggregation<K, V, VA>): ProcessorSupplier<K, V, K, Change<VA>> {
  return () => new StreamAggregateProcessor(aggregation)
}

class StreamAggregateProcessor<K, V, VA> implements Processor<K, V, K, Change<VA>> {
  private context!: InternalProcessorContext<K, Change<VA>>
  private store!: KeyValueStore<K, ValueAndTimestamp<VA>>
  private ids: KeyIdentity<K> | undefined
  private changes!: PendingChanges<K, VA>

  constructor(private readonly aggregation: StreamAggregation<K, V, VA>) {}

  init(context: ProcessorContext<K, Change<VA>>): void {
    this.context = asInternal(context)
    this.store = context.getStateStore(this.aggregation.storeName)
    this.ids = keyIdentityOf(this.store)
    this.changes = PendingChanges.over(this.context, this.aggregation.storeName, this.ids)
  }

  process(record: StreamRecord<K, V>): void {
    if (record.key === null || record.key === undefined) return this.context.recordDropped('null-key', 'aggregations skip records with a null key')
    if (record.value === null || record.value === undefined) {
      return this.context.recordDropped('null-value', 'aggregations skip records with a null value')
    }
    // The id first: the store remembers the serialized key for the get and put that follow.
    const id = this.ids === undefined ? '' : this.ids.keyId(record.key)
    const old = this.store.get(record.key)
    const { value, timestamp } = fold(this.aggregation, record, old)
    this.store.put(record.key, { value, timestamp })
    this.changes.update(id, record.key, old?.value ?? null, value, timestamp, record.headers)
  }
}

/**
 * One aggregation step with Kafka Streams' rules: the first value of a reduce is the aggregate
 * itself; the result's timestamp is the largest of its inputs'.
 */
export function fold<K, V, VA>(
  aggregation: Pick<StreamAggregation<K, V, VA>, 'initializer' | 'aggregator'>,
  record: StreamRecord<K, V>,
  old: ValueAndTimestamp<VA> | undefined,
): ValueAndTimestamp<VA> {
  const { initializer, aggregator } = aggregation
  let value: VA
  if (old !== undefined) value = aggregator(record.key, record.value, old.value)
  else if (initializer !== undefined) value = aggregator(record.key, record.value, initializer())
  else value = record.value as unknown as VA
  return { value, timestamp: old === undefined ? record.timestamp : Math.max(record.timestamp, old.timestamp) }
}
