import { TopologyError } from '../errors'
import type { DslContext, NamedOptions } from './dsl-context'
import type { KTable } from './ktable'
import type { StreamInfo } from './stream-info'
import type { JoinKind, ValueJoiner } from './value-joiner'

export type StreamTableJoinOptions = NamedOptions

/** KStream-KTable join (placeholder until implemented: throws). */
export function streamTableJoin<K, V, VT, VR>(
  _dsl: DslContext,
  _stream: StreamInfo<K, V>,
  _table: KTable<K, VT>,
  _joiner: ValueJoiner<K, V, VT | null, VR>,
  kind: Exclude<JoinKind, 'outer'>,
  _options: StreamTableJoinOptions | undefined,
): StreamInfo<K, VR> {
  throw new TopologyError('TOPOLOGY_INVALID', `KStream-KTable ${kind} join is not implemented yet`)
}
