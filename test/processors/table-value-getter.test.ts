import type { ProcessorContext } from '../../src/processors/processor'
import { derivedValueGetter, joinedValueGetter, storeValueGetter, suppressedValueGetter } from '../../src/processors/stateful/table-value-getter'
import type { ValueAndTimestamp } from '../../src/processors/stateful/value-and-timestamp'

/** A context whose stores are plain maps: enough for getters, which only read. */
function contextOver(stores: Record<string, Map<string, ValueAndTimestamp<unknown>>>): ProcessorContext<unknown, unknown> {
  const open = (name: string) => ({ get: (key: string) => stores[name]!.get(key) })
  return { getStateStore: open } as unknown as ProcessorContext<unknown, unknown>
}

describe('table value getters', () => {
  const left = new Map<string, ValueAndTimestamp<unknown>>([['both', { value: 'L', timestamp: 5 }], ['left', { value: 'L', timestamp: 7 }]])
  const right = new Map<string, ValueAndTimestamp<unknown>>([['both', { value: 'R', timestamp: 9 }], ['right', { value: 'R', timestamp: 3 }]])
  const context = contextOver({ l: left, r: right })
  const joiner = (_k: string, l: string | null, r: string | null): string => `${l ?? 'null'}+${r ?? 'null'}`

  test('a store getter is the store itself (no wrapper on the fast path)', () => {
    const store = { get: () => undefined }
    const ctx = { getStateStore: () => store } as unknown as ProcessorContext<unknown, unknown>
    expect(storeValueGetter('s').open(ctx)).toBe(store)
  })

  test('derived getters chain over the store: no row stays no row, the derivation sees the stored row', () => {
    const upper = derivedValueGetter(storeValueGetter<string, string>('l'), (_k, row) => ({ value: row.value.toUpperCase() + '!', timestamp: row.timestamp }))
    const onlyBoth = derivedValueGetter(upper, (k, row) => (k === 'both' ? row : undefined)).open(context)
    expect([onlyBoth.get('both'), onlyBoth.get('left'), onlyBoth.get('none')]).toEqual([{ value: 'L!', timestamp: 5 }, undefined, undefined])
  })

  test.each([
    ['inner', false, false, { both: ['L+R', 9] }],
    ['left', true, false, { both: ['L+R', 9], left: ['L+null', 7] }],
    ['outer', true, true, { both: ['L+R', 9], left: ['L+null', 7], right: ['null+R', 3] }],
  ])('a %s join result reads both parents, at the later timestamp', (_kind, leftOptional, rightOptional, expected) => {
    const supplier = joinedValueGetter(storeValueGetter<string, string>('l'), storeValueGetter<string, string>('r'), { leftOptional, rightOptional, joiner })
    expect(supplier.storeNames).toEqual(['l', 'r'])
    const getter = supplier.open(context)
    const read = Object.fromEntries(
      ['both', 'left', 'right', 'none'].flatMap((k) => {
        const row = getter.get(k)
        return row === undefined ? [] : [[k, [row.value, row.timestamp]]]
      }),
    )
    expect(read).toEqual(expected)
  })

  test('a suppressed getter reads a held key\'s prior value (no row for none, timestamp unknown) and the parent for other keys', () => {
    const buffer = new Map<string, unknown>([
      ['both', { bufferTime: 1, timestamp: 9, newValue: 'L2', priorValue: 'L1' }],
      ['left', { bufferTime: 1, timestamp: 9, newValue: 'L2', priorValue: null }],
    ])
    const parent = new Map([...left, ['other', { value: 'O', timestamp: 4 }]])
    const ctx = { getStateStore: (name: string) => ({ get: (key: string) => (name === 'held' ? buffer.get(key) : parent.get(key)) }) } as unknown as ProcessorContext<unknown, unknown>
    const supplier = suppressedValueGetter(storeValueGetter<string, string>('l'), 'held')
    expect(supplier.storeNames).toEqual(['l', 'held'])
    const getter = supplier.open(ctx)
    expect([getter.get('both'), getter.get('left'), getter.get('right')]).toEqual([{ value: 'L1', timestamp: -1 }, undefined, undefined])
    expect(getter.get('other')).toEqual({ value: 'O', timestamp: 4 })
  })
})
