import { StreamfoldError } from '../../errors'
import type { Serde } from '../../serdes/serde'
import { binaryToTime, fromBinary, TIME_WIDTH, timeToBinary, toBinary } from '../../state/binary-key'

/**
 * The key of a left/outer stream-stream join's unmatched-records store (Kafka Streams'
 * TimestampedKeyAndJoinSide): the record's timestamp, its side and its key. Encoded
 * [time 8, sortable][side 1: right 0, left 1][key bytes], so the store's byte order is the order
 * unmatched records are emitted in: by time, right before left, then by key, as in Kafka Streams.
 */
export interface UnmatchedKey<K> {
  readonly timestamp: number
  readonly left: boolean
  readonly key: K
}

/** The values held under one UnmatchedKey: every unmatched record of that side, key and time, in arrival order. */
export interface UnmatchedValues<V, VO> {
  readonly left: boolean
  readonly values: readonly (V | VO)[]
}

export function unmatchedKeySerde<K>(keySerde: Serde<K>): Serde<UnmatchedKey<K>> {
  return {
    name: `join-unmatched-key(${keySerde.name})`,
    serialize: (k, topic) => Buffer.concat([fromBinary(timeToBinary(k.timestamp) + (k.left ? '\x01' : '\x00')), keySerde.serialize(k.key, topic)]),
    deserialize: (data, topic) => {
      if (data.length < TIME_WIDTH + 1) throw tooShort('key', data.length, topic)
      const head = toBinary(data.subarray(0, TIME_WIDTH + 1))
      return { timestamp: binaryToTime(head), left: head.charCodeAt(TIME_WIDTH) === 1, key: keySerde.deserialize(data.subarray(TIME_WIDTH + 1), topic) }
    },
  }
}

/** [side 1][count u32]([length u32][value bytes])*; each value through its side's serde. */
export function unmatchedValuesSerde<V, VO>(leftSerde: Serde<V>, rightSerde: Serde<VO>): Serde<UnmatchedValues<V, VO>> {
  return {
    name: `join-unmatched-values(${leftSerde.name},${rightSerde.name})`,
    serialize: (u, topic) => {
      const parts: Buffer[] = [Buffer.alloc(5)]
      parts[0]!.writeUInt8(u.left ? 1 : 0, 0)
      parts[0]!.writeUInt32BE(u.values.length, 1)
      for (const value of u.values) {
        const bytes = u.left ? leftSerde.serialize(value as V, topic) : rightSerde.serialize(value as VO, topic)
        const length = Buffer.allocUnsafe(4)
        length.writeUInt32BE(bytes.length, 0)
        parts.push(length, bytes)
      }
      return Buffer.concat(parts)
    },
    deserialize: (data, topic) => {
      if (data.length < 5) throw tooShort('value', data.length, topic)
      const left = data.readUInt8(0) === 1
      const count = data.readUInt32BE(1)
      const values: (V | VO)[] = []
      let at = 5
      for (let i = 0; i < count; i++) {
        if (at + 4 > data.length) throw tooShort('value', data.length, topic)
        const length = data.readUInt32BE(at)
        const bytes = data.subarray(at + 4, at + 4 + length)
        values.push(left ? leftSerde.deserialize(bytes, topic) : rightSerde.deserialize(bytes, topic))
        at += 4 + length
      }
      return { left, values }
    },
  }
}

function tooShort(what: string, length: number, topic: string): StreamfoldError {
  return new StreamfoldError('DESERIALIZATION_FAILED', `stream-join unmatched ${what} is truncated (${length} bytes)`, { topic })
}
