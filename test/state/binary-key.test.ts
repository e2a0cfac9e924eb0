import { binaryToTime, clampTime, keyAfter, prefixEnd, timeToBinary } from '../../src/state/binary-key'

describe('binary keys', () => {
  it('encodes times so that byte order is numeric order, negatives included', () => {
    const times = [Number.MIN_SAFE_INTEGER, -(2 ** 40), -4294967297, -4294967296, -1, 0, 1, 255, 256, 4294967295, 4294967296, 1_700_000_000_000, Number.MAX_SAFE_INTEGER]
    const encoded = times.map(timeToBinary)
    for (const e of encoded) expect(e.length).toBe(8)
    expect([...encoded].sort()).toEqual(encoded)
    expect(encoded.map((e) => binaryToTime(e))).toEqual(times)
    expect(binaryToTime('xx' + timeToBinary(42), 2)).toBe(42)
  })

  it('computes prefix and inclusive bounds', () => {
    expect(prefixEnd('!a!')).toBe('!a"')
    expect(prefixEnd('a\xff\xff')).toBe('b')
    expect(prefixEnd('\xff')).toBeUndefined()
    expect(keyAfter('ab') > 'ab').toBe(true)
    expect(keyAfter('ab') < 'ab\x00\x00').toBe(true)
    expect(clampTime(-Infinity)).toBe(Number.MIN_SAFE_INTEGER)
    expect(clampTime(Infinity)).toBe(Number.MAX_SAFE_INTEGER)
  })
})
