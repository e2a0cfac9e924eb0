import type { Serde } from './serde'
import { expectByteLength, kindOf, serdeFailure } from './serde-failure'

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

// The IEEE bits go through one shared float: byte stores and loads are cheaper than Buffer's
// bounds-checked 32-bit reads and writes, and nothing is allocated. B0..B7: the float's bytes from
// the most significant (sign and top exponent bits) down, on this machine's byte order.
const bits = new Float64Array(1)
const bitBytes = new Uint8Array(bits.buffer)
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
const [B0, B1, B2, B3, B4, B5, B6, B7] = LITTLE_ENDIAN ? [7, 6, 5, 4, 3, 2, 1, 0] : [0, 1, 2, 3, 4, 5, 6, 7]

/** Writes `value` in the ordered encoding above at `offset` (for encodings that embed a double). */
export function writeOrderedDouble(out: Buffer, offset: number, value: number): void {
  bits[0] = value
  // Negative (sign bit set): every bit flipped; otherwise only the sign bit.
  const flip = bitBytes[B0]! & 0x80 ? 0xff : 0
  out[offset] = bitBytes[B0]! ^ (flip | 0x80)
  out[offset + 1] = bitBytes[B1]! ^ flip
  out[offset + 2] = bitBytes[B2]! ^ flip
  out[offset + 3] = bitBytes[B3]! ^ flip
  out[offset + 4] = bitBytes[B4]! ^ flip
  out[offset + 5] = bitBytes[B5]! ^ flip
  out[offset + 6] = bitBytes[B6]! ^ flip
  out[offset + 7] = bitBytes[B7]! ^ flip
}

/** Reads a double written by `writeOrderedDouble` at `offset`, leaving `data` as it was. */
export function readOrderedDouble(data: Buffer, offset: number): number {
  const top = data[offset]!
  // A set top bit in the encoding means the original was not negative: only its sign bit was flipped.
  const flip = top & 0x80 ? 0 : 0xff
  bitBytes[B0] = top ^ (flip | 0x80)
  bitBytes[B1] = data[offset + 1]! ^ flip
  bitBytes[B2] = data[offset + 2]! ^ flip
  bitBytes[B3] = data[offset + 3]! ^ flip
  bitBytes[B4] = data[offset + 4]! ^ flip
  bitBytes[B5] = data[offset + 5]! ^ flip
  bitBytes[B6] = data[offset + 6]! ^ flip
  bitBytes[B7] = data[offset + 7]! ^ flip
  return bits[0]!
}
