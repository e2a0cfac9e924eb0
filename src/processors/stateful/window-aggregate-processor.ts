import { keyIdentityOf, type KeyIdentity, type Windowed } from '../../state/state-store'
import type { WindowStore } from '../../state/window-store'
import type { TimeWindows } from '../../topology/windows'
import { asInternal, type InternalProcessorContext } from '../internal-context'
import type { Processor, ProcessorContext, ProcessorSupplier } from '../processor'
import type { StreamRecord } from '../stream-record'
import type { Change } from './change'
import { PendingChanges } from './pending-changes'
import { fold, type StreamAggregation } from './stream-aggregate-processor'
import type { ValueAndTimestamp } from './value-and-timestamp'

/**
 * Windowed count/reduce/aggregate over tumbling or hopping windows (Kafka's
 * KStreamWindowAggregate). A record updates every window containing it whose end is still after
 * the close time (max timestamp seen - grace); for windows already closed it is dropped and
 * counted as late. Over a cached store, one Change per window and key per commit goes downstream
 * (pending-changes.ts).
 */
export function windowAggregateProcessor<K, V, VA>(
  windows: TimeWindows,
  aggregation: StreamAggregation<K, V, VA>,
): ProcessorSupplier<K, V, Windowed<K>, Change<VA>> {
  return () => new WindowAggregateProcessor(windows, aggregation)
}

class WindowAggregateProcessor<K, V, VA> implements Processor<K, V, Windowed<K>, Change<VA>> {
  private context!: InternalProcessorContext<Windowed<K>, Change<VA>>
  private store!: WindowStore<K, ValueAndTimestamp<VA>>
  private ids: KeyIdentity<K> | undefined
  private changes!: PendingChanges<Windowed<K>, VA>
  private observedStreamTime = -1

  constructor(
    private readonly windows: TimeWindows,
    private readonly aggregation: StreamAggregation<K, V, VA>,
  ) {}

  init(context: ProcessorContext<Windowed<K>, Change<VA>>): void {
    this.context = asInternal(context)
    this.store = context.getStateStore(this.aggregation.storeName)
    this.ids = keyIdentityOf(this.store)
    this.changes = PendingChanges.over(this.context, this.aggregation.storeName, this.ids)
  }

  process(record: StreamRecord<K, V>): void {
    if (record.key === null || record.key === undefined) return this.context.recordDropped('null-key', 'windowed aggregations skip records with a null key')
    if (record.value === null || record.value === undefined) {
      return this.context.recordDropped('null-value', 'windowed aggregations skip records with a null value')
    }
    this.observedStreamTime = Math.max(this.observedStreamTime, record.timestamp)
    const closeTime = this.observedStreamTime - this.windows.graceMs
    let keyId: string | undefined
    for (const start of this.windows.windowStartsFor(record.timestamp)) {
      const end = start + this.windows.sizeMs
      if (end <= closeTime) {
        this.context.recordDropped('late-record', `record at ${record.timestamp} is past the grace period of window [${start},${end}) (close time ${closeTime})`)
        continue
      }
      const old = this.store.fetch(record.key, start)
      const { value, timestamp } = fold(this.aggregation, record, old)
      this.store.put(record.key, { value, timestamp }, start)
      // The window start after the key's id: a start has no '@', so the pair is unambiguous.
      if (keyId === undefined && this.ids !== undefined) keyId = this.ids.keyId(record.key)
      const id = keyId === undefined ? '' : `${keyId}@${start}`
      this.changes.update(id, { key: record.key, window: { start, end } }, old?.value ?? null, value, timestamp, record.headers)
    }
  }
}
