import { StreamfoldError } from '../errors'
import { suppressEntrySerde, type SuppressEntry } from '../processors/stateful/suppress-entry'
import type { Serde } from '../serdes/serde'
import { keyValueStoreSpec, type KeyValueStoreSpec } from '../state/store-spec'

/** Bounds of a suppression buffer. Without a bound it grows with the number of pending keys. */
export interface BufferLimits {
  readonly maxRecords?: number
  readonly maxBytes?: number
}

/** untilTimeLimit may emit early when full; untilWindowCloses must not (a final result is final). */
export interface BufferConfig extends BufferLimits {
  readonly whenFull: 'emitEarly' | 'shutDown'
}

export interface StrictBufferConfig extends BufferLimits {
  readonly whenFull: 'shutDown'
}

export type Suppressed =
  | { readonly kind: 'untilWindowCloses'; readonly buffer: BufferConfig; readonly name: string | undefined }
  | { readonly kind: 'untilTimeLimit'; readonly timeToWaitMs: number; readonly buffer: BufferConfig; readonly name: string | undefined }

const UNBOUNDED: StrictBufferConfig = Object.freeze({ whenFull: 'shutDown' })

/** Kafka Streams' Suppressed: hold back KTable updates and emit fewer of them. */
export const Suppressed = Object.freeze({
  /**
   * One final result per window, emitted once stream time passes the window's end plus its
   * grace period. A full buffer fails the task ('shutDown'): emitting early would break "final".
   */
  untilWindowCloses(buffer: StrictBufferConfig = UNBOUNDED, options: { readonly name?: string } = {}): Suppressed {
    checkLimits(buffer)
    return Object.freeze({ kind: 'untilWindowCloses', buffer, name: options.name })
  },
  /** A key's latest value, emitted once it has waited `timeToWaitMs` of stream time since its first held-back update. */
  untilTimeLimit(timeToWaitMs: number, buffer: BufferConfig = UNBOUNDED, options: { readonly name?: string } = {}): Suppressed {
    if (!Number.isSafeInteger(timeToWaitMs) || timeToWaitMs < 0) {
      throw new StreamfoldError('CONFIG_INVALID', `untilTimeLimit needs a whole number of milliseconds >= 0, got ${timeToWaitMs}`)
    }
    checkLimits(buffer)
    return Object.freeze({ kind: 'untilTimeLimit', timeToWaitMs, buffer, name: options.name })
  },
})

function checkLimits(buffer: BufferConfig): void {
  for (const [what, n] of [['maxRecords', buffer.maxRecords], ['maxBytes', buffer.maxBytes]] as const) {
    if (n !== undefined && (!Number.isSafeInteger(n) || n < 1)) {
      throw new StreamfoldError('CONFIG_INVALID', `suppression buffer ${what} must be a whole number >= 1, got ${n}`)
    }
  }
}

/** The suppression buffer's store: in memory for speed, logged so held-back results survive a crash. */
export function suppressStoreSpec<K, V>(name: string, keySerde: Serde<K>, valueSerde: Serde<V>): KeyValueStoreSpec<K, SuppressEntry<V>> {
  return keyValueStoreSpec({ name, keySerde, valueSerde: suppressEntrySerde(valueSerde), persistent: false })
}
