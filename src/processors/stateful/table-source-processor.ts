import type { KeyValueStore } from '../../state/key-value-store'
import { keyIdentityOf, type KeyIdentity } from '../../state/state-store'
import { asInternal, type InternalProcessorContext } from '../internal-context'
import type { Processor, ProcessorContext, ProcessorSupplier } from '../processor'
import type { StreamRecord } from '../stream-record'
import type { Change } from './change'
import { PendingChanges } from './pending-changes'
import type { ValueAndTimestamp } from './value-and-timestamp'

/**
 * Materializes a changelog stream as a table (builder.table, KStream.toTable): the latest value
 * per key in a key-value store, a null value deleting the key. Updates are forwarded as Changes
 * so downstream tables and aggregations can retract the old value: one per key per commit over a
 * cached store (pending-changes.ts), each one otherwise.
 */
export function tableSourceProcessor<K, V>(storeName: string): ProcessorSupplier<K, V | null, K, Change<V>> {
  return () => new TableSourceProcessor<K, V>(storeName)
}

class TableSourceProcessor<K, V> implements Processor<K, V | null, K, Change<V>> {
  private context!: InternalProcessorContext<K, Change<V>>
  private store!: KeyValueStore<K, ValueAndTimestamp<V>>
  private ids: KeyIdentity<K> | undefined
  private changes!: PendingChanges<K, V>

  constructor(private readonly storeName: string) {}

  init(context: ProcessorContext<K, Change<V>>): void {
    this.context = asInternal(context)
    this.store = context.getStateStore(this.storeName)
    this.ids = keyIdentityOf(this.store)
    this.changes = PendingChanges.over(this.context, this.storeName, this.ids)
  }

  process(record: StreamRecord<K, V | null>): void {
    if (record.key === null || record.key === undefined) return this.context.recordDropped('null-key', 'tables skip records with a null key')
    const id = this.ids === undefined ? '' : this.ids.keyId(record.key)
    const old = this.store.get(record.key)
    if (record.value === null || record.value === undefined) {
      if (old === undefined) return // deleting a key that is not there changes nothing
      this.store.delete(record.key)
    } else {
      this.store.put(record.key, { value: record.value, timestamp: record.timestamp })
    }
    this.changes.update(id, record.key, old?.value ?? null, record.value ?? null, record.timestamp, record.headers)
  }
}
