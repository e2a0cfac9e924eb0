import type { KeyValueStore } from '../../state/key-value-store'
import { asInternal, type InternalProcessorContext } from '../internal-context'
import type { Processor, ProcessorContext, ProcessorSupplier } from '../processor'
import type { StreamRecord } from '../stream-record'
import type { Change } from './change'
import type { ValueAndTimestamp } from './value-and-timestamp'

/**
 * Materializes a changelog stream as a table (builder.table, KStream.toTable): the latest value
 * per key in a key-value store, a null value deleting the key. Each update is forwarded as a
 * Change so downstream tables and aggregations can retract the old value.
 */
export function tableSourceProcessor<K, V>(storeName: string): ProcessorSupplier<K, V | null, K, Change<V>> {
  return () => new TableSourceProcessor<K, V>(storeName)
}

class TableSourceProcessor<K, V> implements Processor<K, V | null, K, Change<V>> {
  private context!: InternalProcessorContext<K, Change<V>>
  private store!: KeyValueStore<K, ValueAndTimestamp<V>>

  constructor(private readonly storeName: string) {}

  init(context: ProcessorContext<K, Change<V>>): void {
    this.context = asInternal(context)
    this.store = context.getStateStore(this.storeName)
  }

  process(record: StreamRecord<K, V | null>): void {
    if (record.key === null || record.key === undefined) return this.context.recordDropped('null-key', 'tables skip records with a null key')
    const old = this.store.get(record.key)
    if (record.value === null || record.value === undefined) {
      if (old === undefined) return // deleting a key that is not there changes nothing
      this.store.delete(record.key)
    } else {
      this.store.put(record.key, { value: record.value, timestamp: record.timestamp })
    }
    this.context.forward({
      key: record.key,
      value: { newValue: record.value ?? null, oldValue: old?.value ?? null },
      timestamp: record.timestamp,
      headers: record.headers,
    })
  }
}
