import { derivedValueGetter, storeValueGetter, type TableValueGetterSupplier } from '../processors/stateful/table-value-getter'
import type { ValueAndTimestamp } from '../processors/stateful/value-and-timestamp'
import { TopologyError } from '../errors'
import type { TableInfo } from './ktable'

/**
 * How a join reads a table (Kafka Streams' KTableImpl.valueGetterSupplier): a materialized table
 * through its store (the fast path: the getter is the store), a derived one through the getter
 * its DSL operation composed over its ancestors. Tables that cannot be read by key are refused
 * here, with the reason: windowed tables (their store is keyed by window, and a join by key
 * would need a window to look up) and tables downstream of suppress (their rows are held in a
 * buffer that a lookup would have to consult before the parent, which we do not do).
 */
export function valueGetterOf<K, V>(info: TableInfo<K, V>, join: string): TableValueGetterSupplier<K, V> {
  if (info.window !== undefined) {
    throw new TopologyError('TOPOLOGY_INVALID', `${join} cannot read a windowed table (the result of a windowed aggregation): join its toStream() instead`, { node: info.nodeName })
  }
  const getter = readableBy(info)
  if (getter !== undefined) return getter
  throw new TopologyError(
    'TOPOLOGY_INVALID',
    `${join} cannot read ${info.unreadable ?? 'this table'} by key; materialize it with toStream().toTable({ name }) and join that`,
    { node: info.nodeName },
  )
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

function readableBy<K, V>(info: TableInfo<K, V>): TableValueGetterSupplier<K, V> | undefined {
  if (info.window !== undefined) return undefined
  return info.valueGetter ?? (info.storeName === undefined ? undefined : storeValueGetter(info.storeName))
}
