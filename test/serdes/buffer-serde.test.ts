import { bufferSerde } from '../../src/serdes/buffer-serde'
import { expectSanitizedFailure } from './serde-test-helpers'

describe('buffer serde', () => {
  it('passes bytes through without copying', () => {
    const bytes = Buffer.from([0, 1, 2, 255])
    expect(bufferSerde.serialize(bytes, 't')).toBe(bytes)
    expect(bufferSerde.deserialize(bytes, 't')).toBe(bytes)
  })

  it('round-trips an empty buffer', () => {
    expect(bufferSerde.deserialize(bufferSerde.serialize(Buffer.alloc(0), 't'), 't')).toHaveLength(0)
  })

  it.each([
    ['a string', 'SECRET-4f1c9a', 'got a string'],
    ['a Uint8Array', new Uint8Array(Buffer.from('SECRET-4f1c9a')), 'got a Uint8Array'],
    ['null', null, 'got null'],
  ])('refuses %s with SERIALIZATION_FAILED, without quoting it', (_kind, value, reason) => {
    const error = expectSanitizedFailure(() => bufferSerde.serialize(value as unknown as Buffer, 't'), 'SERIALIZATION_FAILED')
    expect(error.message).toContain(`buffer serde expects a Buffer, ${reason}`)
  })
})
