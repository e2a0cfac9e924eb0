import { msgpackSerde, packValue, unpackValue } from '../../src/serdes/msgpack-serde'
import { SECRET, expectSanitizedFailure, roundTrip } from './serde-test-helpers'

const unpackHex = (hex: string) => (): unknown => msgpackSerde.deserialize(Buffer.from(hex, 'hex'), 'events')
const secretHex = Buffer.from(SECRET).toString('hex') // 13 bytes
const SECRET_STR = `ad${secretHex}` // MessagePack fixstr of length 13

describe('msgpack serde', () => {
  it.each([
    { a: 1, b: 'two', c: [true, false, null], d: { nested: { deeper: [1.5, -0.25] } } },
    [1, 'x', { y: [] }],
    'ünïcödé 🎉',
    '',
    0,
    -1,
    2 ** 40,
    -12.5,
    Number.MAX_SAFE_INTEGER,
    true,
    {},
  ])('round-trips %j', (value) => {
    expect(roundTrip(msgpackSerde, value)).toEqual(value)
  })

  it('round-trips what JSON cannot: bigints over the whole int64 range, Buffers, Dates, undefined', () => {
    const value = {
      big: 2n ** 62n + 1n,
      min: -(2n ** 63n),
      bytes: Buffer.from([0, 1, 255]),
      at: new Date(1700000000123),
      missing: undefined,
    }
    expect(roundTrip(msgpackSerde, value)).toEqual(value)
  })

  it('decodes a Map as a plain object, as other MessagePack readers would', () => {
    expect(roundTrip(msgpackSerde, new Map([['k', 1]]))).toEqual({ k: 1 })
  })

  it('writes standard self-contained MessagePack (a plain map, no record extension)', () => {
    expect(msgpackSerde.serialize({ a: 1 }, 't').toString('hex')).toBe('81a16101')
    expect(msgpackSerde.serialize({ a: 1 }, 't').toString('hex')).toBe('81a16101')
  })

  it('encodes objects with more than 65535 keys', () => {
    const wide: Record<string, number> = {}
    for (let i = 0; i < 70_000; i++) wide[`k${i}`] = i
    expect(Object.keys(roundTrip(msgpackSerde, wide) as object)).toHaveLength(70_000)
  })

  it('shares its format with packValue/unpackValue for internal encodings', () => {
    const value = { offsets: { 'orders-0': 42 }, epoch: 3n }
    expect(packValue(value)).toEqual(msgpackSerde.serialize(value, 't'))
    expect(unpackValue(packValue(value))).toEqual(value)
  })

  it.each([
    ['empty input', '', 'the input is truncated'],
    ['a truncated string', `ad${secretHex.slice(0, 16)}`, 'the input is truncated'],
    ['a truncated map', `82${SECRET_STR}01${SECRET_STR}`, 'the input is truncated'],
    ['trailing bytes after a string', `${SECRET_STR}c0`, 'unexpected bytes after the value'],
    ['trailing bytes after a map', `81${SECRET_STR}01ff`, 'unexpected bytes after the value'],
    ['an unknown extension', `c70d63${secretHex}`, 'unknown extension type'],
  ])('refuses %s with a sanitized DESERIALIZATION_FAILED', (_kind, hex, reason) => {
    const error = expectSanitizedFailure(unpackHex(hex), 'DESERIALIZATION_FAILED')
    expect(error.message).toBe(`msgpack serde could not decode ${hex.length / 2} bytes: ${reason} (topic events)`)
    expect(error.cause).toBeUndefined()
  })

  it('unpackValue fails the same way, without a topic', () => {
    const error = expectSanitizedFailure(() => unpackValue(Buffer.from(`${SECRET_STR}c0`, 'hex')), 'DESERIALIZATION_FAILED')
    expect(error.message).toBe('msgpack serde could not decode 15 bytes: unexpected bytes after the value')
  })

  it('refuses a bigint beyond 64 bits without printing it', () => {
    const error = expectSanitizedFailure(() => msgpackSerde.serialize({ n: 2n ** 70n }, 't'), 'SERIALIZATION_FAILED', String(2n ** 70n))
    expect(error.message).toContain('msgpack serde could not serialize the value: it contains a bigint outside the 64-bit range')
  })

  it('refuses a cycle without naming its properties', () => {
    const cyclic: Record<string, unknown> = { name: SECRET }
    cyclic[SECRET] = cyclic
    const error = expectSanitizedFailure(() => packValue(cyclic), 'SERIALIZATION_FAILED')
    expect(error.message).toContain('it contains a cycle or is nested too deeply')
  })

  it('refuses a value whose toJSON throws, without its message or cause', () => {
    class Secretive {
      toJSON(): never {
        throw new Error(SECRET)
      }
    }
    const error = expectSanitizedFailure(() => msgpackSerde.serialize({ inner: new Secretive() }, 't'), 'SERIALIZATION_FAILED')
    expect(error.message).toContain('a toJSON() method or getter threw')
    expect(error.cause).toBeUndefined()
  })

  it('keeps working after failures (the shared codec instances are not left mid-operation)', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(() => msgpackSerde.serialize(cyclic, 't')).toThrow()
    expect(() => msgpackSerde.deserialize(Buffer.from('82a161', 'hex'), 't')).toThrow()
    const value = { after: ['failure', 1] }
    expect(roundTrip(msgpackSerde, value)).toEqual(value)
  })
})
