import { StreamfoldError } from '../../errors'
import type { Serde } from '../../serdes/serde'

/** A held-back table update: the latest value, the value before the first held-back update,
 *  the update's timestamp, and the time that decides when it is emitted. */
export interface SuppressEntry<V> {
  readonly bufferTime: number
  readonly timestamp: number
  readonly newValue: V | null
  readonly priorValue: V | null
}

/** [bufferTime 8][timestamp 8][flags 1][new length 4][new][prior] */
export function suppressEntrySerde<V>(inner: Serde<V>): Serde<SuppressEntry<V>> {
  return {
    name: `suppress-entry(${inner.name})`,
    serialize: (e, topic) => {
      const next = e.newValue === null ? EMPTY : inner.serialize(e.newValue, topic)
      const prior = e.priorValue === null ? EMPTY : inner.serialize(e.priorValue, topic)
      const out = Buffer.allocUnsafe(21 + next.length + prior.length)
      out.writeBigInt64BE(BigInt(e.bufferTime), 0)
      out.writeBigInt64BE(BigInt(e.timestamp), 8)
      out.writeUInt8((e.newValue === null ? 0 : 1) | (e.priorValue === null ? 0 : 2), 16)
      out.writeUInt32BE(next.length, 17)
      next.copy(out, 21)
      prior.copy(out, 21 + next.length)
      return out
    },
    deserialize: (data, topic) => {
      if (data.length < 21) throw new StreamfoldError('DESERIALIZATION_FAILED', `suppress entry needs at least 21 bytes, got ${data.length}`, { topic })
      const flags = data.readUInt8(16)
      const nextLength = data.readUInt32BE(17)
      return {
        bufferTime: Number(data.readBigInt64BE(0)),
        timestamp: Number(data.readBigInt64BE(8)),
        newValue: flags & 1 ? inner.deserialize(data.subarray(21, 21 + nextLength), topic) : null,
        priorValue: flags & 2 ? inner.deserialize(data.subarray(21 + nextLength), topic) : null,
      }
    },
  }
}

const EMPTY = Buffer.alloc(0)
