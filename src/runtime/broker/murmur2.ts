/**
 * Kafka's default key partitioner: the Java client's `Utils.murmur2` (MurmurHash2, 32-bit, Kafka's
 * seed) and `toPositive`. Both brokers use it for keyed records without an explicit partition, so a
 * key lands on the same partition whether a Java producer, librdkafka's murmur2 partitioner or
 * streamfold wrote it; co-partitioning across those producers depends on this being bit-exact.
 */
import { StreamfoldError } from '../../errors'

const SEED = 0x9747b28c
const M = 0x5bd1e995
const R = 24

/** Kafka's murmur2 of the bytes, as the Java `int` it returns (signed 32-bit). */
export function murmur2(data: Buffer): number {
  const length = data.length
  // Java's int arithmetic wraps at 32 bits: Math.imul multiplies that way, `>>>` is Java's `>>>`,
  // and every `^` yields an int32, so h and k stay exact int32 values throughout.
  let h = SEED ^ length
  const tail = length & ~3
  for (let i = 0; i < tail; i += 4) {
    // Four bytes little-endian, as Java assembles them byte by byte.
    let k = data.readInt32LE(i)
    k = Math.imul(k, M)
    k ^= k >>> R
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  // The 1-3 trailing bytes: Java's fall-through switch, which multiplies once after all of them.
  const rest = length & 3
  if (rest !== 0) {
    if (rest === 3) h ^= data.readUInt8(tail + 2) << 16
    if (rest >= 2) h ^= data.readUInt8(tail + 1) << 8
    h ^= data.readUInt8(tail)
    h = Math.imul(h, M)
  }
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h
}

/** Kafka's `Utils.toPositive`: clears the sign bit (not Math.abs, which fails for -2^31). */
export function toPositive(n: number): number {
  return n & 0x7fffffff
}

/** The partition Kafka's default partitioner picks for a non-null key. */
export function defaultPartition(keyBytes: Buffer, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions < 1) {
    throw new StreamfoldError('ILLEGAL_STATE', `a topic needs at least one partition to place a key, got ${numPartitions}`)
  }
  return toPositive(murmur2(keyBytes)) % numPartitions
}
