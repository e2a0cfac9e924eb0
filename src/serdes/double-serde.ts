import type { Serde } from './serde'
import { expectByteLength, kindOf, serdeFailure } from './serde-failure'

const SIGN_BIT = 0x80000000

// Decoding must not modify the caller's bytes, so the un-flipped bits go through this buffer.
const scratch = Buffer.alloc(8)

/**
 * IEEE-754 doubles as 8 big-endian bytes transformed so that byte-wise comparison (memcmp, LevelDB's
 * key order) is numeric order: a negative number (sign bit set) has all its bits flipped, anything
 * else has only its sign bit flipped. Hence -Infinity < ... < -0 < +0 < ... < +Infinity < NaN
 * (JavaScript's NaN has a clear sign bit), and double keys can be range-scanned in stores.
 *
 * This is NOT the wire format of Java's DoubleSerde (the raw IEEE bits): a topic shared with Java
 * clients needs a serde of that format instead.
 */
export const doubleSerde: Serde<number> = Object.freeze({
  name: 'double',
  serialize(data: number, topic: string): Buffer {
    if (typeof data !== 'number') {
      throw serdeFailure('SERIALIZATION_FAILED', 'double', `expects a number, got ${kindOf(data)}`, topic)
    }
    const out = Buffer.allocUnsafe(8)
    out.writeDoubleBE(data, 0)
    const high = out.readUInt32BE(0)
    if (high & SIGN_BIT) {
      out.writeUInt32BE(~high >>> 0, 0)
      out.writeUInt32BE(~out.readUInt32BE(4) >>> 0, 4)
    } else {
      out.writeUInt32BE((high ^ SIGN_BIT) >>> 0, 0)
    }
    return out
  },
  deserialize(data: Buffer, topic: string): number {
    expectByteLength(data, 8, 'double', topic)
    const high = data.readUInt32BE(0)
    // A set top bit in the encoding means the original was not negative: only its sign bit was flipped.
    if (high & SIGN_BIT) {
      scratch.writeUInt32BE((high ^ SIGN_BIT) >>> 0, 0)
      scratch.writeUInt32BE(data.readUInt32BE(4), 4)
    } else {
      scratch.writeUInt32BE(~high >>> 0, 0)
      scratch.writeUInt32BE(~data.readUInt32BE(4) >>> 0, 4)
    }
    return scratch.readDoubleBE(0)
  },
})
