import { tableJoinMergeProcessor, tableJoinSideProcessor } from '../processors/stateful/table-table-join-processor'
import { joinedValueGetter } from '../processors/stateful/table-value-getter'
import { TopologyError } from '../errors'
import type { DslContext } from './dsl-context'
import { materializeIfNamed, type KTable, type MaterializedOptions, type TableInfo } from './ktable'
import { extendLineage } from './stable-name'
import { valueGetterOf } from './table-value-getter'
import type { JoinKind, ValueJoiner } from './value-joiner'

/** With `name`, the result is materialized in a store of that name and needs `value`, the result's serde. */
export type TableTableJoinOptions<VR> = MaterializedOptions<VR>

/**
 * KTable-KTable join on equal keys: one processor per side (each reads the other side through
 * its value getter: its store, or for a derived table its ancestors' stores with the derivation
 * applied) and a merge node the result table hangs from, as in Kafka Streams. A side needs no
 * getter for itself: its updates carry their old values. The stores both getters read are
 * connected to both side processors, so the tables' sources share a sub-topology (co-partitioned
 * inputs). With `name` the result is materialized like a table built from a stream: its store
 * computes the retractions and a result that disappears emits a tombstone only if there was one
 * before. Unnamed, the result is read by later joins through a getter joining both sides' getters.
 */
export function tableTableJoin<K, V, VO, VR>(
  dsl: DslContext,
  left: KTable<K, V>,
  right: KTable<K, VO>,
  joiner: ValueJoiner<K, V | null, VO | null, VR>,
  kind: JoinKind,
  options: TableTableJoinOptions<VR> | undefined,
): TableInfo<K, VR> {
  const operation = kind === 'inner' ? 'join' : `${kind}Join`
  const description = `KTable-KTable ${operation}`
  const leftGetter = valueGetterOf(left.info, description)
  const rightGetter = valueGetterOf(right.info, description)
  const stores = [...new Set([...leftGetter.storeNames, ...rightGetter.storeNames])]
  if (stores.length < leftGetter.storeNames.length + rightGetter.storeNames.length) {
    // One store feeding both sides would update both before either looks up the other, so the
    // old results retracted downstream would be wrong. Kafka Streams does not check this; we
    // refuse, as we refused joining a table with itself before value getters.
    throw new TopologyError('TOPOLOGY_INVALID', `a KTable cannot be ${operation}ed with itself or with a table derived from the same store`)
  }
  const leftName = dsl.nodeName('KTABLE-JOINTHIS-')
  const rightName = dsl.nodeName('KTABLE-JOINOTHER-')
  const leftOptional = kind !== 'inner'
  const rightOptional = kind === 'outer'
  dsl.graph.addProcessor(leftName, tableJoinSideProcessor<K, V, VO, VR>({ other: rightGetter, thisOptional: leftOptional, otherOptional: rightOptional, joiner }), left.info.nodeName)
  dsl.graph.addProcessor(
    rightName,
    tableJoinSideProcessor<K, VO, V, VR>({ other: leftGetter, thisOptional: rightOptional, otherOptional: leftOptional, joiner: (key, value, otherValue) => joiner(key, otherValue, value) }),
    right.info.nodeName,
  )
  dsl.graph.connectProcessorAndStateStores([leftName, rightName], ...stores)
  const mergeName = dsl.nodeName('KTABLE-MERGE-', options)
  dsl.graph.addProcessor(mergeName, tableJoinMergeProcessor<K, VR>(), leftName, rightName)
  const lineage = extendLineage(extendLineage(left.info.lineage, operation, options?.name), 'with', right.info.lineage)
  const merged: TableInfo<K, VR> = {
    nodeName: mergeName,
    keyChanged: false,
    lineage,
    keySerde: left.info.keySerde ?? right.info.keySerde,
    valueSerde: options?.value,
    storeName: undefined,
    window: undefined,
    valueGetter: joinedValueGetter(leftGetter, rightGetter, { leftOptional, rightOptional, joiner }),
  }
  return materializeIfNamed(dsl, merged, options, operation)
}
