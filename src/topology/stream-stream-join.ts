import { TopologyError } from '../errors'
import type { DslContext, NamedOptions } from './dsl-context'
import type { StreamInfo } from './stream-info'
import type { JoinKind, ValueJoiner } from './value-joiner'

/** Placeholder for Kafka Streams' JoinWindows until implemented. */
export interface JoinWindowsLike {
  readonly beforeMs: number
  readonly afterMs: number
  readonly graceMs: number
}

export type StreamStreamJoinOptions = NamedOptions

/** KStream-KStream windowed join (placeholder until implemented: throws). */
export function streamStreamJoin<K, V, VO, VR>(
  _dsl: DslContext,
  _left: StreamInfo<K, V>,
  _right: StreamInfo<K, VO>,
  _joiner: ValueJoiner<K, V | null, VO | null, VR>,
  _windows: JoinWindowsLike,
  kind: JoinKind,
  _options: StreamStreamJoinOptions | undefined,
): StreamInfo<K, VR> {
  throw new TopologyError('TOPOLOGY_INVALID', `KStream-KStream ${kind} join is not implemented yet`)
}
