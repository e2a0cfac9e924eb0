import type { KeyValueStore } from '../../state/key-value-store'
import type { WindowStore } from '../../state/window-store'
import type { ValueJoiner } from '../../topology/value-joiner'
import { asInternal, type InternalProcessorContext } from '../internal-context'
import type { Processor, ProcessorContext, ProcessorSupplier } from '../processor'
import type { StreamRecord } from '../stream-record'
import { sharedUnmatched, type UnmatchedJoinRecords, type UnmatchedWindows } from './unmatched-join-records'
import type { UnmatchedKey, UnmatchedValues } from './unmatched-join-serdes'

/** One side of a stream-stream join, as seen from that side (the right side's windows are mirrored). */
export interface JoinSide<K, VThis, VOther, VR> {
  readonly side: 'left' | 'right'
  /** Where this side's records are kept (a window store retaining duplicates). */
  readonly thisStore: string
  readonly otherStore: string
  /** The other side's records join when their timestamp is in [t - beforeMs, t + afterMs]. */
  readonly beforeMs: number
  readonly afterMs: number
  readonly graceMs: number
  /** Emit this side's records that find no match (left side of a left join, both of an outer join). */
  readonly emitsUnmatched: boolean
  /** The store of records waiting for a match (left and outer joins), shared by both sides. */
  readonly unmatched?: { readonly store: string; readonly windows: UnmatchedWindows }
  /** Called with this side's value first (the right side's joiner swaps the arguments back). */
  readonly joiner: ValueJoiner<K, VThis | null, VOther | null, VR>
}

/**
 * One side of a KStream-KStream windowed join (Kafka Streams' KStreamJoinWindow followed by
 * KStreamKStreamJoinLeftSide/RightSide, in one node): a record looks up the other side's store
 * for records of its key within its window and emits one joined record per match, timestamped
 * with the later of the two; then it is kept in its own side's store for the other side's later
 * records. Looking up before storing is what makes a self-join (both sides fed by one stream)
 * join each record with itself exactly once, as in Kafka Streams.
 *
 * Stream time is the largest timestamp either side has stored (both stores' observed stream
 * time), so it is shared by both sides, survives restarts (restored with the stores) and rolls
 * back with them. A record whose window closed before it arrived (t + after + grace < stream
 * time) is dropped as late. Left/outer joins hold unmatched records (unmatched-join-records.ts)
 * and emit them, joined with null, when a record in time order finds their window closed.
 */
export function streamJoinSideProcessor<K, VThis, VOther, VR>(side: JoinSide<K, VThis, VOther, VR>): ProcessorSupplier<K, VThis, K, VR> {
  return () => new StreamJoinSideProcessor(side)
}

class StreamJoinSideProcessor<K, VThis, VOther, VR> implements Processor<K, VThis, K, VR> {
  private context!: InternalProcessorContext<K, VR>
  private thisStore!: WindowStore<K, VThis>
  private otherStore!: WindowStore<K, VOther>
  private unmatched: UnmatchedJoinRecords<K, VThis, VOther> | undefined
  private readonly left: boolean

  constructor(private readonly side: JoinSide<K, VThis, VOther, VR>) {
    this.left = side.side === 'left'
  }

  init(context: ProcessorContext<K, VR>): void {
    this.context = asInternal(context)
    this.thisStore = context.getStateStore(this.side.thisStore)
    this.otherStore = context.getStateStore(this.side.otherStore)
    const unmatched = this.side.unmatched
    if (unmatched !== undefined) {
      const store = context.getStateStore<KeyValueStore<UnmatchedKey<K>, UnmatchedValues<VThis, VOther>>>(unmatched.store)
      this.unmatched = sharedUnmatched(store, unmatched.windows, this.side.side)
    }
  }

  process(record: StreamRecord<K, VThis>): void {
    const { key, value, timestamp } = record
    if (key === null || key === undefined) {
      // KIP-962: an outer side's record cannot match without a key, so it is emitted at once.
      if (this.side.emitsUnmatched && value !== null && value !== undefined) {
        return this.context.forward({ ...record, value: this.side.joiner(key, value, null) })
      }
      return this.context.recordDropped('null-key', 'stream-stream joins skip records with a null key')
    }
    if (value === null || value === undefined) {
      return this.context.recordDropped('null-value', 'stream-stream joins skip records with a null value')
    }
    const streamTime = Math.max(timestamp, this.thisStore.observedStreamTime, this.otherStore.observedStreamTime)
    const { beforeMs, afterMs, graceMs } = this.side
    // With a window shifted to one side (negative after), a record's window ends before the record
    // itself: it is late only once stream time passes the record plus grace, never when in order.
    if (timestamp + Math.max(afterMs, 0) + graceMs < streamTime) {
      return this.context.recordDropped('late-record', `record at ${timestamp} is past the join window's grace period (stream time ${streamTime})`)
    }
    const unmatched = this.unmatched
    if (unmatched !== undefined && timestamp === streamTime && unmatched.anyClosed(streamTime)) {
      unmatched.emitClosed(streamTime, (k, left, t, v) => {
        const joined = left ? this.joinLeftFirst(k, v as VThis | VOther, null) : this.joinLeftFirst(k, null, v as VThis | VOther)
        this.context.forward({ key: k, value: joined, timestamp: t, headers: record.headers })
      })
    }
    // Only the lower bound is clamped at 0 (Kafka Streams clamps both, so a window shifted wholly
    // below 0 by a negative after would wrongly take in records at 0).
    const matches = this.otherStore.fetch(key, Math.max(0, timestamp - beforeMs), timestamp + afterMs)
    for (const match of matches) {
      unmatched?.matched(key, !this.left, match.windowStart)
      this.context.forward({ ...record, value: this.side.joiner(key, value, match.value), timestamp: Math.max(timestamp, match.windowStart) })
    }
    if (matches.length === 0 && this.side.emitsUnmatched && unmatched !== undefined) {
      // Its window closed already (only with a negative after): no later record of the other side
      // is in time for it, so it is emitted at once, as Kafka Streams does.
      if (timestamp + afterMs + graceMs < streamTime) this.context.forward({ ...record, value: this.side.joiner(key, value, null) })
      else unmatched.add(key, this.left, timestamp, value)
    }
    this.thisStore.put(key, value, timestamp)
  }

  /** The joiner with the left side's value first, whichever side this processor is. */
  private joinLeftFirst(key: K, leftValue: VThis | VOther | null, rightValue: VThis | VOther | null): VR {
    return this.left
      ? this.side.joiner(key, leftValue as VThis | null, rightValue as VOther | null)
      : this.side.joiner(key, rightValue as VThis | null, leftValue as VOther | null)
  }
}
