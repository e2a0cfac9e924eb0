import { defaultPartition, murmur2, toPositive } from '../../../src/runtime/broker/murmur2'
import { StreamfoldError } from '../../../src/errors'

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8')

describe('murmur2', () => {
  // Expected values asserted by Kafka's UtilsTest.testMurmur2 against the Java client.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('matches the Java client for %j', (key, expected) => {
    expect(murmur2(bytes(key))).toBe(expected)
  })

  // librdkafka's unit test (rdmurmur2.c) checks its Java-compatible murmur2 with these; the
  // suffixes of one string cover every tail length (0-3 trailing bytes) and the empty key.
  it.each([
    ['kafka', 0xd067cf64],
    ['giberish123456789', 0x8f552b0c],
    ['1234', 0x9fc97b14],
    ['234', 0xe7c009ca],
    ['34', 0x873930da],
    ['4', 0x5a4b5ca1],
    ['PreAmbleWillBeRemoved,ThePrePartThatIs', 0x78424f1c],
    ['reAmbleWillBeRemoved,ThePrePartThatIs', 0x4a62b377],
    ['eAmbleWillBeRemoved,ThePrePartThatIs', 0xe0e4e09e],
    ['AmbleWillBeRemoved,ThePrePartThatIs', 0x62b8b43f],
    ['', 0x106e08d9],
  ])('matches librdkafka for %j', (key, unsigned) => {
    expect(murmur2(bytes(key))).toBe(unsigned | 0)
  })

  it('returns a signed 32-bit integer like Java', () => {
    for (let i = 0; i < 1000; i++) {
      const h = murmur2(bytes(`key-${i}`))
      expect(h | 0).toBe(h)
    }
  })

  it('hashes a Buffer that is a view at an odd offset of a larger buffer', () => {
    const backing = Buffer.from('xyzlkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')
    expect(murmur2(backing.subarray(3))).toBe(-58897971)
  })
})

describe('toPositive', () => {
  it('clears the sign bit, mapping -2^31 to 0 where Math.abs would overflow', () => {
    expect(toPositive(-2147483648)).toBe(0)
    expect(toPositive(-1)).toBe(0x7fffffff)
    expect(toPositive(-973932308)).toBe(1173551340)
    expect(toPositive(479470107)).toBe(479470107)
    expect(toPositive(0)).toBe(0)
  })
})

describe('defaultPartition', () => {
  it('is toPositive(murmur2(key)) modulo the partition count', () => {
    // toPositive(-973932308) = 1173551340; toPositive(-790332482) = 1357151166.
    expect(defaultPartition(bytes('21'), 3)).toBe(0)
    expect(defaultPartition(bytes('21'), 7)).toBe(1173551340 % 7)
    expect(defaultPartition(bytes('foobar'), 10)).toBe(6)
    expect(defaultPartition(bytes('abc'), 100)).toBe(7)
    expect(defaultPartition(bytes('anything'), 1)).toBe(0)
  })

  // Partitions librdkafka's `murmur2` partitioner chose for these keys on a 4-partition topic of its
  // mock cluster (recorded once through @confluentinc/kafka-javascript): an independent
  // implementation, and keys with bytes >= 0x80 in both whole words and tails.
  it.each([
    ['8081828384858687', 1],
    ['f09f9880', 1],
    ['666f6f626172', 2],
    ['ff80fe81c3a990', 3],
    ['c3a9', 3],
    ['0080ff7f01', 3],
    ['616263', 3],
    ['80', 0],
    ['ffff', 0],
    ['fedcba', 0],
    ['3231', 0],
  ])('agrees with librdkafka for key 0x%s', (hex, partition) => {
    expect(defaultPartition(Buffer.from(hex, 'hex'), 4)).toBe(partition)
  })

  it('always lands within [0, numPartitions)', () => {
    for (let i = 0; i < 2000; i++) {
      const p = defaultPartition(bytes(`order-${i}`), 12)
      expect(p).toBeGreaterThanOrEqual(0)
      expect(p).toBeLessThan(12)
    }
  })

  it.each([0, -1, 1.5, Number.NaN])('refuses %p partitions with ILLEGAL_STATE', (n) => {
    expect(() => defaultPartition(bytes('k'), n)).toThrow(StreamfoldError)
    expect(() => defaultPartition(bytes('k'), n)).toThrow(expect.objectContaining({ code: 'ILLEGAL_STATE' }))
  })
})
