import type { Serde } from './serde'
import { expectByteLength, kindOf, serdeFailure } from './serde-failure'

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/**
 * 64-bit signed integers (bigint) as 8 big-endian bytes with the sign bit flipped, so that byte-wise
 * comparison of encodings (memcmp, LevelDB's key order) is numeric order and int64 keys can be
 * range-scanned in stores.
 *
 * This is NOT the wire format of Java's LongSerde (plain two's complement, where negatives sort after
 * positives byte-wise): a topic shared with Java clients needs a serde of that format instead.
 */
export const int64Serde: Serde<bigint> = Object.freeze({
  name: 'int64',
  serialize(data: bigint, topic: string): Buffer {
    if (typeof data !== 'bigint' || data < INT64_MIN || data > INT64_MAX) throw rejected(data, topic)
    const out = Buffer.allocUnsafe(8)
    out.writeBigInt64BE(data, 0)
    // Flipping the top byte in place avoids allocating a second bigint for `data ^ INT64_MIN`.
    out.writeUInt8(out.readUInt8(0) ^ 0x80, 0)
    return out
  },
  deserialize(data: Buffer, topic: string): bigint {
    expectByteLength(data, 8, 'int64', topic)
    // XOR with -2^63 flips bit 63 and, through sign extension, everything above it.
    return data.readBigInt64BE(0) ^ INT64_MIN
  },
})

function rejected(data: unknown, topic: string): Error {
  const reason =
    typeof data === 'bigint'
      ? 'expects a bigint in [-2^63, 2^63-1], got one outside that range'
      : `expects a bigint, got ${kindOf(data)}`
  return serdeFailure('SERIALIZATION_FAILED', 'int64', reason, topic)
}
