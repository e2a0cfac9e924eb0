/**
 * Deterministic benchmark data: the same seed gives the same records on every machine and in every
 * process, so a child can regenerate what the parent seeded instead of receiving it.
 *
 * Record i: key `user-<rank>` with rank drawn uniform over `keys` or Zipf (s = 1) over `keys`,
 * a 100-byte ASCII value whose first character is a digit (the stateless filter drops '0'), and
 * event time BASE_TIME + i * stepMs (1 ms: 300k records span 5 one-minute windows).
 */
export type Distribution = 'uniform' | 'zipf'

export const BASE_TIME = 1_700_000_000_000
export const VALUE_BYTES = 100
const VALUE_POOL = 1024

export interface DataSpec {
  readonly records: number
  readonly keys: number
  readonly distribution: Distribution
  readonly seed?: number
  readonly stepMs?: number
}

export interface Dataset {
  readonly spec: DataSpec
  readonly ranks: Uint32Array
  readonly keyNames: readonly string[]
  readonly keyBuffers: readonly Buffer[]
  readonly values: readonly Buffer[]
  readonly count: number
  keyOf(i: number): Buffer
  valueOf(i: number): Buffer
  timestampOf(i: number): number
  /** Records passing the stateless case's filter (value not starting with '0'). */
  passingFilter(): number
}

export function dataset(spec: DataSpec): Dataset {
  const random = mulberry32(spec.seed ?? 42)
  const pick = spec.distribution === 'uniform' ? () => Math.floor(random() * spec.keys) : zipfSampler(spec.keys, random)
  const ranks = new Uint32Array(spec.records)
  for (let i = 0; i < spec.records; i++) ranks[i] = pick()
  const keyNames = Array.from({ length: spec.keys }, (_, i) => `user-${i}`)
  const keyBuffers = keyNames.map((k) => Buffer.from(k))
  const valueRandom = mulberry32((spec.seed ?? 42) + 1)
  const values = Array.from({ length: VALUE_POOL }, (_, i) => {
    const head = String(Math.floor(valueRandom() * 10))
    const body = `${head}|value-${i}|`.padEnd(VALUE_BYTES, String.fromCharCode(97 + (i % 26)))
    return Buffer.from(body.slice(0, VALUE_BYTES))
  })
  const step = spec.stepMs ?? 1
  return {
    spec,
    ranks,
    keyNames,
    keyBuffers,
    values,
    count: spec.records,
    keyOf: (i) => keyBuffers[ranks[i]!]!,
    valueOf: (i) => values[i % VALUE_POOL]!,
    timestampOf: (i) => BASE_TIME + i * step,
    passingFilter() {
      let n = 0
      for (let i = 0; i < spec.records; i++) if (values[i % VALUE_POOL]![0] !== 0x30) n++
      return n
    },
  }
}

/**
 * The join cases' table: one row per key (`user-<i>` for every i below `keys`), values from the
 * same pool, all timestamped before the first stream record.
 */
export function tableRows(data: Dataset): Array<{ key: Buffer; value: Buffer; timestamp: number }> {
  return data.keyBuffers.map((key, i) => ({ key, value: data.values[(i * 7) % VALUE_POOL]!, timestamp: BASE_TIME - 1 }))
}

/** Bytes of key + value over the whole dataset, for MB/s. */
export function datasetBytes(data: Dataset): number {
  let bytes = 0
  for (let i = 0; i < data.count; i++) bytes += data.keyOf(i).length + data.valueOf(i).length
  return bytes
}

/** Ranks 0..keys-1 with P(rank) proportional to 1 / (rank + 1) (Zipf, s = 1). */
export function zipfSampler(keys: number, random: () => number): () => number {
  const cdf = new Float64Array(keys)
  let sum = 0
  for (let i = 0; i < keys; i++) cdf[i] = sum += 1 / (i + 1)
  return () => {
    const target = random() * sum
    let lo = 0
    let hi = keys - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (cdf[mid]! < target) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

export function mulberry32(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
