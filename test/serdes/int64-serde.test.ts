import { int64Serde } from '../../src/serdes/int64-serde'
import { expectOrderPreserved, expectSanitizedFailure, roundTrip, seededRandom } from './serde-test-helpers'

const MIN = -(2n ** 63n)
const MAX = 2n ** 63n - 1n

describe('int64 serde', () => {
  it.each([MIN, MIN + 1n, -(2n ** 32n), -1n, 0n, 1n, 2n ** 32n, 2n ** 53n + 1n, MAX - 1n, MAX])('round-trips %p', (n) => {
    expect(roundTrip(int64Serde, n)).toBe(n)
  })

  it('writes 8 big-endian bytes with the sign bit flipped', () => {
    const hex = (n: bigint): string => int64Serde.serialize(n, 't').toString('hex')
    expect(hex(MIN)).toBe('0000000000000000')
    expect(hex(-1n)).toBe('7fffffffffffffff')
    expect(hex(0n)).toBe('8000000000000000')
    expect(hex(1n)).toBe('8000000000000001')
    expect(hex(MAX)).toBe('ffffffffffffffff')
    expect(hex(0x0102030405060708n)).toBe('8102030405060708')
  })

  it('orders encodings byte-wise exactly as the numbers', () => {
    const random = seededRandom(64)
    const word = (): bigint => BigInt(Math.floor(random() * 2 ** 32))
    const values = [MIN, MIN + 1n, -(2n ** 32n), -(2n ** 32n) + 1n, -1n, 0n, 1n, 2n ** 32n - 1n, 2n ** 32n, MAX - 1n, MAX]
    for (let i = 0; i < 5000; i++) values.push(BigInt.asIntN(64, (word() << 32n) | word()))
    for (let i = 0; i < 500; i++) values.push(BigInt(Math.round((random() - 0.5) * 2000)))
    expectOrderPreserved(int64Serde, values, (a, b) => (a < b ? -1 : a > b ? 1 : 0))
  })

  it.each([7, 9, 0, 4])('refuses %p bytes with DESERIALIZATION_FAILED', (length) => {
    const error = expectSanitizedFailure(() => int64Serde.deserialize(Buffer.alloc(length, 0x41), 't'), 'DESERIALIZATION_FAILED')
    expect(error.message).toContain(`int64 serde expects 8 bytes, got ${length}`)
  })

  it('never quotes the bytes it refuses', () => {
    expectSanitizedFailure(() => int64Serde.deserialize(Buffer.from('SECRET-4f1c9a'), 't'), 'DESERIALIZATION_FAILED')
  })

  it.each([
    [2n ** 63n, '9223372036854775808'],
    [MIN - 1n, '9223372036854775809'],
    [2n ** 100n, String(2n ** 100n)],
  ])('refuses %p (out of range) with SERIALIZATION_FAILED, without quoting it', (value, marker) => {
    const error = expectSanitizedFailure(() => int64Serde.serialize(value, 't'), 'SERIALIZATION_FAILED', marker)
    expect(error.message).toContain('int64 serde expects a bigint in [-2^63, 2^63-1]')
  })

  it.each([
    ['a number', 5, 'got a number'],
    ['a string', 'SECRET-4f1c9a', 'got a string'],
    ['undefined', undefined, 'got undefined'],
  ])('refuses %s with SERIALIZATION_FAILED', (_kind, value, reason) => {
    const error = expectSanitizedFailure(() => int64Serde.serialize(value as unknown as bigint, 't'), 'SERIALIZATION_FAILED')
    expect(error.message).toContain(`int64 serde expects a bigint, ${reason}`)
  })
})
