import { StreamfoldError } from '../../errors'
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
  const serde: Serde<ValueAndTimestamp<V>> = {
    name: `timestamped(${inner.name})`,
    serialize: (data, topic) => {
      const value = inner.serialize(data.value, topic)
      const out = Buffer.allocUnsafe(8 + value.length)
      writeTimestamp(out, data.timestamp)
      value.copy(out, 8)
      return out
    },
    deserialize: (data, topic) => {
      if (data.length < 8) {
        throw new StreamfoldError('DESERIALIZATION_FAILED', `timestamped value needs at least 8 bytes, got ${data.length}`, { topic })
      }
      return { timestamp: data.readInt32BE(0) * TWO_32 + data.readUInt32BE(4), value: inner.deserialize(data.subarray(8), topic) }
    },
  }
  timestampedSerdes.add(serde)
  return serde
}

const TWO_32 = 0x1_0000_0000

function writeTimestamp(out: Buffer, timestamp: number): void {
  if (!Number.isSafeInteger(timestamp)) {
    // Not a safe integer: BigInt() throws for a fraction, NaN or infinity, as it always did.
    out.writeBigInt64BE(BigInt(timestamp), 0)
    return
  }
  const high = Math.floor(timestamp / TWO_32)
  out.writeInt32BE(high, 0)
  out.writeUInt32BE(timestamp - high * TWO_32, 4)
}

const timestampedSerdes = new WeakSet<object>()

/** Whether a store's values are ValueAndTimestamp (stores the DSL creates for aggregates and tables). */
export function isValueAndTimestampSerde(serde: unknown): boolean {
  return typeof serde === 'object' && serde !== null && timestampedSerdes.has(serde)
}
