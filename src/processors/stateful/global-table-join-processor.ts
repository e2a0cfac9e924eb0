import type { KeyValueStore } from '../../state/key-value-store'
import { asInternal, type InternalProcessorContext } from '../internal-context'
import type { Processor, ProcessorContext, ProcessorSupplier } from '../processor'
import type { StreamRecord } from '../stream-record'
import type { ValueAndTimestamp } from './value-and-timestamp'

export interface GlobalTableJoinSpec<K, V, GK, GV, VR> {
  readonly storeName: string
  /** Maps a stream record to the global table's key; null means no key to look up. */
  readonly keySelector: (key: K, value: V) => GK | null | undefined
  readonly joiner: (key: K, value: V, tableValue: GV | null) => VR
  readonly left: boolean
}

/**
 * KStream-GlobalKTable join (Kafka Streams' KStreamGlobalKTableJoin): each stream record looks up
 * the global table's current value under the key its `keySelector` picks; table updates emit
 * nothing. The output keeps the stream record's key and timestamp. Inner joins drop records
 * without a match; left joins call the joiner with null. A record with a null value, or whose
 * selector returns null, cannot join and is dropped (counted and logged), except that a left join
 * still joins a null-keyed record with a value (Kafka Streams since KIP-962).
 */
export function globalTableJoinProcessor<K, V, GK, GV, VR>(spec: GlobalTableJoinSpec<K, V, GK, GV, VR>): ProcessorSupplier<K, V, K, VR> {
  return () => new GlobalTableJoinProcessor(spec)
}

class GlobalTableJoinProcessor<K, V, GK, GV, VR> implements Processor<K, V, K, VR> {
  private context!: InternalProcessorContext<K, VR>
  private table!: KeyValueStore<GK, ValueAndTimestamp<GV>>

  constructor(private readonly spec: GlobalTableJoinSpec<K, V, GK, GV, VR>) {}

  init(context: ProcessorContext<K, VR>): void {
    this.context = asInternal(context)
    this.table = context.getStateStore(this.spec.storeName)
  }

  process(record: StreamRecord<K, V>): void {
    const { key, value } = record
    // A null value never joins (it is an empty message, not SQL's NULL), so the selector never sees one.
    if (value === null || value === undefined) return this.context.recordDropped('null-value', 'a global table join skips records with a null value')
    const tableKey = this.spec.keySelector(key, value)
    const leftWithNullKey = this.spec.left && (key === null || key === undefined)
    if (!leftWithNullKey && (tableKey === null || tableKey === undefined)) {
      return this.context.recordDropped('null-key', 'a global table join skips records whose key selector returns null')
    }
    const tableValue = tableKey === null || tableKey === undefined ? null : (this.table.get(tableKey)?.value ?? null)
    if (tableValue === null && !this.spec.left) return
    this.context.forward({ key, value: this.spec.joiner(key, value, tableValue), timestamp: record.timestamp, headers: record.headers })
  }
}
