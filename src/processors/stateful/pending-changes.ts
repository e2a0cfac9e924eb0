/**
 * Kafka Streams' record-cache forwarding (KIP-63): an aggregation over a cached store forwards
 * one Change per key when the cache is flushed (every commit), not one per input record. Each
 * Change carries the value forwarded last time as its old value and the latest as its new one,
 * with the timestamp and headers of the last update, so downstream (a sink, a table aggregate's
 * subtractor) sees the same net effect as with every update, in fewer records.
 *
 * The runtime's processing loop flushes just before each commit (TaskManager; decision 0003), so
 * the Changes go out in the commit that holds their state; the test driver flushes after every
 * input record, as Kafka Streams' does. A task rolled back is rebuilt with fresh processors: what
 * was pending goes with it, never out.
 */
import type { RecordHeaders } from '../../record-headers'
import type { ConsumedRecord } from '../../topology/node-spec'
import type { InternalProcessorContext } from '../internal-context'
import type { Change } from './change'

/**
 * Keys with a pending Change per aggregation and task before they are forwarded without waiting
 * for the commit (Kafka Streams evicts from a full cache the same way). Bounds the memory of a
 * long commit interval over many keys: an entry holds the key, the two values and ~150 bytes, so
 * with small aggregates 10k entries take a few MB; large aggregate values take more (the write
 * buffer holds each dirty key's serialized value for the same interval anyway). Not counted in
 * `cacheMaxBytes`.
 */
export const MAX_PENDING_CHANGES = 10_000

interface Pending<K, V> {
  readonly id: string
  key: K
  /** The value forwarded last (or committed before this interval): the Change's old value. */
  readonly oldValue: V | null
  newValue: V | null
  timestamp: number
  headers: RecordHeaders
  /** Coordinates of the input record of the last update (record metadata and error coordinates downstream). */
  topic: string | undefined
  partition: number
  offset: number
  /** When it was last updated (a counter): flushes go in this order. */
  seq: number
}

export class PendingChanges<K, V> {
  private readonly pending = new Map<string, Pending<K, V>>()
  private seq = 0

  /** `cached` false: every update is forwarded at once (caching disabled for the store or the app). */
  constructor(
    private readonly context: InternalProcessorContext<K, Change<V>>,
    private readonly cached: boolean,
    private readonly limit = MAX_PENDING_CHANGES,
  ) {
    if (cached) context.onFlush(() => this.flush())
  }

  /**
   * The Changes of an aggregation over `storeName`: held back when the store has a record cache and
   * a key identity (the built-in stores; a user's store without one forwards at once).
   */
  static over<K, V>(context: InternalProcessorContext<K, Change<V>>, storeName: string, ids: object | undefined): PendingChanges<K, V> {
    return new PendingChanges(context, ids !== undefined && context.cachingEnabled(storeName))
  }

  /** Whether updates wait for the flush (the store is cached) or go out at once. */
  get holdsBack(): boolean {
    return this.cached
  }

  /**
   * One update of the key whose store identity is `id` (its serialized form: equal keys that are
   * different objects must meet). Forwarded now when not cached, otherwise at the next flush.
   */
  update(id: string, key: K, oldValue: V | null, newValue: V | null, timestamp: number, headers: RecordHeaders): void {
    if (!this.cached) {
      this.context.forward({ key, value: { newValue, oldValue }, timestamp, headers })
      return
    }
    const source = this.context.currentRecord()
    const entry = this.pending.get(id)
    if (entry !== undefined) {
      entry.key = key
      entry.newValue = newValue
      entry.timestamp = timestamp
      entry.headers = headers
      entry.topic = source?.topic
      entry.partition = source?.partition ?? -1
      entry.offset = source?.offset ?? -1
      entry.seq = ++this.seq
      return
    }
    this.pending.set(id, { id, key, oldValue, newValue, timestamp, headers, topic: source?.topic, partition: source?.partition ?? -1, offset: source?.offset ?? -1, seq: ++this.seq })
    if (this.pending.size >= this.limit) this.flush()
  }

  /** Forwards every pending Change, in last-update order; returns whether it forwarded any. */
  flush(): boolean {
    if (this.pending.size === 0) return false
    // In last-update order, as Kafka Streams' NamedCache moves a re-dirtied key to the end (a sort
    // per flush costs less than moving hot keys in the Map on every update).
    const entries = [...this.pending.values()].sort((a, b) => a.seq - b.seq)
    // Cleared first: a downstream cycle back into this processor starts a new pending entry.
    this.pending.clear()
    let forwarded = false
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!
      // A key created and deleted within the interval changed nothing downstream (as in Kafka Streams).
      if (e.newValue === null && e.oldValue === null) continue
      // The last update's coordinates only: the input record itself is not kept alive meanwhile.
      const source: ConsumedRecord<unknown, unknown> | undefined =
        e.topic === undefined ? undefined : { key: null, value: null, timestamp: e.timestamp, headers: e.headers, topic: e.topic, partition: e.partition, offset: e.offset }
      try {
        this.context.forwardAs(source, { key: e.key, value: { newValue: e.newValue, oldValue: e.oldValue }, timestamp: e.timestamp, headers: e.headers })
      } catch (error) {
        // The handler said fail. The Changes not tried yet stay pending: if the caller goes on
        // anyway (user code catching the error upstream), they are not lost.
        for (let j = i + 1; j < entries.length; j++) this.pending.set(entries[j]!.id, entries[j]!)
        throw error
      }
      forwarded = true
    }
    return forwarded
  }
}
