import { stringSerde } from '../../src/serdes/string-serde'
import { expectSanitizedFailure, roundTrip } from './serde-test-helpers'

describe('string serde', () => {
  it.each(['', 'hello', 'héllo wörld', '你好，世界', 'emoji 🎉👩‍👩‍👧', 'nul\u0000inside', 'a'.repeat(100_000)])(
    'round-trips %j',
    (s) => {
      expect(roundTrip(stringSerde, s)).toBe(s)
    },
  )

  it('writes UTF-8, byte-compatible with Kafka StringSerde', () => {
    expect(stringSerde.serialize('é🎉', 't').toString('hex')).toBe('c3a9f09f8e89')
    expect(stringSerde.serialize('', 't')).toHaveLength(0)
  })

  it('decodes invalid UTF-8 to U+FFFD rather than failing, as Java does', () => {
    expect(stringSerde.deserialize(Buffer.from([0x61, 0xff, 0x62]), 't')).toBe('a\uFFFDb')
  })

  it.each([
    ['a number', 42, 'got a number'],
    ['a Buffer', Buffer.from('SECRET-4f1c9a'), 'got a Buffer'],
    ['an object', { secret: 'SECRET-4f1c9a' }, 'got an object'],
    ['an array', ['SECRET-4f1c9a'], 'got an array'],
    ['undefined', undefined, 'got undefined'],
  ])('refuses %s with SERIALIZATION_FAILED, without quoting it', (_kind, value, reason) => {
    const error = expectSanitizedFailure(() => stringSerde.serialize(value as unknown as string, 'orders'), 'SERIALIZATION_FAILED')
    expect(error.message).toBe(`string serde expects a string, ${reason} (topic orders)`)
  })
})
