import { derivedValueGetter, storeValueGetter, suppressedValueGetter, type TableValueGetterSupplier } from '../processors/stateful/table-value-getter'
import type { ValueAndTimestamp } from '../processors/stateful/value-and-timestamp'
import { TopologyError } from '../errors'
import type { TableInfo } from './ktable'

/**
 * How a join reads a table (Kafka Streams' KTableImpl.valueGetterSupplier): a materialized table
 * through its store (the fast path: the getter is the store), a derived one through the getter
 * its DSL operation composed over its ancestors. Tables that cannot be read by key are refused
 * here, with the reason: windowed tables (their store is keyed by window, and a join by key
 * would need a window to look up), and so every table suppressed untilWindowCloses.
 */
export function valueGetterOf<K, V>(info: TableInfo<K, V>, join: string): TableValueGetterSupplier<K, V> {
  if (info.window !== undefined) {
    throw new TopologyError(
      'TOPOLOGY_INVALID',
      `${join} cannot read a windowed table (the result of a windowed aggregation) directly: to join it by window, materialize it with toStream().toTable({ name }) (keyed by the windowed key), or join its toStream()`,
      { node: info.nodeName },
    )
  }
  const getter = readableBy(info)
  if (getter !== undefined) return getter
  // Every table the DSL builds has a store or a getter; this guards tables built some other way.
  throw new TopologyError('TOPOLOGY_INVALID', `${join} cannot read this table by key; materialize it with toStream().toTable({ name }) and join that`, { node: info.nodeName })
}

/**
 * The getter of a table derived from `parent` by `derive`, or undefined when the parent cannot be
 * read (the refusal then comes from valueGetterOf, at the join, with the parent's reason).
 */
export function deriveValueGetter<K, V, VR>(
  parent: TableInfo<K, V>,
  derive: (key: K, row: ValueAndTimestamp<V>) => ValueAndTimestamp<VR> | undefined,
): TableValueGetterSupplier<K, VR> | undefined {
  const source = readableBy(parent)
  return source === undefined ? undefined : derivedValueGetter(source, derive)
}

/**
 * The getter of `parent` suppressed through the buffer store `bufferStoreName`, or undefined when
 * the parent cannot be read (windowed: the join refuses it with that reason).
 */
export function suppressValueGetter<K, V>(parent: TableInfo<K, V>, bufferStoreName: string): TableValueGetterSupplier<K, V> | undefined {
  const source = readableBy(parent)
  return source === undefined ? undefined : suppressedValueGetter(source, bufferStoreName)
}

function readableBy<K, V>(info: TableInfo<K, V>): TableValueGetterSupplier<K, V> | undefined {
  if (info.window !== undefined) return undefined
  return info.valueGetter ?? (info.storeName === undefined ? undefined : storeValueGetter(info.storeName))
}
