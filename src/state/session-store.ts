/**
 * Kafka Streams' SessionStore: aggregates per (key, session window), kept for `retentionMs` of
 * stream time (measured on session ends). `findSessions` is synchronous because session merging
 * runs once per record: it reads the key's compact list of live sessions, then point reads.
 */
import type { KeyValue, StateStore, Windowed } from './state-store'

export interface SessionStore<K, V> extends StateStore {
  readonly kind: 'session'
  readonly retentionMs: number
  /** Largest session end written so far. */
  readonly observedStreamTime: number
  /**
   * The key's sessions that end at or after `earliestSessionEndTime` and start at or before
   * `latestSessionStartTime`: the ones a record at time t with gap g merges with are
   * `findSessions(key, t - g, t + g)`. Ordered by end, then start.
   */
  findSessions(key: K, earliestSessionEndTime: number, latestSessionStartTime: number): readonly KeyValue<Windowed<K>, V>[]
  /** All live sessions of the key. */
  fetch(key: K): readonly KeyValue<Windowed<K>, V>[]
  fetchSession(key: K, sessionStart: number, sessionEnd: number): V | undefined
  /** Writes the session's aggregate (`null` removes it). A session already expired is dropped. */
  put(session: Windowed<K>, aggregate: V | null): void
  remove(session: Windowed<K>): void
  /** Every key's live sessions, ordered by session end. */
  all(): AsyncIterable<KeyValue<Windowed<K>, V>>
}
