import type { Processor, ProcessorContext, ProcessorSupplier } from '../processor'
import type { KeyValuePair, StreamRecord } from '../stream-record'
import type { Change } from './change'

/**
 * The stateless KTable operations. They transform both halves of each Change, so downstream
 * aggregations keep retracting exactly what they added before.
 */

/** KTable.filter/filterNot (`matches` has filterNot's negation applied): a value that stops
 *  matching becomes a tombstone (its old value matched, its new one does not); an update where
 *  neither half matches is not forwarded. */
export function tableFilterProcessor<K, V>(matches: (key: K, value: V) => boolean): ProcessorSupplier<K, Change<V>, K, Change<V>> {
  const keep = (key: K, value: V | null): V | null => (value !== null && matches(key, value) ? value : null)
  return () =>
    new TableChangeProcessor<K, V, V>((key, change) => {
      const newValue = keep(key, change.newValue)
      const oldValue = keep(key, change.oldValue)
      return newValue === null && oldValue === null ? undefined : { newValue, oldValue }
    })
}

export function tableMapValuesProcessor<K, V, VR>(mapper: (key: K, value: V) => VR): ProcessorSupplier<K, Change<V>, K, Change<VR>> {
  return () =>
    new TableChangeProcessor<K, V, VR>((key, change) => ({
      newValue: change.newValue === null ? null : mapper(key, change.newValue),
      oldValue: change.oldValue === null ? null : mapper(key, change.oldValue),
    }))
}

class TableChangeProcessor<K, V, VR> implements Processor<K, Change<V>, K, Change<VR>> {
  private context!: ProcessorContext<K, Change<VR>>
  constructor(private readonly transform: (key: K, change: Change<V>) => Change<VR> | undefined) {}
  init(context: ProcessorContext<K, Change<VR>>): void {
    this.context = context
  }
  process(record: StreamRecord<K, Change<V>>): void {
    const value = this.transform(record.key, record.value)
    if (value !== undefined) this.context.forward({ key: record.key, value, timestamp: record.timestamp, headers: record.headers })
  }
}

/** KTable.toStream: the new values; a deletion becomes a tombstone (null value). */
export function tableToStreamProcessor<K, V>(): ProcessorSupplier<K, Change<V>, K, V | null> {
  return () => new TableToStreamProcessor<K, V>()
}

class TableToStreamProcessor<K, V> implements Processor<K, Change<V>, K, V | null> {
  private context!: ProcessorContext<K, V | null>
  init(context: ProcessorContext<K, V | null>): void {
    this.context = context
  }
  process(record: StreamRecord<K, Change<V>>): void {
    this.context.forward({ key: record.key, value: record.value.newValue, timestamp: record.timestamp, headers: record.headers })
  }
}

/**
 * KTable.groupBy: re-keys each update. The old value is retracted from its old group and the new
 * one added to its new group, old first (as in Kafka Streams), as one record when the group
 * did not change.
 */
export function tableRepartitionMapProcessor<K, V, KR, VR>(
  selector: (key: K, value: V) => KeyValuePair<KR, VR>,
): ProcessorSupplier<K, Change<V>, KR, Change<VR>> {
  return () => new TableRepartitionMapProcessor(selector)
}

class TableRepartitionMapProcessor<K, V, KR, VR> implements Processor<K, Change<V>, KR, Change<VR>> {
  private context!: ProcessorContext<KR, Change<VR>>
  constructor(private readonly selector: (key: K, value: V) => KeyValuePair<KR, VR>) {}
  init(context: ProcessorContext<KR, Change<VR>>): void {
    this.context = context
  }
  process(record: StreamRecord<K, Change<V>>): void {
    const { newValue, oldValue } = record.value
    const next = newValue === null ? undefined : this.selector(record.key, newValue)
    const prev = oldValue === null ? undefined : this.selector(record.key, oldValue)
    const nextOk = next !== undefined && next[0] !== null && next[1] !== null
    const prevOk = prev !== undefined && prev[0] !== null && prev[1] !== null
    const base = { timestamp: record.timestamp, headers: record.headers }
    if (nextOk && prevOk && sameKey(next[0], prev[0])) {
      this.context.forward({ ...base, key: next[0], value: { newValue: next[1], oldValue: prev[1] } })
      return
    }
    if (prevOk) this.context.forward({ ...base, key: prev[0], value: { newValue: null, oldValue: prev[1] } })
    if (nextOk) this.context.forward({ ...base, key: next[0], value: { newValue: next[1], oldValue: null } })
  }
}

/** Primitive keys compare by value; object keys only by identity, in which case the update
 *  travels as a retraction plus an addition, which aggregates to the same result. */
function sameKey(a: unknown, b: unknown): boolean {
  return a === b
}
