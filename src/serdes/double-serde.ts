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
    writeOrderedDouble(out, 0, data)
    return out
  },
  deserialize(data: Buffer, topic: string): number {
    expectByteLength(data, 8, 'double', topic)
    return readOrderedDouble(data, 0)
  },
})

/** Writes `value` in the ordered encoding above at `offset` (for encodings that embed a double). */
export function writeOrderedDouble(out: Buffer, offset: number, value: number): void {
  out.writeDoubleBE(value, offset)
  const high = out.readUInt32BE(offset)
  if (high & SIGN_BIT) {
    out.writeUInt32BE(~high >>> 0, offset)
    out.writeUInt32BE(~out.readUInt32BE(offset + 4) >>> 0, offset + 4)
  } else {
    out.writeUInt32BE((high ^ SIGN_BIT) >>> 0, offset)
  }
}

/** Reads a double written by `writeOrderedDouble` at `offset`, leaving `data` as it was. */
export function readOrderedDouble(data: Buffer, offset: number): number {
  const high = data.readUInt32BE(offset)
  // A set top bit in the encoding means the original was not negative: only its sign bit was flipped.
  if (high & SIGN_BIT) {
    scratch.writeUInt32BE((high ^ SIGN_BIT) >>> 0, 0)
    scratch.writeUInt32BE(data.readUInt32BE(offset + 4), 4)
  } else {
    scratch.writeUInt32BE(~high >>> 0, 0)
    scratch.writeUInt32BE(~data.readUInt32BE(offset + 4) >>> 0, 4)
  }
  return scratch.readDoubleBE(0)
}
