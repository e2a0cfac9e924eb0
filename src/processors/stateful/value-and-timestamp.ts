import { StreamfoldError } from '../../errors'
import type { Serde } from '../../serdes/serde'

/** An aggregate with the largest timestamp of the records that made it (Kafka's ValueAndTimestamp). */
export interface ValueAndTimestamp<V> {
  readonly value: V
  readonly timestamp: number
}

/**
 * Stores aggregates as [8-byte big-endian timestamp][value bytes], so the timestamp of a result
 * survives restarts and restores: emitted results keep Kafka Streams' timestamp rule (the max of
 * the contributing records') after a crash too.
 */
export function valueAndTimestampSerde<V>(inner: Serde<V>): Serde<ValueAndTimestamp<V>> {
  const serde: Serde<ValueAndTimestamp<V>> = {
    name: `timestamped(${inner.name})`,
    serialize: (data, topic) => {
      const value = inner.serialize(data.value, topic)
      const out = Buffer.allocUnsafe(8 + value.length)
      out.writeBigInt64BE(BigInt(data.timestamp), 0)
      value.copy(out, 8)
      return out
    },
    deserialize: (data, topic) => {
      if (data.length < 8) {
        throw new StreamfoldError('DESERIALIZATION_FAILED', `timestamped value needs at least 8 bytes, got ${data.length}`, { topic })
      }
      return { timestamp: Number(data.readBigInt64BE(0)), value: inner.deserialize(data.subarray(8), topic) }
    },
  }
  timestampedSerdes.add(serde)
  return serde
}

const timestampedSerdes = new WeakSet<object>()

/** Whether a store's values are ValueAndTimestamp (stores the DSL creates for aggregates and tables). */
export function isValueAndTimestampSerde(serde: unknown): boolean {
  return typeof serde === 'object' && serde !== null && timestampedSerdes.has(serde)
}
