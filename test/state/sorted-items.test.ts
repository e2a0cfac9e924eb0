import { binaryToTime, timeToBinary } from '../../src/state/binary-key'
import { firstAfter, firstAtOrAfter, insertItem, joinItems, removeItem, splitItems, StoredItems } from '../../src/state/sorted-items'

const item = (time: number, seq = 0): string => timeToBinary(time) + timeToBinary(seq)
const times = (items: readonly string[]): number[] => items.map((i) => binaryToTime(i))

describe('sorted items', () => {
  const items = [item(-5), item(0), item(0, 1), item(3), item(10)]

  it.each([
    ['an array', () => [...items]],
    ['the stored form, read in place', () => new StoredItems(joinItems(items, 0)!, 16)],
  ])('binary-searches %s by time', (_label, list) => {
    const l = list()
    expect(firstAtOrAfter(l, -Infinity)).toBe(0)
    expect(firstAtOrAfter(l, Number.NaN)).toBe(0)
    expect(firstAtOrAfter(l, -5)).toBe(0)
    expect(firstAtOrAfter(l, -4.5)).toBe(1)
    expect(firstAtOrAfter(l, 0)).toBe(1)
    expect(firstAtOrAfter(l, 1)).toBe(3)
    expect(firstAtOrAfter(l, 11)).toBe(5)
    expect(firstAtOrAfter(l, Infinity)).toBe(5)
    // Expiry: items at or before the cutoff go.
    expect(firstAfter(l, -Infinity)).toBe(0)
    expect(firstAfter(l, 0)).toBe(3)
    expect(firstAfter(l, 0.5)).toBe(3)
    expect(firstAfter(l, -0.5)).toBe(1)
    expect(firstAfter(l, 10)).toBe(5)
  })

  it('inserts in order once, appending in the common case, and removes', () => {
    const list: string[] = []
    for (const t of [1, 2, 5, 3, 3, -1, 5]) insertItem(list, item(t))
    expect(times(list)).toEqual([-1, 1, 2, 3, 5])
    expect(insertItem(list, item(3))).toBe(false)
    expect(removeItem(list, item(2))).toBe(true)
    expect(removeItem(list, item(4))).toBe(false)
    expect(times(list)).toEqual([-1, 1, 3, 5])
  })

  it('joins from an index and splits back', () => {
    expect(joinItems(items, 5)).toBeNull()
    expect(splitItems(joinItems(items, 2)!, 16)).toEqual(items.slice(2))
    expect(splitItems(undefined, 16)).toEqual([])
    expect(new StoredItems(undefined, 16).length).toBe(0)
  })
})
