import { TopologyError } from '../errors'
import { passThroughProcessor } from '../processors/stateless/pass-through-processor'
import { streamJoinSideProcessor, type JoinSide } from '../processors/stateful/stream-join-side-processor'
import { unmatchedKeySerde, unmatchedValuesSerde } from '../processors/stateful/unmatched-join-serdes'
import type { Serde } from '../serdes/serde'
import { keyValueStoreSpec, windowStoreSpec, type StoreSpec } from '../state/store-spec'
import type { DslContext, NamedOptions } from './dsl-context'
import { requireSerde } from './require-serde'
import { repartitionTopicName } from './internal-topic-name'
import { extendLineage, stableName } from './stable-name'
import type { StreamInfo } from './stream-info'
import type { JoinKind, ValueJoiner } from './value-joiner'
import type { JoinWindows } from './windows'

/**
 * Options of a KStream-KStream join (Kafka Streams' StreamJoined). `name` names the join's
 * processors, stores (`${name}-this-join-store`, `${name}-other-join-store`, and for left and
 * outer joins `${name}-outer-shared-join-store`), their changelog topics and, when a side must be
 * repartitioned, its topic (`${name}-left` / `${name}-right`). Unnamed, they are named from the
 * streams' lineage.
 */
export interface StreamStreamJoinOptions<K, V, VO> extends NamedOptions {
  /** Serdes for the stores and repartition topics; default: the streams' own, while known. */
  readonly key?: Serde<K>
  readonly value?: Serde<V>
  readonly otherValue?: Serde<VO>
  /** Keep both sides' window stores in memory instead of LevelDB (still logged and restored). */
  readonly inMemory?: boolean
}

/**
 * KStream-KStream windowed join (Kafka Streams' KStreamImplJoin): each side keeps its records in a
 * window store retaining duplicates (kept before + after + grace of stream time); a node per side
 * stores the record and looks up the other side's store; a merge node unites both nodes' output.
 * Sides whose key changed upstream are repartitioned first, so both sides are co-partitioned and
 * end up in one sub-topology (the two nodes share the stores).
 */
export function streamStreamJoin<K, V, VO, VR>(
  dsl: DslContext,
  left: StreamInfo<K, V>,
  right: StreamInfo<K, VO>,
  joiner: ValueJoiner<K, V | null, VO | null, VR>,
  windows: JoinWindows,
  kind: JoinKind,
  options: StreamStreamJoinOptions<K, V, VO> | undefined,
): StreamInfo<K, VR> {
  const operation = `${kind}-join`
  const keySerde = requireSerde(options?.key ?? left.keySerde ?? right.keySerde, operation, 'key')
  const valueSerde = requireSerde(options?.value ?? left.valueSerde, operation, 'value')
  const otherValueSerde = options?.otherValue ?? right.valueSerde
  if (otherValueSerde === undefined) {
    throw new TopologyError('TOPOLOGY_INVALID', `${operation}() needs a serde for the other stream's values: its type changed since its source, so pass { otherValue: Serdes.<type>() }`)
  }
  const name = options?.name
  const leftIn = coPartitioned(dsl, left, name, 'left', { key: keySerde, value: valueSerde })
  const rightIn = coPartitioned(dsl, right, name, 'right', { key: keySerde, value: otherValueSerde })

  // Starts with the left stream's lineage, so unnamed stores are named after its source topic.
  const lineage = `${leftIn.lineage}>${operation}${name === undefined ? '' : `(${name})`}[${rightIn.lineage}]`
  const storeName = (suffix: string): string => (name === undefined ? stableName(lineage, suffix) : `${name}-${suffix}-store`)
  // The window store's "size" only labels windows fetched through fetchAll; lookups use before/after.
  const windowed = { windowSizeMs: Math.max(1, windows.sizeMs), retentionMs: retentionOf(windows), retainDuplicates: true, persistent: options?.inMemory !== true }
  const thisStore = windowStoreSpec({ name: storeName('this-join'), keySerde, valueSerde, ...windowed })
  const otherStore = windowStoreSpec({ name: storeName('other-join'), keySerde, valueSerde: otherValueSerde, ...windowed })
  const unmatchedStore =
    kind === 'inner'
      ? undefined
      : keyValueStoreSpec({
          name: storeName('outer-shared-join'),
          keySerde: unmatchedKeySerde(keySerde),
          valueSerde: unmatchedValuesSerde(valueSerde, otherValueSerde),
          persistent: false, // see unmatched-join-records.ts
          cacheMaxBytes: 0,
        })
  const unmatched =
    unmatchedStore === undefined
      ? undefined
      : { store: unmatchedStore.name, windows: { leftAfterMs: windows.afterMs, rightAfterMs: windows.beforeMs, graceMs: windows.graceMs } }

  const outerThis = kind !== 'inner'
  const outerOther = kind === 'outer'
  const thisName = dsl.nodeName(outerOther ? 'KSTREAM-OUTERTHIS-' : 'KSTREAM-JOINTHIS-', named(name, outerOther ? 'outer-this-join' : 'this-join'))
  const otherName = dsl.nodeName(outerThis ? 'KSTREAM-OUTEROTHER-' : 'KSTREAM-JOINOTHER-', named(name, outerThis ? 'outer-other-join' : 'other-join'))
  const mergeName = dsl.nodeName('KSTREAM-MERGE-', named(name, 'merge'))

  const leftSide: JoinSide<K, V, VO, VR> = {
    side: 'left',
    thisStore: thisStore.name,
    otherStore: otherStore.name,
    beforeMs: windows.beforeMs,
    afterMs: windows.afterMs,
    graceMs: windows.graceMs,
    emitsUnmatched: outerThis,
    unmatched,
    joiner,
  }
  // The right side sees the window mirrored, and the joiner with its arguments swapped back.
  const rightSide: JoinSide<K, VO, V, VR> = {
    side: 'right',
    thisStore: otherStore.name,
    otherStore: thisStore.name,
    beforeMs: windows.afterMs,
    afterMs: windows.beforeMs,
    graceMs: windows.graceMs,
    emitsUnmatched: outerOther,
    unmatched,
    joiner: (key, rightValue, leftValue) => joiner(key, leftValue, rightValue),
  }
  dsl.graph.addProcessor(thisName, streamJoinSideProcessor(leftSide), leftIn.nodeName)
  dsl.graph.addProcessor(otherName, streamJoinSideProcessor(rightSide), rightIn.nodeName)
  dsl.graph.addProcessor(mergeName, passThroughProcessor<K, VR>(), thisName, otherName)
  const stores: StoreSpec[] = [thisStore, otherStore, ...(unmatchedStore === undefined ? [] : [unmatchedStore])]
  for (const store of stores) dsl.graph.addStateStore(store, thisName, otherName)

  return { nodeName: mergeName, keyChanged: false, lineage, keySerde, valueSerde: undefined }
}

/**
 * Before + after + grace (Kafka Streams' retention for join stores), plus 1 ms: a store drops
 * records at exactly stream time - retention, and a record still inside its grace period may need
 * the other side's record from exactly that time. A record is accepted until stream time passes
 * t + max(after, 0) + grace (the side processor), so with a negative before or after the stores
 * keep records longer than the window's size: a record at t arriving in order looks back
 * max(before, after) (mirrored for the right side).
 */
function retentionOf(windows: JoinWindows): number {
  const { beforeMs, afterMs } = windows
  return Math.max(Math.max(beforeMs, 0) + afterMs, beforeMs + Math.max(afterMs, 0)) + windows.graceMs + 1
}

function named(name: string | undefined, suffix: string): NamedOptions | undefined {
  return name === undefined ? undefined : { name: `${name}-${suffix}` }
}

/** A side whose key changed upstream goes through a repartition topic first (Kafka Streams' repartitionForJoin). */
function coPartitioned<K, V>(
  dsl: DslContext,
  side: StreamInfo<K, V>,
  name: string | undefined,
  which: 'left' | 'right',
  serdes: { readonly key: Serde<K>; readonly value: Serde<V> },
): StreamInfo<K, V> {
  if (!side.keyChanged) return side
  const topicName = name === undefined ? stableName(side.lineage, `join-${which}`) : `${name}-${which}`
  // Another join of this stream already repartitioned it under the same (lineage-derived) name:
  // read that topic again, as Kafka Streams reuses a join's generated repartition topic.
  const existing = `${repartitionTopicName(topicName)}-source`
  if (dsl.graph.hasNode(existing)) {
    return { nodeName: existing, keyChanged: false, lineage: extendLineage(side.lineage, 'repartition', topicName), keySerde: serdes.key, valueSerde: serdes.value }
  }
  return dsl.repartition(side, topicName, serdes)
}
