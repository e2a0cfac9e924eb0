import { keyIdentityOf, type KeyIdentity, type Windowed } from '../../state/state-store'
import type { WindowStore } from '../../state/window-store'
import type { SlidingWindows } from '../../topology/windows'
import { asInternal, type InternalProcessorContext } from '../internal-context'
import type { Processor, ProcessorContext, ProcessorSupplier } from '../processor'
import type { StreamRecord } from '../stream-record'
import type { Change } from './change'
import { PendingChanges } from './pending-changes'
import type { ValueAndTimestamp } from './value-and-timestamp'

export interface SlidingAggregation<K, V, VA> {
  readonly storeName: string
  readonly initializer: () => VA
  readonly aggregator: (key: K, value: V, aggregate: VA) => VA
}

/**
 * Sliding-window aggregation with Kafka Streams' semantics (KStreamSlidingWindowAggregate): the
 * windows that exist are exactly the distinct sets of records within `timeDifference` of each
 * other. Each record creates its "left" window [t - d, t], and a "right" window [t + 1, t + 1 + d]
 * when later records fall into it; it updates every existing window it falls into. Windows and
 * their bounds are inclusive. Records whose window would start before 0 share [0, d].
 * A stored aggregate's timestamp is the max record timestamp in the window, which tells whether
 * a window holds records after a given time.
 */
export function slidingWindowAggregateProcessor<K, V, VA>(
  windows: SlidingWindows,
  aggregation: SlidingAggregation<K, V, VA>,
): ProcessorSupplier<K, V, Windowed<K>, Change<VA>> {
  return () => new SlidingWindowAggregateProcessor(windows, aggregation)
}

type Stored<VA> = ValueAndTimestamp<VA>

class SlidingWindowAggregateProcessor<K, V, VA> implements Processor<K, V, Windowed<K>, Change<VA>> {
  private context!: InternalProcessorContext<Windowed<K>, Change<VA>>
  private store!: WindowStore<K, Stored<VA>>
  private ids: KeyIdentity<K> | undefined
  private changes!: PendingChanges<Windowed<K>, VA>
  private observedStreamTime = -1
  private readonly d: number

  constructor(
    private readonly windows: SlidingWindows,
    private readonly aggregation: SlidingAggregation<K, V, VA>,
  ) {
    this.d = windows.timeDifferenceMs
  }

  init(context: ProcessorContext<Windowed<K>, Change<VA>>): void {
    this.context = asInternal(context)
    this.store = context.getStateStore(this.aggregation.storeName)
    this.ids = keyIdentityOf(this.store)
    this.changes = PendingChanges.over(this.context, this.aggregation.storeName, this.ids)
  }

  process(record: StreamRecord<K, V>): void {
    if (record.key === null || record.key === undefined) return this.context.recordDropped('null-key', 'sliding-window aggregations skip records with a null key')
    if (record.value === null || record.value === undefined) {
      return this.context.recordDropped('null-value', 'sliding-window aggregations skip records with a null value')
    }
    this.observedStreamTime = Math.max(this.observedStreamTime, record.timestamp)
    const closeTime = this.observedStreamTime - this.windows.graceMs
    if (record.timestamp + this.d < closeTime) {
      return this.context.recordDropped('late-record', `record at ${record.timestamp} is past the grace period of its sliding window (close time ${closeTime})`)
    }
    if (record.timestamp < this.d) this.processEarly(record, closeTime)
    else this.processInOrder(record, closeTime)
  }

  private processInOrder(record: StreamRecord<K, V>, closeTime: number): void {
    const t = record.timestamp
    const starts = new Set<number>()
    let leftAgg: Stored<VA> | undefined
    let rightAgg: Stored<VA> | undefined
    let leftExists = false
    let rightExists = false
    let previousRecordTime: number | undefined
    for (const w of this.store.fetch(record.key, Math.max(0, t - 2 * this.d), t + 1)) {
      const start = w.windowStart
      const end = start + this.d
      const maxRecordTime = w.value.timestamp
      starts.add(start)
      if (end < t) {
        // A window entirely before this record: the latest one holds the records of our left window.
        leftAgg = w.value
        previousRecordTime = maxRecordTime
      } else if (end === t) {
        leftExists = true
        if (maxRecordTime < t) previousRecordTime = maxRecordTime
        this.update(start, w.value, record, closeTime)
      } else if (start <= t) {
        rightAgg = w.value
        this.update(start, w.value, record, closeTime)
      } else if (start === t + 1) {
        rightExists = true
      }
    }
    if (previousRecordTime !== undefined) {
      const previousRightStart = previousRecordTime + 1
      if (!starts.has(previousRightStart) && previousRightStart + this.d >= t) {
        this.update(previousRightStart, this.fresh(t), record, closeTime)
      }
    }
    if (!leftExists) {
      const base =
        previousRecordTime !== undefined && t - this.d <= previousRecordTime && leftAgg !== undefined
          ? { value: leftAgg.value, timestamp: t }
          : this.fresh(t)
      this.update(t - this.d, base, record, closeTime)
    }
    if (!rightExists && rightAgg !== undefined && rightAgg.timestamp > t) this.createRightWindow(record, rightAgg)
  }

  /** Records before `d` would open windows starting below 0; they share [0, d] instead. */
  private processEarly(record: StreamRecord<K, V>, closeTime: number): void {
    const t = record.timestamp
    const starts = new Set<number>()
    let combined: { start: number; value: Stored<VA> } | undefined
    let rightAgg: Stored<VA> | undefined
    let rightExists = false
    let previousRecordTime: number | undefined
    for (const w of this.store.fetch(record.key, 0, t + 1)) {
      const start = w.windowStart
      starts.add(start)
      if (start === 0) {
        combined = { start, value: w.value }
        if (w.value.timestamp < t) previousRecordTime = w.value.timestamp
      } else if (start <= t) {
        rightAgg = w.value
        this.update(start, w.value, record, closeTime)
      } else if (start === t + 1) {
        rightExists = true
      }
    }
    if (rightAgg === undefined && combined !== undefined && combined.value.timestamp > t) rightAgg = combined.value
    if (!rightExists && rightAgg !== undefined && rightAgg.timestamp > t) this.createRightWindow(record, rightAgg)
    if (previousRecordTime !== undefined && !starts.has(previousRecordTime + 1)) {
      this.update(previousRecordTime + 1, this.fresh(t), record, closeTime)
    }
    this.update(0, combined?.value ?? this.fresh(t), record, closeTime)
  }

  /** The right window of this record holds exactly the later records already in `rightAgg`. */
  private createRightWindow(record: StreamRecord<K, V>, rightAgg: Stored<VA>): void {
    const start = record.timestamp + 1
    this.store.put(record.key, rightAgg, start)
    this.forward(record, start, null, rightAgg)
  }

  private update(start: number, current: Stored<VA>, record: StreamRecord<K, V>, closeTime: number): void {
    const end = start + this.d
    if (end < closeTime) {
      this.context.recordDropped('late-record', `sliding window [${start},${end}] is closed (close time ${closeTime})`)
      return
    }
    const isNew = this.store.fetch(record.key, start) === undefined
    const value = this.aggregation.aggregator(record.key, record.value, current.value)
    const next: Stored<VA> = { value, timestamp: isNew ? record.timestamp : Math.max(record.timestamp, current.timestamp) }
    this.store.put(record.key, next, start)
    this.forward(record, start, isNew ? null : current.value, next)
  }

  /** One window's update: forwarded now, or once per commit over a cached store (pending-changes.ts). */
  private forward(record: StreamRecord<K, V>, start: number, oldValue: VA | null, next: Stored<VA>): void {
    const id = this.ids === undefined ? '' : `${this.ids.keyId(record.key)}@${start}`
    this.changes.update(id, { key: record.key, window: { start, end: start + this.d } }, oldValue, next.value, next.timestamp, record.headers)
  }

  private fresh(timestamp: number): Stored<VA> {
    return { value: this.aggregation.initializer(), timestamp }
  }
}
