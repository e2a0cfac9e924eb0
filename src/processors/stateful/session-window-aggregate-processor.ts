import type { SessionStore } from '../../state/session-store'
import { keyIdentityOf, type KeyIdentity, type TimeWindow, type Windowed } from '../../state/state-store'
import type { SessionWindows } from '../../topology/windows'
import { asInternal, type InternalProcessorContext } from '../internal-context'
import type { Processor, ProcessorContext, ProcessorSupplier } from '../processor'
import type { StreamRecord } from '../stream-record'
import type { Change } from './change'
import { PendingChanges } from './pending-changes'

export interface SessionAggregation<K, V, VA> {
  readonly storeName: string
  readonly initializer: () => VA
  readonly aggregator: (key: K, value: V, aggregate: VA) => VA
  /** Combines the aggregates of two sessions a record bridges. */
  readonly merger: (key: K, left: VA, right: VA) => VA
}

/**
 * Session-windowed aggregation (Kafka's KStreamSessionWindowAggregate). A record at t joins every
 * session of its key within the inactivity gap of t; if it bridges several, they merge into one
 * (the old sessions are removed and forwarded as tombstones). A merged session that ends before
 * the close time (max timestamp seen - grace - gap) is late: dropped and counted. Over a cached
 * store, one Change per session per commit goes downstream (pending-changes.ts): a session
 * created and merged away within one commit interval is never seen.
 */
export function sessionWindowAggregateProcessor<K, V, VA>(
  windows: SessionWindows,
  aggregation: SessionAggregation<K, V, VA>,
): ProcessorSupplier<K, V, Windowed<K>, Change<VA>> {
  return () => new SessionWindowAggregateProcessor(windows, aggregation)
}

class SessionWindowAggregateProcessor<K, V, VA> implements Processor<K, V, Windowed<K>, Change<VA>> {
  private context!: InternalProcessorContext<Windowed<K>, Change<VA>>
  private store!: SessionStore<K, VA>
  private ids: KeyIdentity<K> | undefined
  private changes!: PendingChanges<Windowed<K>, VA>
  private observedStreamTime = -1

  constructor(
    private readonly windows: SessionWindows,
    private readonly aggregation: SessionAggregation<K, V, VA>,
  ) {}

  init(context: ProcessorContext<Windowed<K>, Change<VA>>): void {
    this.context = asInternal(context)
    this.store = context.getStateStore(this.aggregation.storeName)
    this.ids = keyIdentityOf(this.store)
    this.changes = PendingChanges.over(this.context, this.aggregation.storeName, this.ids)
  }

  process(record: StreamRecord<K, V>): void {
    const { key, value, timestamp } = record
    if (key === null || key === undefined) return this.context.recordDropped('null-key', 'session aggregations skip records with a null key')
    if (value === null || value === undefined) return this.context.recordDropped('null-value', 'session aggregations skip records with a null value')
    this.observedStreamTime = Math.max(this.observedStreamTime, timestamp)
    const gap = this.windows.inactivityGapMs
    const closeTime = this.observedStreamTime - this.windows.graceMs - gap
    const { initializer, aggregator, merger } = this.aggregation

    const overlapping = this.store.findSessions(key, timestamp - gap, timestamp + gap)
    let window: TimeWindow = { start: timestamp, end: timestamp }
    let aggregate = initializer()
    for (const session of overlapping) {
      aggregate = merger(key, aggregate, session.value)
      window = { start: Math.min(window.start, session.key.window.start), end: Math.max(window.end, session.key.window.end) }
    }
    if (window.end < closeTime) {
      return this.context.recordDropped('late-record', `record at ${timestamp} falls in session [${window.start},${window.end}], closed at ${closeTime}`)
    }
    // As in Kafka Streams: unless the record starts a session of its own, every session it
    // touches is removed (and retracted downstream) and replaced by the merged one.
    if (!sameWindow(window, { start: timestamp, end: timestamp })) {
      for (const session of overlapping) {
        this.store.remove(session.key)
        this.changes.update(this.sessionId(session.key), session.key, session.value, null, session.key.window.end, record.headers)
      }
    }
    aggregate = aggregator(key, value, aggregate)
    const sessionKey: Windowed<K> = { key, window }
    this.store.put(sessionKey, aggregate)
    // A record on an existing one-point session [t,t] replaces it without removing it. Forwarded
    // at once, that is (aggregate, null) as in Kafka Streams; held back, the old value must be the
    // session's, which a Change forwarded in an earlier commit may carry (Kafka's cache reads it
    // from the store at flush), or its retraction would be lost.
    const replaced = this.changes.holdsBack ? (overlapping.find((s) => sameWindow(s.key.window, window))?.value ?? null) : null
    this.changes.update(this.sessionId(sessionKey), sessionKey, replaced, aggregate, window.end, record.headers)
  }

  /** A session's identity for pending Changes: its key's id, then both ends (non-negative integers: the last '@' splits it unambiguously). */
  private sessionId(session: Windowed<K>): string {
    return this.ids === undefined ? '' : `${this.ids.keyId(session.key)}@${session.window.start}-${session.window.end}`
  }
}

function sameWindow(a: TimeWindow, b: TimeWindow): boolean {
  return a.start === b.start && a.end === b.end
}
