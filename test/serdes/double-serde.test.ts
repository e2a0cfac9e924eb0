import { doubleSerde } from '../../src/serdes/double-serde'
import { expectOrderPreserved, expectSanitizedFailure, roundTrip, seededRandom } from './serde-test-helpers'

const hex = (n: number): string => doubleSerde.serialize(n, 't').toString('hex')

describe('double serde', () => {
  it.each([
    0, 1, -1, 0.1, -0.1, 1 / 3, Math.PI, -Math.E, 1e300, -1e-300,
    Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, Number.EPSILON,
    Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER,
    Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN,
  ])('round-trips %p', (n) => {
    expect(roundTrip(doubleSerde, n)).toBe(n) // toBe is Object.is: NaN equals NaN, -0 differs from 0
  })

  it('keeps negative zero distinct from zero', () => {
    expect(Object.is(roundTrip(doubleSerde, -0), -0)).toBe(true)
    expect(Object.is(roundTrip(doubleSerde, 0), 0)).toBe(true)
  })

  it('flips the sign bit of non-negatives and every bit of negatives', () => {
    expect(hex(0)).toBe('8000000000000000')
    expect(hex(1)).toBe('bff0000000000000') // IEEE 3ff0000000000000
    expect(hex(Number.POSITIVE_INFINITY)).toBe('fff0000000000000')
    expect(hex(Number.NaN)).toBe('fff8000000000000')
    expect(hex(-0)).toBe('7fffffffffffffff')
    expect(hex(-1)).toBe('400fffffffffffff') // IEEE bff0000000000000
    expect(hex(Number.NEGATIVE_INFINITY)).toBe('000fffffffffffff')
  })

  it('orders encodings byte-wise exactly as the numbers', () => {
    const random = seededRandom(754)
    const bits = Buffer.alloc(8)
    const values = [
      Number.NEGATIVE_INFINITY, -Number.MAX_VALUE, -1, -Number.MIN_VALUE, 0,
      Number.MIN_VALUE, Number.EPSILON, 1, 1 + Number.EPSILON, Number.MAX_VALUE, Number.POSITIVE_INFINITY,
    ]
    // Random bit patterns cover every exponent, subnormals and both signs; NaNs are left out.
    while (values.length < 5000) {
      bits.writeUInt32BE(Math.floor(random() * 2 ** 32), 0)
      bits.writeUInt32BE(Math.floor(random() * 2 ** 32), 4)
      const n = bits.readDoubleBE(0)
      if (!Number.isNaN(n) && !Object.is(n, -0)) values.push(n)
    }
    for (let i = 0; i < 500; i++) values.push((random() - 0.5) * 100)
    expectOrderPreserved(doubleSerde, values, (a, b) => a - b)
  })

  it('sorts -Infinity < -MIN_VALUE < -0 < 0 < MIN_VALUE < Infinity < NaN byte-wise', () => {
    const ordered = [Number.NEGATIVE_INFINITY, -Number.MIN_VALUE, -0, 0, Number.MIN_VALUE, Number.POSITIVE_INFINITY, Number.NaN]
    const encodings = ordered.map((n) => doubleSerde.serialize(n, 't'))
    for (let i = 1; i < encodings.length; i++) {
      expect(Buffer.compare(encodings[i - 1] as Buffer, encodings[i] as Buffer)).toBe(-1)
    }
  })

  it('does not modify the bytes it decodes, and decodes one value after another', () => {
    const negative = doubleSerde.serialize(-2.5, 't')
    const positive = doubleSerde.serialize(2.5, 't')
    const before = Buffer.from(negative)
    expect(doubleSerde.deserialize(negative, 't')).toBe(-2.5)
    expect(doubleSerde.deserialize(positive, 't')).toBe(2.5)
    expect(doubleSerde.deserialize(negative, 't')).toBe(-2.5)
    expect(negative).toEqual(before)
  })

  it('decodes from a view into a larger buffer', () => {
    const encoded = doubleSerde.serialize(-123.456, 't')
    const backing = Buffer.concat([Buffer.from([1, 2, 3]), encoded, Buffer.from([4])])
    expect(doubleSerde.deserialize(backing.subarray(3, 11), 't')).toBe(-123.456)
  })

  it.each([7, 9, 0, 4])('refuses %p bytes with DESERIALIZATION_FAILED', (length) => {
    const error = expectSanitizedFailure(() => doubleSerde.deserialize(Buffer.alloc(length, 0x41), 't'), 'DESERIALIZATION_FAILED')
    expect(error.message).toContain(`double serde expects 8 bytes, got ${length}`)
  })

  it('never quotes the bytes it refuses', () => {
    expectSanitizedFailure(() => doubleSerde.deserialize(Buffer.from('SECRET-4f1c9a'), 't'), 'DESERIALIZATION_FAILED')
  })

  it.each([
    ['a string', 'SECRET-4f1c9a', 'got a string'],
    ['a bigint', 5n, 'got a bigint'],
    ['null', null, 'got null'],
  ])('refuses %s with SERIALIZATION_FAILED', (_kind, value, reason) => {
    const error = expectSanitizedFailure(() => doubleSerde.serialize(value as unknown as number, 't'), 'SERIALIZATION_FAILED')
    expect(error.message).toContain(`double serde expects a number, ${reason}`)
  })
})
