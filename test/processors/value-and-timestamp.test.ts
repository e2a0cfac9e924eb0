/** ValueAndTimestamp's stored format: [8-byte big-endian signed timestamp][value bytes], unchanged. */
import { valueAndTimestampSerde } from '../../src/processors/stateful/value-and-timestamp'
import { Serdes } from '../../src/index'

const serde = valueAndTimestampSerde(Serdes.string())

/** The bytes as written before the two-word encoding: writeBigInt64BE. */
function reference(timestamp: number, value: string): Buffer {
  const out = Buffer.alloc(8 + Buffer.byteLength(value))
  out.writeBigInt64BE(BigInt(timestamp), 0)
  out.write(value, 8)
  return out
}

const EDGES = [0, 1, -1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, -(2 ** 32), -(2 ** 32) - 1, 1_764_000_000_000, -1_764_000_000_000, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]

describe('valueAndTimestampSerde', () => {
  it('writes the same bytes as a big-endian int64 and reads them back, for every safe integer', () => {
    let seed = 42
    const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
    const timestamps = [...EDGES, ...Array.from({ length: 2000 }, () => Math.round((random() - 0.5) * 2 ** (random() * 54)) + 0)]
    for (const timestamp of timestamps) {
      const bytes = serde.serialize({ timestamp, value: 'v' }, 't')
      expect(bytes.equals(reference(timestamp, 'v'))).toBe(true)
      expect(serde.deserialize(reference(timestamp, 'v'), 't')).toEqual({ timestamp, value: 'v' })
    }
  })

  it('reads any stored int64 as Number(BigInt) did, and refuses timestamps that are not integers', () => {
    for (const hex of ['7fffffffffffffff', '8000000000000000', '0020000000000001', 'ffdfffffffffffff', 'ffffffffffffffff']) {
      const bytes = Buffer.concat([Buffer.from(hex, 'hex'), Buffer.from('x')])
      expect(serde.deserialize(bytes, 't').timestamp).toBe(Number(bytes.readBigInt64BE(0)))
    }
    for (const timestamp of [1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => serde.serialize({ timestamp, value: 'v' }, 't')).toThrow()
    expect(() => serde.deserialize(Buffer.alloc(7), 't')).toThrow(expect.objectContaining({ code: 'DESERIALIZATION_FAILED' }))
  })
})
