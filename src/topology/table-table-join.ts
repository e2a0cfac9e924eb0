import { tableToStreamProcessor } from '../processors/stateful/table-map-processors'
import { tableJoinMergeProcessor, tableJoinSideProcessor } from '../processors/stateful/table-table-join-processor'
import { TopologyError } from '../errors'
import type { Serde } from '../serdes/serde'
import type { DslContext, NamedOptions } from './dsl-context'
import { materializeTable, type KTable, type TableInfo } from './ktable'
import { extendLineage } from './stable-name'
import type { StreamInfo } from './stream-info'
import type { JoinKind, ValueJoiner } from './value-joiner'

export interface TableTableJoinOptions<VR> extends NamedOptions {
  /** Serde of the result's values; needed with `name`, which materializes the result in a store of that name. */
  readonly value?: Serde<VR>
  /** As TableOptions.inMemory/caching, for a named (materialized) result. */
  readonly inMemory?: boolean
  readonly caching?: boolean
}

/**
 * KTable-KTable join on equal keys: one processor per side (each reads the other side's store)
 * and a merge node the result table hangs from, as in Kafka Streams. Both stores are connected to
 * both side processors, so the two tables share a sub-topology (co-partitioned inputs). With
 * `name` the result is materialized like a table built from a stream: its store computes the
 * retractions and a result that disappears emits a tombstone only if there was one before.
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
  const leftStore = requireStore(left, operation)
  const rightStore = requireStore(right, operation)
  if (leftStore === rightStore) throw new TopologyError('TOPOLOGY_INVALID', `a KTable cannot be ${operation}ed with itself`)
  const leftName = dsl.nodeName('KTABLE-JOINTHIS-')
  const rightName = dsl.nodeName('KTABLE-JOINOTHER-')
  const leftOptional = kind !== 'inner'
  const rightOptional = kind === 'outer'
  dsl.graph.addProcessor(leftName, tableJoinSideProcessor<K, V, VO, VR>({ otherStoreName: rightStore, thisOptional: leftOptional, otherOptional: rightOptional, joiner }), left.info.nodeName)
  dsl.graph.addProcessor(
    rightName,
    tableJoinSideProcessor<K, VO, V, VR>({ otherStoreName: leftStore, thisOptional: rightOptional, otherOptional: leftOptional, joiner: (key, value, otherValue) => joiner(key, otherValue, value) }),
    right.info.nodeName,
  )
  dsl.graph.connectProcessorAndStateStores([leftName, rightName], leftStore, rightStore)
  const mergeName = dsl.nodeName('KTABLE-MERGE-', options)
  dsl.graph.addProcessor(mergeName, tableJoinMergeProcessor<K, VR>(), leftName, rightName)
  const lineage = extendLineage(extendLineage(left.info.lineage, operation, options?.name), 'with', right.info.lineage)
  const merged: TableInfo<K, VR> = { nodeName: mergeName, keyChanged: false, lineage, keySerde: left.info.keySerde ?? right.info.keySerde, valueSerde: options?.value, storeName: undefined, window: undefined }
  if (options?.name === undefined) return merged
  // Materialized: the result's updates go into a table like any changelog stream's.
  const streamName = `${options.name}-tostream`
  dsl.graph.addProcessor(streamName, tableToStreamProcessor<K, VR>(), mergeName)
  const asStream: StreamInfo<K, VR> = { ...merged, nodeName: streamName }
  const { name, value, inMemory, caching } = options
  return materializeTable(dsl, asStream, { name, value, inMemory, caching }, operation).info
}

function requireStore<K, V>(table: KTable<K, V>, operation: string): string {
  const storeName = table.queryableStoreName
  if (storeName !== undefined) return storeName
  // Kafka Streams would read such a table through value getters; we do not have them yet.
  throw new TopologyError(
    'TOPOLOGY_INVALID',
    `KTable-KTable ${operation} needs materialized tables (a source table, toTable(), an aggregation or a named join); materialize a derived table with toStream().toTable({ name })`,
  )
}
