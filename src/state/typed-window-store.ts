/** The typed face of a window store over the timed engine (timed-bytes-store.ts). */
import { binaryToTime } from './binary-key'
import type { KeyValue, Windowed } from './state-store'
import { TimedBytesStore } from './timed-bytes-store'
import { TypedTimedStore, type TypedTimedStoreOptions } from './typed-timed-store'
import type { WindowStore, WindowValue } from './window-store'

export class TypedWindowStore<K, V> extends TypedTimedStore<K, V> implements WindowStore<K, V> {
  readonly kind = 'window'
  readonly windowSizeMs: number

  constructor(options: TypedTimedStoreOptions<K, V> & { readonly windowSizeMs: number }) {
    super(options)
    this.windowSizeMs = options.windowSizeMs
  }

  put(key: K, value: V | null, windowStart: number): void {
    this.engine.put(this.binaryKey(key), TimedBytesStore.time(windowStart), this.serializeValue(value))
  }

  fetch(key: K, windowStart: number): V | undefined
  fetch(key: K, timeFrom: number, timeTo: number): readonly WindowValue<V>[]
  fetch(key: K, from: number, to?: number): V | undefined | readonly WindowValue<V>[] {
    const binary = this.binaryKey(key)
    if (to === undefined) return this.valueOf(this.engine.get(binary, TimedBytesStore.time(from)))
    const out: WindowValue<V>[] = []
    for (const item of this.engine.itemsBetween(binary, from, to)) {
      const value = this.valueOf(this.engine.get(binary, item))
      if (value !== undefined) out.push({ windowStart: binaryToTime(item), value })
    }
    return out
  }

  async *fetchAll(timeFrom: number, timeTo: number): AsyncGenerator<KeyValue<Windowed<K>, V>> {
    for await (const { key, item, value } of this.engine.entries(timeFrom, timeTo)) {
      const start = binaryToTime(item)
      yield {
        key: { key: this.keyOf(key), window: { start, end: start + this.windowSizeMs } },
        value: this.valueOf(value),
      }
    }
  }

  all(): AsyncIterable<KeyValue<Windowed<K>, V>> {
    return this.fetchAll(-Infinity, Infinity)
  }
}
