import { jsonSerde } from '../../src/serdes/json-serde'
import { SECRET, expectSanitizedFailure, roundTrip } from './serde-test-helpers'

const parse = (text: string) => (): unknown => jsonSerde.deserialize(Buffer.from(text, 'utf8'), 'events')

describe('json serde', () => {
  it.each([
    { a: 1, b: 'two', c: [true, false, null], d: { nested: { deeper: [1.5, -0.25] } } },
    [1, 'x', { y: [] }],
    'just a string with ünïcödé 🎉',
    '',
    0,
    -12.5,
    true,
    {},
  ])('round-trips %j', (value) => {
    expect(roundTrip(jsonSerde, value)).toEqual(value)
  })

  it('writes plain UTF-8 JSON', () => {
    expect(jsonSerde.serialize({ k: 'é' }, 't').toString('utf8')).toBe('{"k":"é"}')
  })

  it('carries what JSON carries: Dates become strings, undefined properties vanish', () => {
    expect(roundTrip(jsonSerde, { at: new Date(0), gone: undefined })).toEqual({ at: '1970-01-01T00:00:00.000Z' })
  })

  it.each([
    [`{"a":${SECRET}}`, 'unexpected character'],
    [SECRET, 'unexpected character'],
    [`nul${SECRET}`, 'unexpected character'],
    [`{"${SECRET}"`, 'malformed object or array at character 16'],
    [`{${SECRET}:1}`, 'malformed object or array at character 1'],
    [`"${SECRET}`, 'unterminated string at character 14'],
    [`{"a":1} ${SECRET}`, 'unexpected data after the value at character 8'],
    [`"\\q${SECRET}"`, 'invalid escape sequence at character 2'],
    [`"\u0001${SECRET}"`, 'control character in a string at character 1'],
    [`-${SECRET}`, 'malformed number at character 1'],
    ['', 'unexpected end of input'],
    [`{"${SECRET}":[1,2`, 'malformed object or array at character 21'],
    ['tru', 'unexpected end of input'],
  ])('refuses %j with a sanitized DESERIALIZATION_FAILED', (text, reason) => {
    const error = expectSanitizedFailure(parse(text), 'DESERIALIZATION_FAILED')
    const bytes = Buffer.byteLength(text, 'utf8')
    expect(error.message).toBe(`json serde could not parse ${bytes} bytes: ${reason} (topic events)`)
    expect(error.cause).toBeUndefined()
  })

  it('does not take a position from text inside the quoted input', () => {
    const error = expectSanitizedFailure(parse('x in JSON at position 4242'), 'DESERIALIZATION_FAILED', '4242')
    expect(error.message).toContain('unexpected character')
  })

  it('refuses a cycle without naming its properties', () => {
    const cyclic: Record<string, unknown> = { name: SECRET }
    cyclic[SECRET] = cyclic
    const error = expectSanitizedFailure(() => jsonSerde.serialize(cyclic, 't'), 'SERIALIZATION_FAILED')
    expect(error.message).toContain('json serde could not serialize the value: it contains a cycle')
  })

  it('refuses a bigint', () => {
    const error = expectSanitizedFailure(() => jsonSerde.serialize({ n: 12345678901234567890n }, 't'), 'SERIALIZATION_FAILED', '12345678901234567890')
    expect(error.message).toContain('it contains a bigint')
  })

  it('refuses a value whose toJSON throws, without its message or cause', () => {
    const value = {
      toJSON(): never {
        throw new Error(SECRET)
      },
    }
    const error = expectSanitizedFailure(() => jsonSerde.serialize(value, 't'), 'SERIALIZATION_FAILED')
    expect(error.message).toContain('a toJSON() method or getter threw')
    expect(error.cause).toBeUndefined()
  })

  it.each([
    ['undefined', undefined],
    ['a function', () => SECRET],
    ['a symbol', Symbol(SECRET)],
  ])('refuses %s, which JSON cannot represent', (_kind, value) => {
    const error = expectSanitizedFailure(() => jsonSerde.serialize(value, 't'), 'SERIALIZATION_FAILED')
    expect(error.message).toContain('json serde cannot represent undefined, a function or a symbol')
  })
})
