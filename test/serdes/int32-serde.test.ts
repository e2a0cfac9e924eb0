import { int32Serde } from '../../src/serdes/int32-serde'
import { expectOrderPreserved, expectSanitizedFailure, roundTrip, seededRandom } from './serde-test-helpers'

const MIN = -2147483648
const MAX = 2147483647

describe('int32 serde', () => {
  it.each([MIN, MIN + 1, -1, 0, 1, MAX - 1, MAX, 42, -1000000])('round-trips %p', (n) => {
    expect(roundTrip(int32Serde, n)).toBe(n)
  })

  it('writes -0 as 0: an int32 has no negative zero', () => {
    expect(int32Serde.serialize(-0, 't')).toEqual(int32Serde.serialize(0, 't'))
    expect(Object.is(roundTrip(int32Serde, -0), 0)).toBe(true)
  })

  it('writes 4 big-endian bytes with the sign bit flipped', () => {
    const hex = (n: number): string => int32Serde.serialize(n, 't').toString('hex')
    expect(hex(MIN)).toBe('00000000')
    expect(hex(-1)).toBe('7fffffff')
    expect(hex(0)).toBe('80000000')
    expect(hex(1)).toBe('80000001')
    expect(hex(MAX)).toBe('ffffffff')
    expect(hex(0x01020304)).toBe('81020304')
  })

  it('orders encodings byte-wise exactly as the numbers', () => {
    const random = seededRandom(32)
    const values = [MIN, MIN + 1, -256, -255, -1, 0, 1, 255, 256, MAX - 1, MAX]
    for (let i = 0; i < 5000; i++) values.push((random() * 2 ** 32 - 2 ** 31) | 0)
    for (let i = 0; i < 500; i++) values.push(Math.round((random() - 0.5) * 2000))
    expectOrderPreserved(int32Serde, values, (a, b) => a - b)
  })

  it.each([
    [3, 'int32 serde expects 4 bytes, got 3'],
    [5, 'int32 serde expects 4 bytes, got 5'],
    [0, 'int32 serde expects 4 bytes, got 0'],
  ])('refuses %p bytes with DESERIALIZATION_FAILED', (length, message) => {
    const error = expectSanitizedFailure(() => int32Serde.deserialize(Buffer.alloc(length, 0x41), 't'), 'DESERIALIZATION_FAILED')
    expect(error.message).toContain(message)
  })

  it('never quotes the bytes it refuses', () => {
    const error = expectSanitizedFailure(
      () => int32Serde.deserialize(Buffer.from('SECRET-4f1c9a'), 'orders'),
      'DESERIALIZATION_FAILED',
    )
    expect(error.message).toBe('int32 serde expects 4 bytes, got 13 (topic orders)')
    expect(error.coordinates.topic).toBe('orders')
  })

  it.each([
    [1.5, '1.5', 'expects an integer, got a fractional or non-finite number'],
    [Number.NaN, 'NaN', 'expects an integer, got a fractional or non-finite number'],
    [Number.POSITIVE_INFINITY, 'Infinity', 'expects an integer, got a fractional or non-finite number'],
    [3000000000, '3000000000', 'outside that range'],
    [-3000000000, '3000000000', 'outside that range'],
  ])('refuses %p with SERIALIZATION_FAILED, without quoting it', (value, marker, reason) => {
    const error = expectSanitizedFailure(() => int32Serde.serialize(value, 't'), 'SERIALIZATION_FAILED', marker)
    expect(error.message).toContain(reason)
  })

  it.each([
    ['a string', 'SECRET-4f1c9a', 'got a string'],
    ['a bigint', 5n, 'got a bigint'],
    ['null', null, 'got null'],
    ['an object', { valueOf: (): number => 5, secret: 'SECRET-4f1c9a' }, 'got an object'],
  ])('refuses %s with SERIALIZATION_FAILED', (_kind, value, reason) => {
    const error = expectSanitizedFailure(() => int32Serde.serialize(value as unknown as number, 't'), 'SERIALIZATION_FAILED')
    expect(error.message).toContain(`int32 serde expects a number, ${reason}`)
  })
})
