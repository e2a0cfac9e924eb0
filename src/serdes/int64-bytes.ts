/**
 * Millisecond times and other integers as 8 big-endian two's-complement bytes (Java's long), read
 * and written as two 32-bit halves through single-byte stores: no BigInt and no bounds-checked
 * Buffer calls on the hot paths of timestamped values and windowed keys. The bytes are those of
 * writeBigInt64BE / readBigInt64BE.
 */

const TWO_32 = 0x1_0000_0000

/** Writes `n` at `offset`. A non-integer (or NaN, infinity) throws RangeError as BigInt() does. */
export function writeInt64BE(out: Buffer, offset: number, n: number): void {
  if (!Number.isSafeInteger(n)) {
    out.writeBigInt64BE(BigInt(n), offset)
    return
  }
  const high = Math.floor(n / TWO_32)
  const low = n - high * TWO_32
  // Byte stores keep the low 8 bits: a negative high word is written in two's complement.
  out[offset] = high >>> 24
  out[offset + 1] = high >>> 16
  out[offset + 2] = high >>> 8
  out[offset + 3] = high
  out[offset + 4] = low >>> 24
  out[offset + 5] = low >>> 16
  out[offset + 6] = low >>> 8
  out[offset + 7] = low
}

/** Reads 8 bytes at `offset` as a number (rounded like Number(bigint) beyond 2^53). */
export function readInt64BE(data: Buffer, offset: number): number {
  const high = (data[offset]! << 24) | (data[offset + 1]! << 16) | (data[offset + 2]! << 8) | data[offset + 3]!
  const low = data[offset + 4]! * 0x100_0000 + ((data[offset + 5]! << 16) | (data[offset + 6]! << 8) | data[offset + 7]!)
  return high * TWO_32 + low
}
