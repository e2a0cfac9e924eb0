import { asInternal, type InternalProcessorContext } from '../internal-context'
import type { Processor, ProcessorContext, ProcessorSupplier } from '../processor'
import type { StreamRecord } from '../stream-record'
import type { TableValueGetter, TableValueGetterSupplier } from './table-value-getter'

export interface StreamTableJoinSpec<K, V, VT, VR> {
  /** Reads the table: its store, or its materialized ancestors' through its derivation (the DSL connects their stores to this processor). */
  readonly table: TableValueGetterSupplier<K, VT>
  readonly joiner: (key: K, value: V, tableValue: VT | null) => VR
  readonly left: boolean
}

/**
 * KStream-KTable join (Kafka Streams' KStreamKTableJoinProcessor): each stream record looks up
 * the table's current value for its key; table updates emit nothing (the table's own node feeds
 * the store, not this processor). The output keeps the stream record's key and timestamp. An
 * inner join drops records without a match; a left join calls the joiner with null. A record
 * with a null value is dropped (counted and logged), as is a null-keyed record of an inner join;
 * a left join still joins a null-keyed record with null (KIP-962).
 */
export function streamTableJoinProcessor<K, V, VT, VR>(spec: StreamTableJoinSpec<K, V, VT, VR>): ProcessorSupplier<K, V, K, VR> {
  return () => new StreamTableJoinProcessor(spec)
}

class StreamTableJoinProcessor<K, V, VT, VR> implements Processor<K, V, K, VR> {
  private context!: InternalProcessorContext<K, VR>
  private table!: TableValueGetter<K, VT>

  constructor(private readonly spec: StreamTableJoinSpec<K, V, VT, VR>) {}

  init(context: ProcessorContext<K, VR>): void {
    this.context = asInternal(context)
    this.table = this.spec.table.open(context)
  }

  process(record: StreamRecord<K, V>): void {
    const { key, value } = record
    if (value === null || value === undefined) return this.context.recordDropped('null-value', 'a stream-table join skips records with a null value')
    const nullKey = key === null || key === undefined
    if (nullKey && !this.spec.left) return this.context.recordDropped('null-key', 'a stream-table inner join skips records with a null key')
    // A null key cannot be looked up: the left join joins it with null (KIP-962).
    const tableValue = nullKey ? null : (this.table.get(key)?.value ?? null)
    if (tableValue === null && !this.spec.left) return
    this.context.forward({ key, value: this.spec.joiner(key, value, tableValue), timestamp: record.timestamp, headers: record.headers })
  }
}
