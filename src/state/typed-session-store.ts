/** The typed face of a session store over the timed engine; an item is time8(end) + time8(start). */
import { binaryToTime, TIME_WIDTH } from './binary-key'
import type { SessionStore } from './session-store'
import type { KeyValue, Windowed } from './state-store'
import { TimedBytesStore } from './timed-bytes-store'
import { TypedTimedStore } from './typed-timed-store'

export class TypedSessionStore<K, V> extends TypedTimedStore<K, V> implements SessionStore<K, V> {
  readonly kind = 'session'

  findSessions(key: K, earliestSessionEndTime: number, latestSessionStartTime: number): readonly KeyValue<Windowed<K>, V>[] {
    const binary = this.binaryKey(key)
    const out: KeyValue<Windowed<K>, V>[] = []
    // Items sort by end: the search skips the sessions ending too early; starts are not ordered.
    for (const item of this.engine.itemsBetween(binary, earliestSessionEndTime, Infinity)) {
      const end = binaryToTime(item)
      const start = binaryToTime(item, TIME_WIDTH)
      if (start > latestSessionStartTime) continue
      const bytes = this.engine.get(binary, item)
      if (bytes !== undefined) out.push({ key: { key, window: { start, end } }, value: this.valueOf(bytes) })
    }
    return out
  }

  fetch(key: K): readonly KeyValue<Windowed<K>, V>[] {
    return this.findSessions(key, -Infinity, Infinity)
  }

  fetchSession(key: K, sessionStart: number, sessionEnd: number): V | undefined {
    return this.valueOf(this.engine.get(this.binaryKey(key), item(sessionStart, sessionEnd)))
  }

  put(session: Windowed<K>, aggregate: V | null): void {
    const { start, end } = session.window
    this.engine.put(this.binaryKey(session.key), item(start, end), this.serializeValue(aggregate))
  }

  remove(session: Windowed<K>): void {
    this.put(session, null)
  }

  async *all(): AsyncGenerator<KeyValue<Windowed<K>, V>> {
    for await (const entry of this.engine.entries(-Infinity, Infinity)) {
      const window = { start: binaryToTime(entry.item, TIME_WIDTH), end: binaryToTime(entry.item) }
      yield { key: { key: this.keyOf(entry.key), window }, value: this.valueOf(entry.value) }
    }
  }
}

function item(start: number, end: number): string {
  return TimedBytesStore.time(end) + TimedBytesStore.time(start)
}
