import { streamTableJoinProcessor } from '../processors/stateful/stream-table-join-processor'
import type { DslContext, NamedOptions } from './dsl-context'
import type { KTable } from './ktable'
import { requireSerde } from './require-serde'
import { extendLineage, stableName } from './stable-name'
import type { StreamInfo } from './stream-info'
import { valueGetterOf } from './table-value-getter'
import type { JoinKind, ValueJoiner } from './value-joiner'

export type StreamTableJoinOptions = NamedOptions

/**
 * KStream-KTable join: a processor fed by the stream that reads the table through its value
 * getter (its store, or for a derived table its ancestors' stores with the derivation applied).
 * Connecting those stores to it puts the stream's source and the table's source in one sub-topology, so the
 * runtime's topic plan requires their topics to have equal partition counts (co-partitioning).
 * A stream whose key changed upstream goes through a repartition topic first, as in Kafka Streams.
 */
export function streamTableJoin<K, V, VT, VR>(
  dsl: DslContext,
  stream: StreamInfo<K, V>,
  table: KTable<K, VT>,
  joiner: ValueJoiner<K, V, VT | null, VR>,
  kind: Exclude<JoinKind, 'outer'>,
  options: StreamTableJoinOptions | undefined,
): StreamInfo<K, VR> {
  const operation = kind === 'left' ? 'leftJoin' : 'join'
  const getter = valueGetterOf(table.info, `KStream-KTable ${operation}`)
  const input = stream.keyChanged
    ? dsl.repartition(stream, stableName(stream.lineage, operation), {
        // Both sides share the key type, so the table's key serde fits a re-keyed stream.
        key: requireSerde(stream.keySerde ?? table.info.keySerde, operation, 'key'),
        value: requireSerde(stream.valueSerde, operation, 'value'),
      })
    : stream
  const name = dsl.nodeName('KSTREAM-JOIN-', options)
  dsl.graph.addProcessor(name, streamTableJoinProcessor<K, V, VT, VR>({ table: getter, joiner, left: kind === 'left' }), input.nodeName)
  dsl.graph.connectProcessorAndStateStores(name, ...getter.storeNames)
  return {
    nodeName: name,
    keyChanged: false,
    lineage: extendLineage(input.lineage, operation, options?.name),
    keySerde: input.keySerde,
    valueSerde: undefined,
  }
}
