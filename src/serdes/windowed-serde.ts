import type { Windowed } from '../state/state-store'
import { readInt64BE, writeInt64BE } from './int64-bytes'
import type { Serde } from './serde'
import { serdeFailure } from './serde-failure'

const TIMES = 16

/**
 * Keys of windowed aggregations: [inner key bytes][start: 8 bytes][end: 8 bytes], big-endian.
 * Self-describing (the end is stored, so sessions and sliding windows round-trip); not the same
 * bytes as Java's TimeWindowedSerde, which stores only the start.
 */
export function windowedSerde<K>(inner: Serde<K>): Serde<Windowed<K>> {
  const name = `windowed(${inner.name})`
  return Object.freeze({
    name,
    serialize: (data: Windowed<K>, topic: string) => {
      const key = inner.serialize(data.key, topic)
      const out = Buffer.allocUnsafe(key.length + TIMES)
      key.copy(out, 0)
      writeInt64BE(out, key.length, data.window.start)
      writeInt64BE(out, key.length + 8, data.window.end)
      return out
    },
    deserialize: (data: Buffer, topic: string) => {
      if (data.length < TIMES) {
        throw serdeFailure('DESERIALIZATION_FAILED', name, `expects at least ${TIMES} bytes, got ${data.length}`, topic)
      }
      const keyLength = data.length - TIMES
      return {
        key: inner.deserialize(data.subarray(0, keyLength), topic),
        window: { start: readInt64BE(data, keyLength), end: readInt64BE(data, keyLength + 8) },
      }
    },
  })
}
