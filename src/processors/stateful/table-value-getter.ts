import type { KeyValueStore } from '../../state/key-value-store'
import type { ProcessorContext } from '../processor'
import type { SuppressEntry } from './suppress-entry'
import type { ValueAndTimestamp } from './value-and-timestamp'

/**
 * Reads a table's current row by key, whether or not the table has a store of its own (Kafka
 * Streams' KTableValueGetter). A derived table without a store (filter, mapValues, an unnamed
 * join) reads its nearest materialized ancestors and applies its derivation on each lookup, so
 * joins see exactly the rows the table's own updates describe.
 */
export interface TableValueGetter<K, V> {
  get(key: K): ValueAndTimestamp<V> | undefined
}

/**
 * How one processor instance opens a getter (Kafka Streams' KTableValueGetterSupplier), and the
 * stores it reads: the DSL connects them to the reading node, which also puts the ancestors'
 * sources in the reader's sub-topology (so co-partitioning is checked as for a direct read).
 */
export interface TableValueGetterSupplier<K, V> {
  readonly storeNames: readonly string[]
  open(context: ProcessorContext<unknown, unknown>): TableValueGetter<K, V>
}

/** A materialized table: the getter is the store itself, so a lookup costs what a store read does. */
export function storeValueGetter<K, V>(storeName: string): TableValueGetterSupplier<K, V> {
  return {
    storeNames: [storeName],
    open: (context) => context.getStateStore<KeyValueStore<K, ValueAndTimestamp<V>>>(storeName),
  }
}

/**
 * A table derived row by row from its parent: `derive` maps the parent's row to this table's
 * (undefined: no row here, as a filter that does not match). Chains compose one closure per step.
 */
export function derivedValueGetter<K, V, VR>(
  parent: TableValueGetterSupplier<K, V>,
  derive: (key: K, row: ValueAndTimestamp<V>) => ValueAndTimestamp<VR> | undefined,
): TableValueGetterSupplier<K, VR> {
  return {
    storeNames: parent.storeNames,
    open: (context) => {
      const source = parent.open(context)
      return {
        get: (key) => {
          const row = source.get(key)
          return row === undefined ? undefined : derive(key, row)
        },
      }
    },
  }
}

/**
 * A suppressed table (Kafka Streams' suppress value getter): a key with an update held in the
 * suppression buffer reads as what the table last emitted for it, the entry's prior value; any
 * other key has nothing pending, so the table holds what its parent holds. The prior value's time
 * is not kept: its timestamp is -1 (Kafka's "unknown"), so a join result takes the other side's
 * (join side processors take the later of the update's and the row's timestamps).
 */
export function suppressedValueGetter<K, V>(parent: TableValueGetterSupplier<K, V>, bufferStoreName: string): TableValueGetterSupplier<K, V> {
  return {
    storeNames: [...parent.storeNames, bufferStoreName],
    open: (context) => {
      const source = parent.open(context)
      const buffer = context.getStateStore<KeyValueStore<K, SuppressEntry<V>>>(bufferStoreName)
      return {
        get: (key) => {
          const held = buffer.get(key)
          return held === undefined ? source.get(key) : derivedRow(held.priorValue, UNKNOWN_TIMESTAMP)
        },
      }
    },
  }
}

const UNKNOWN_TIMESTAMP = -1

/**
 * A derived row, or none when the derivation gave null (Kafka Streams' ValueAndTimestamp.make):
 * a mapper or joiner returning null deletes the key in the table's own updates, so a lookup must
 * not see a row holding null either (an inner join would call its joiner with it, and a result
 * would take the timestamp of a row that is not there).
 */
export function derivedRow<V>(value: V | null | undefined, timestamp: number): ValueAndTimestamp<V> | undefined {
  return value === null || value === undefined ? undefined : { value, timestamp }
}

/** Whether each side's row joins when the other side has none (the join kind, seen from the left). */
export interface JoinedValueGetterSpec<K, V, VO, VR> {
  readonly leftOptional: boolean
  readonly rightOptional: boolean
  readonly joiner: (key: K, value: V | null, otherValue: VO | null) => VR
}

/**
 * An unmaterialized KTable-KTable join result read by key (Kafka Streams' KTableKTableInnerJoin /
 * LeftJoin / OuterJoin value getters): both parents' rows joined as the join processor would, at
 * the later of their timestamps.
 */
export function joinedValueGetter<K, V, VO, VR>(
  left: TableValueGetterSupplier<K, V>,
  right: TableValueGetterSupplier<K, VO>,
  spec: JoinedValueGetterSpec<K, V, VO, VR>,
): TableValueGetterSupplier<K, VR> {
  return {
    storeNames: [...new Set([...left.storeNames, ...right.storeNames])],
    open: (context) => {
      const l = left.open(context)
      const r = right.open(context)
      return {
        get: (key) => {
          const leftRow = l.get(key)
          if (leftRow === undefined && !spec.rightOptional) return undefined
          const rightRow = r.get(key)
          if (rightRow === undefined && (leftRow === undefined || !spec.leftOptional)) return undefined
          const timestamp = Math.max(leftRow?.timestamp ?? -Infinity, rightRow?.timestamp ?? -Infinity)
          return derivedRow(spec.joiner(key, leftRow?.value ?? null, rightRow?.value ?? null), timestamp)
        },
      }
    },
  }
}
