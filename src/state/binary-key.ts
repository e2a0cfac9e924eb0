/**
 * Keys inside the state layer are "binary strings": one UTF-16 code unit per byte (latin1). JS
 * compares strings by code unit, so comparing binary strings is comparing bytes (LevelDB's order),
 * and a Map keyed by them hashes bytes without allocating a Buffer per lookup. Buffers are made
 * only at the LevelDB boundary (task-db.ts) and for changelog records.
 */

/** Bytes as a binary string. */
export function toBinary(bytes: Buffer): string {
  return bytes.toString('latin1')
}

/**
 * The binary string of a string's UTF-8 bytes (what the string serde writes). An ASCII string is
 * its own binary string, since each of its UTF-8 bytes is the character code: no Buffer is made
 * for the common case of ASCII keys.
 */
export function utf8Binary(text: string): string {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) return toBinary(Buffer.from(text, 'utf8'))
  }
  return text
}

/** A binary string back to bytes. */
export function fromBinary(key: string): Buffer {
  return Buffer.from(key, 'latin1')
}

/**
 * The smallest key greater than every key starting with `prefix`, or undefined when there is none
 * (the prefix is all 0xff bytes): the exclusive upper bound of a prefix scan.
 */
export function prefixEnd(prefix: string): string | undefined {
  let end = prefix.length
  while (end > 0 && prefix.charCodeAt(end - 1) === 0xff) end--
  if (end === 0) return undefined
  return prefix.slice(0, end - 1) + String.fromCharCode(prefix.charCodeAt(end - 1) + 1)
}

/** The smallest key greater than `key`: turns an inclusive upper bound into an exclusive one. */
export function keyAfter(key: string): string {
  return key + '\x00'
}

const TWO_32 = 4294967296
const SIGN_FLIP = 0x80000000

/** Width of an encoded time. */
export const TIME_WIDTH = 8

/**
 * A millisecond timestamp (any safe integer, negatives included) as 8 bytes that sort like the
 * numbers: big-endian with the sign bit flipped. Split in two 32-bit halves because bitwise
 * operators only see 32 bits, and BigInt would allocate on the hot path.
 */
export function timeToBinary(time: number): string {
  const high = Math.floor(time / TWO_32)
  const low = time - high * TWO_32
  const h = (high + SIGN_FLIP) >>> 0
  return String.fromCharCode(
    h >>> 24,
    (h >>> 16) & 0xff,
    (h >>> 8) & 0xff,
    h & 0xff,
    low >>> 24,
    (low >>> 16) & 0xff,
    (low >>> 8) & 0xff,
    low & 0xff,
  )
}

/** Reads a time written by `timeToBinary` at `offset` of a binary string. */
export function binaryToTime(key: string, offset = 0): number {
  const h =
    ((key.charCodeAt(offset) << 24) |
      (key.charCodeAt(offset + 1) << 16) |
      (key.charCodeAt(offset + 2) << 8) |
      key.charCodeAt(offset + 3)) >>>
    0
  const low =
    ((key.charCodeAt(offset + 4) << 24) |
      (key.charCodeAt(offset + 5) << 16) |
      (key.charCodeAt(offset + 6) << 8) |
      key.charCodeAt(offset + 7)) >>>
    0
  return (h - SIGN_FLIP) * TWO_32 + low
}

/** Clamps a bound such as ±Infinity into the encodable range. */
export function clampTime(time: number): number {
  if (time > Number.MAX_SAFE_INTEGER) return Number.MAX_SAFE_INTEGER
  if (time < Number.MIN_SAFE_INTEGER) return Number.MIN_SAFE_INTEGER
  return Math.trunc(time)
}
