/**
 * Kafka Streams' record-cache forwarding (KIP-63): an aggregation over a cached store forwards
 * one Change per key when the cache is flushed (every commit), not one per input record. Each
 * Change carries the value forwarded last time as its old value and the latest as its new one,
 * with the timestamp and headers of the last update, so downstream (a sink, a table aggregate's
 * subtractor) sees the same net effect as with every update, in fewer records.
 *
 * The runtime flushes before each commit's step 1, so the Changes go out in the commit that holds
 * their state; the test driver flushes after every input record, as Kafka Streams' does. A task
 * rolled back is rebuilt with fresh processors: what was pending goes with it, never out.
 */
import type { RecordHeaders } from '../../record-headers'
import type { ConsumedRecord } from '../../topology/node-spec'
import type { InternalProcessorContext } from '../internal-context'
import type { Change } from './change'

/**
 * Keys with a pending Change per aggregation and task before they are forwarded without waiting
 * for the commit (Kafka Streams evicts from a full cache the same way). Bounds the memory of a
 * long commit interval over many keys; ~10k entries is a few MB.
 */
export const MAX_PENDING_CHANGES = 10_000

interface Pending<K, V> {
  key: K
  /** The value forwarded last (or committed before this interval): the Change's old value. */
  readonly oldValue: V | null
  newValue: V | null
  timestamp: number
  headers: RecordHeaders
  /** The input record of the last update, for downstream record metadata and error coordinates. */
  source: ConsumedRecord<unknown, unknown> | undefined
}

export class PendingChanges<K, V> {
  private readonly pending = new Map<string, Pending<K, V>>()

  /** `cached` false: every update is forwarded at once (caching disabled for the store or the app). */
  constructor(
    private readonly context: InternalProcessorContext<K, Change<V>>,
    private readonly cached: boolean,
    private readonly limit = MAX_PENDING_CHANGES,
  ) {
    if (cached) context.onFlush(() => this.flush())
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
      entry.source = source
      return
    }
    this.pending.set(id, { key, oldValue, newValue, timestamp, headers, source })
    if (this.pending.size >= this.limit) this.flush()
  }

  /** Forwards every pending Change, in first-update order; returns whether it forwarded any. */
  flush(): boolean {
    if (this.pending.size === 0) return false
    const entries = [...this.pending.values()]
    // Cleared first: a downstream cycle back into this processor starts a new pending entry.
    this.pending.clear()
    let forwarded = false
    for (const e of entries) {
      // A key created and deleted within the interval changed nothing downstream (as in Kafka Streams).
      if (e.newValue === null && e.oldValue === null) continue
      this.context.forwardAs(e.source, { key: e.key, value: { newValue: e.newValue, oldValue: e.oldValue }, timestamp: e.timestamp, headers: e.headers })
      forwarded = true
    }
    return forwarded
  }
}
