import { TaskStores, type TaskStoresOptions } from '../../src/state/task-stores'
import { keyValueStoreSpec } from '../../src/state/store-spec'
import type { KeyValueStore } from '../../src/state/key-value-store'
import { stringSerde, uint32Serde } from './support/serdes'
import { useTempDir } from './support/temp-dir'
import { collect } from './support/collect'

const src = [{ topic: 'input', partition: 0, offset: 10 }]

describe.each([
  ['persistent', true],
  ['in-memory', false],
])('KeyValueStore (%s)', (_label, persistent) => {
  const dir = useTempDir()
  let tasks: TaskStores[] = []

  async function open(extra: Partial<TaskStoresOptions> = {}): Promise<TaskStores> {
    const stores = await TaskStores.open({
      applicationId: 'app',
      taskId: '0_0',
      stateDir: dir(),
      changelogPartition: 0,
      stores: [
        keyValueStoreSpec({ name: 'counts', keySerde: stringSerde, valueSerde: uint32Serde, persistent }),
        keyValueStoreSpec({ name: 'by-number', keySerde: uint32Serde, valueSerde: stringSerde, persistent }),
      ],
      ...extra,
    })
    tasks.push(stores)
    return stores
  }

  afterEach(async () => {
    for (const t of tasks) await t.close()
    tasks = []
  })

  async function commit(task: TaskStores): Promise<void> {
    task.prepareCommit(src)
    await task.commit()
  }

  it('reads its own uncommitted writes, synchronously', async () => {
    const task = await open()
    const store = task.getKeyValueStore<string, number>('counts')
    expect(store.get('a')).toBeUndefined()
    store.put('a', 1)
    expect(store.get('a')).toBe(1)
    store.put('a', 2)
    expect(store.get('a')).toBe(2)
    expect(store.putIfAbsent('a', 9)).toBe(2)
    expect(store.putIfAbsent('b', 3)).toBeUndefined()
    expect(store.get('b')).toBe(3)
    expect(store.delete('a')).toBe(2)
    expect(store.get('a')).toBeUndefined()
    store.put('b', null)
    expect(store.get('b')).toBeUndefined()
  })

  it('keeps committed values across commits and reads them back from the database', async () => {
    const task = await open()
    const store = task.getKeyValueStore<string, number>('counts')
    store.putAll([
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ])
    await commit(task)
    expect(store.get('a')).toBe(1)
    store.delete('a')
    await commit(task)
    expect(store.get('a')).toBeUndefined()
    expect(store.get('b')).toBe(2)
  })

  it('discard rolls back to the last commit, before and after prepareCommit', async () => {
    const task = await open()
    const store = task.getKeyValueStore<string, number>('counts')
    store.put('a', 1)
    await commit(task)
    store.put('a', 2)
    store.put('c', 3)
    task.discard()
    expect(store.get('a')).toBe(1)
    expect(store.get('c')).toBeUndefined()
    store.put('a', 4)
    task.prepareCommit(src)
    store.put('a', 5) // belongs to the next transaction
    expect(store.get('a')).toBe(5)
    task.discard()
    expect(store.get('a')).toBe(1)
  })

  it('writes made while a commit is in flight belong to the next transaction', async () => {
    const task = await open()
    const store = task.getKeyValueStore<string, number>('counts')
    store.put('a', 1)
    const { changelogRecords } = task.prepareCommit(src)
    store.put('b', 2)
    expect(store.get('a')).toBe(1)
    await task.commit()
    expect(changelogRecords.map((r) => r.key?.toString())).toEqual(['a'])
    const next = task.prepareCommit(src)
    expect(next.changelogRecords.map((r) => r.key?.toString())).toEqual(['b'])
    await task.commit()
  })

  it('range, prefixScan and all merge the write buffer over the database in key order', async () => {
    const task = await open()
    const store = task.getKeyValueStore<string, number>('counts')
    for (const [k, v] of [['a', 1], ['b', 2], ['c', 3], ['d', 4], ['ab', 5]] as const) store.put(k, v)
    await commit(task)
    store.put('b', 20) // shadows
    store.delete('c') // hides
    store.put('bb', 6) // new, between committed keys
    store.put('e', 7)
    const all = await collect(store.all())
    expect(all).toEqual([
      { key: 'a', value: 1 },
      { key: 'ab', value: 5 },
      { key: 'b', value: 20 },
      { key: 'bb', value: 6 },
      { key: 'd', value: 4 },
      { key: 'e', value: 7 },
    ])
    expect((await collect(store.range('ab', 'bb'))).map((e) => e.key)).toEqual(['ab', 'b', 'bb'])
    expect((await collect(store.range(undefined, 'b'))).map((e) => e.key)).toEqual(['a', 'ab', 'b'])
    expect((await collect(store.range('c'))).map((e) => e.key)).toEqual(['d', 'e'])
    expect((await collect(store.range('d', 'a'))).length).toBe(0)
    expect((await collect(store.prefixScan('a', stringSerde))).map((e) => e.key)).toEqual(['a', 'ab'])
    expect((await collect(store.prefixScan('b', stringSerde))).map((e) => e.value)).toEqual([20, 6])
    expect(await store.approximateNumEntries()).toBe(6)
  })

  it('orders numeric keys by their order-preserving bytes', async () => {
    const task = await open()
    const store = task.getKeyValueStore<number, string>('by-number')
    for (const n of [300, 2, 70000, 1, 256]) store.put(n, `v${n}`)
    await commit(task)
    store.put(3, 'v3')
    expect((await collect(store.range(2, 300))).map((e) => e.key)).toEqual([2, 3, 256, 300])
  })

  it('keeps stores apart in the one task database', async () => {
    const task = await open()
    task.getKeyValueStore<string, number>('counts').put('x', 1)
    task.getKeyValueStore<number, string>('by-number').put(1, 'one')
    await commit(task)
    expect(await collect(task.getKeyValueStore<string, number>('counts').all())).toEqual([{ key: 'x', value: 1 }])
    expect(await collect(task.getKeyValueStore<number, string>('by-number').all())).toEqual([{ key: 1, value: 'one' }])
  })

  it('rejects unknown stores, wrong kinds, and use after close', async () => {
    const task = await open()
    expect(() => task.store('nope')).toThrow(expect.objectContaining({ code: 'UNKNOWN_STATE_STORE' }))
    expect(() => task.getWindowStore('counts')).toThrow(expect.objectContaining({ code: 'UNKNOWN_STATE_STORE' }))
    const store = task.getKeyValueStore<string, number>('counts')
    await task.close()
    expect(store.isOpen()).toBe(false)
    expect(() => store.get('a')).toThrow(expect.objectContaining({ code: 'STORE_CLOSED' }))
    expect(() => task.prepareCommit(src)).toThrow(expect.objectContaining({ code: 'STORE_CLOSED' }))
  })
})
