import { expectTypeOf } from 'expect-type'
import { StreamfoldError } from '../../src/errors'
import type { Serde } from '../../src/serdes/serde'
import { SERDE_NAMES, Serdes } from '../../src/serdes/serdes'
import { expectSanitizedFailure } from './serde-test-helpers'

interface PageView {
  readonly url: string
  readonly ms: number
}

describe('Serdes', () => {
  it('names each serde after its factory and returns one shared instance', () => {
    const factories = {
      string: Serdes.string,
      json: Serdes.json,
      msgpack: Serdes.msgpack,
      buffer: Serdes.buffer,
      int32: Serdes.int32,
      int64: Serdes.int64,
      double: Serdes.double,
    }
    for (const [name, factory] of Object.entries(factories)) {
      expect(factory().name).toBe(name)
      expect(factory()).toBe(factory())
    }
  })

  it('has frozen serdes, so that no caller can swap a shared serialize()', () => {
    expect(Object.isFrozen(Serdes)).toBe(true)
    expect(Object.isFrozen(Serdes.int32())).toBe(true)
  })

  it('types json and msgpack by their type argument', () => {
    expectTypeOf(Serdes.json<PageView>()).toEqualTypeOf<Serde<PageView>>()
    expectTypeOf(Serdes.msgpack<PageView>()).toEqualTypeOf<Serde<PageView>>()
    expectTypeOf(Serdes.json()).toEqualTypeOf<Serde<unknown>>()
    expectTypeOf(Serdes.int64()).toEqualTypeOf<Serde<bigint>>()
    const view: PageView = { url: '/home', ms: 12 }
    expect(Serdes.json<PageView>().deserialize(Serdes.json<PageView>().serialize(view, 't'), 't')).toEqual(view)
  })
})

describe('Serdes.byName', () => {
  it.each(['string', 'json', 'msgpack', 'buffer', 'int32', 'int64', 'double'] as const)('finds %s', (name) => {
    expect(Serdes.byName(name).name).toBe(name)
  })

  it('returns the same instances as the factories', () => {
    expect(Serdes.byName('int32')).toBe(Serdes.int32())
    expect(Serdes.byName('json')).toBe(Serdes.json())
  })

  it('lists every accepted name', () => {
    expect([...SERDE_NAMES].sort()).toEqual(['buffer', 'double', 'int32', 'int64', 'json', 'msgpack', 'string'])
  })

  it('types a literal name precisely and a runtime string as Serde<unknown>', () => {
    expectTypeOf(Serdes.byName('int64')).toEqualTypeOf<Serde<bigint>>()
    expectTypeOf(Serdes.byName('string')).toEqualTypeOf<Serde<string>>()
    const fromArgv: string = 'double'
    expectTypeOf(Serdes.byName(fromArgv)).toEqualTypeOf<Serde<unknown>>()
  })

  it('gives a serde that still checks its input when used through Serde<unknown>', () => {
    const serde = Serdes.byName('int32' as string)
    expectSanitizedFailure(() => serde.serialize('SECRET-4f1c9a', 't'), 'SERIALIZATION_FAILED')
  })

  it.each(['avro', 'Int32', 'toString', '__proto__', 'constructor', ''])('refuses %j with CONFIG_INVALID', (name) => {
    let caught: unknown
    try {
      Serdes.byName(name)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(StreamfoldError)
    expect((caught as StreamfoldError).code).toBe('CONFIG_INVALID')
    expect((caught as StreamfoldError).message).toBe(
      `unknown serde '${name}'; accepted: string, json, msgpack, buffer, int32, int64, double`,
    )
  })
})
