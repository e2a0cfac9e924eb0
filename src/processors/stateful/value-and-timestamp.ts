import { StreamfoldError } from '../../errors'
import { doubleSerde, readOrderedDouble, writeOrderedDouble } from '../../serdes/double-serde'
import { readInt64BE, writeInt64BE } from '../../serdes/int64-bytes'
import type { Serde } from '../../serdes/serde'

/** An aggregate with the largest timestamp of the records that made it (Kafka's ValueAndTimestamp). */
export interface ValueAndTimestamp<V> {
  readonly value: V
  readonly timestamp: number
}

/**
 * Stores aggregates as [8-byte big-endian signed timestamp][value bytes], so the timestamp of a
 * result survives restarts and restores: emitted results keep Kafka Streams' timestamp rule (the
 * max of the contributing records') after a crash too.
 *
 * The timestamp goes in and out as two 32-bit words (high signed, low unsigned), not through
 * BigInt: the same bytes as writeBigInt64BE/readBigInt64BE for every safe integer, without a
 * BigInt allocated per read and write on the stateful hot path.
 */
export function valueAndTimestampSerde<V>(inner: Serde<V>): Serde<ValueAndTimestamp<V>> {
  const serialize: Serde<ValueAndTimestamp<V>>['serialize'] = (data, topic) => {
    const value = inner.serialize(data.value, topic)
    const out = Buffer.allocUnsafe(8 + value.length)
    writeInt64BE(out, 0, data.timestamp)
    value.copy(out, 8)
    return out
  }
  const deserialize: Serde<ValueAndTimestamp<V>>['deserialize'] = (data, topic) => {
    checkLength(data, topic)
    return { timestamp: readInt64BE(data, 0), value: inner.deserialize(data.subarray(8), topic) }
  }
  const name = `timestamped(${inner.name})`
  const serde: Serde<ValueAndTimestamp<V>> =
    inner === (doubleSerde as Serde<unknown>)
      ? {
          // Counts and other double aggregates: the value is encoded in place after the timestamp,
          // with no intermediate 8-byte buffer or subarray view per read and write. Same bytes;
          // anything the double serde would reject (a non-number, a length other than 8) takes the
          // general path and fails there as before.
          name,
          serialize: (data, topic) => {
            if (typeof data.value !== 'number') return serialize(data, topic)
            const out = Buffer.allocUnsafe(16)
            writeInt64BE(out, 0, data.timestamp)
            writeOrderedDouble(out, 8, data.value)
            return out
          },
          deserialize: (data, topic) => {
            if (data.length !== 16) return deserialize(data, topic)
            return { timestamp: readInt64BE(data, 0), value: readOrderedDouble(data, 8) as V }
          },
        }
      : { name, serialize, deserialize }
  timestampedSerdes.add(serde)
  return serde
}

function checkLength(data: Buffer, topic: string): void {
  if (data.length < 8) {
    throw new StreamfoldError('DESERIALIZATION_FAILED', `timestamped value needs at least 8 bytes, got ${data.length}`, { topic })
  }
}

const timestampedSerdes = new WeakSet<object>()

/** Whether a store's values are ValueAndTimestamp (stores the DSL creates for aggregates and tables). */
export function isValueAndTimestampSerde(serde: unknown): boolean {
  return typeof serde === 'object' && serde !== null && timestampedSerdes.has(serde)
}
