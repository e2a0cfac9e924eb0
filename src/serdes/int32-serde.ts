import type { Serde } from './serde'
import { expectByteLength, kindOf, serdeFailure } from './serde-failure'

const SIGN_BIT = 0x80000000

/**
 * 32-bit signed integers as 4 big-endian bytes with the sign bit flipped, so that comparing
 * encodings byte by byte (memcmp, LevelDB's key order) orders them numerically: -2^31 encodes as
 * 00 00 00 00, -1 as 7f ff ff ff, 0 as 80 00 00 00, 2^31-1 as ff ff ff ff. That lets int32 keys be
 * range-scanned in stores.
 *
 * This is NOT the wire format of Java's IntegerSerde (plain two's complement, where every negative
 * number sorts after every positive one): a topic shared with Java producers or consumers needs
 * a serde of that format instead.
 */
export const int32Serde: Serde<number> = Object.freeze({
  name: 'int32',
  serialize(data: number, topic: string): Buffer {
    // `| 0` keeps exactly the int32 integers (and -0, which is 0 here); typeof first, because `|`
    // on an object would run its valueOf().
    if (typeof data !== 'number' || (data | 0) !== data) throw rejected(data, topic)
    const out = Buffer.allocUnsafe(4)
    out.writeInt32BE(data ^ SIGN_BIT, 0)
    return out
  },
  deserialize(data: Buffer, topic: string): number {
    expectByteLength(data, 4, 'int32', topic)
    return data.readInt32BE(0) ^ SIGN_BIT
  },
})

function rejected(data: unknown, topic: string): Error {
  const reason =
    typeof data !== 'number'
      ? `expects a number, got ${kindOf(data)}`
      : Number.isInteger(data)
        ? 'expects an integer in [-2147483648, 2147483647], got one outside that range'
        : 'expects an integer, got a fractional or non-finite number'
  return serdeFailure('SERIALIZATION_FAILED', 'int32', reason, topic)
}
