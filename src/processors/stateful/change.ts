import { StreamfoldError } from '../../errors'
import type { Serde } from '../../serdes/serde'

/**
 * What KTable processors pass to each other: the new value for a key and the one it replaces
 * (null for "none"). Downstream aggregations subtract the old and add the new; toStream() keeps
 * only the new value, so a deletion becomes a tombstone.
 */
export interface Change<V> {
  readonly newValue: V | null
  readonly oldValue: V | null
}

const HAS_NEW = 1
const HAS_OLD = 2

/**
 * Change<V> on a repartition topic: [flags][4-byte length of new][new][old]. One record carries
 * both halves when the key did not change, as Kafka Streams does.
 */
export function changeSerde<V>(inner: Serde<V>): Serde<Change<V>> {
  return {
    name: `change(${inner.name})`,
    serialize: (change, topic) => {
      const newBytes = change.newValue === null ? EMPTY : inner.serialize(change.newValue, topic)
      const oldBytes = change.oldValue === null ? EMPTY : inner.serialize(change.oldValue, topic)
      const out = Buffer.allocUnsafe(5 + newBytes.length + oldBytes.length)
      out.writeUInt8((change.newValue === null ? 0 : HAS_NEW) | (change.oldValue === null ? 0 : HAS_OLD), 0)
      out.writeUInt32BE(newBytes.length, 1)
      newBytes.copy(out, 5)
      oldBytes.copy(out, 5 + newBytes.length)
      return out
    },
    deserialize: (data, topic) => {
      if (data.length < 5) throw bad(topic, `needs at least 5 bytes, got ${data.length}`)
      const flags = data.readUInt8(0)
      const newLength = data.readUInt32BE(1)
      if (5 + newLength > data.length) throw bad(topic, `declares ${newLength} bytes of new value but has ${data.length - 5}`)
      return {
        newValue: flags & HAS_NEW ? inner.deserialize(data.subarray(5, 5 + newLength), topic) : null,
        oldValue: flags & HAS_OLD ? inner.deserialize(data.subarray(5 + newLength), topic) : null,
      }
    },
  }
}

const EMPTY = Buffer.alloc(0)

function bad(topic: string, why: string): StreamfoldError {
  return new StreamfoldError('DESERIALIZATION_FAILED', `change record ${why}`, { topic })
}
