import { TaskStores } from '../../src/state/task-stores'
import { windowStoreSpec } from '../../src/state/store-spec'
import type { WindowStore } from '../../src/state/window-store'
import { stringSerde, uint32Serde } from './support/serdes'
import { useTempDir } from './support/temp-dir'
import { collect } from './support/collect'

const src = [{ topic: 'in', partition: 0, offset: 1 }]

describe.each([
  ['persistent', true],
  ['in-memory', false],
])('WindowStore (%s)', (_label, persistent) => {
  const dir = useTempDir()
  const spec = windowStoreSpec({
    name: 'win',
    keySerde: stringSerde,
    valueSerde: uint32Serde,
    windowSizeMs: 10,
    retentionMs: 100,
    persistent,
  })
  const open = (): Promise<TaskStores> =>
    TaskStores.open({ applicationId: 'app', taskId: '0_0', stateDir: dir(), changelogPartition: 0, stores: [spec] })
  async function commit(task: TaskStores): Promise<void> {
    task.prepareCommit(src)
    await task.commit()
  }

  let task: TaskStores
  let store: WindowStore<string, number>
  beforeEach(async () => {
    task = await open()
    store = task.getWindowStore<string, number>('win')
  })
  afterEach(async () => {
    await task.close()
  })

  it('puts and fetches single windows synchronously, before and after commit', async () => {
    store.put('a', 1, 0)
    store.put('a', 2, 10)
    store.put('b', 3, 10)
    expect(store.fetch('a', 0)).toBe(1)
    expect(store.fetch('a', 10)).toBe(2)
    expect(store.fetch('a', 20)).toBeUndefined()
    await commit(task)
    expect(store.fetch('b', 10)).toBe(3)
    store.put('a', null, 0)
    expect(store.fetch('a', 0)).toBeUndefined()
    await commit(task)
    expect(store.fetch('a', 0)).toBeUndefined()
  })

  it('fetches a key time range synchronously from its window index, merged with uncommitted windows', async () => {
    for (const start of [30, 0, 20, 10]) store.put('a', start + 1, start)
    store.put('b', 99, 15)
    await commit(task)
    store.put('a', 16, 15)
    store.put('a', null, 20)
    expect(store.fetch('a', 5, 30)).toEqual([
      { windowStart: 10, value: 11 },
      { windowStart: 15, value: 16 },
      { windowStart: 30, value: 31 },
    ])
    expect(store.fetch('a', 0, 0)).toEqual([{ windowStart: 0, value: 1 }])
    expect(store.fetch('c', 0, 100)).toEqual([])
    task.discard()
    expect(store.fetch('a', 0, 100).map((w) => w.windowStart)).toEqual([0, 10, 20, 30])
  })

  it('drops expired windows: never returned, puts ignored, purged after commit', async () => {
    store.put('old', 1, 0)
    store.put('a', 2, 50)
    await commit(task)
    expect(store.fetch('old', 0)).toBe(1)
    store.put('a', 3, 100) // stream time 100: windows starting at or before 0 expire
    expect(store.observedStreamTime).toBe(100)
    expect(store.fetch('old', 0)).toBeUndefined()
    expect(store.fetch('old', 0, 100)).toEqual([])
    store.put('old', 5, 0)
    expect(store.fetch('old', 0)).toBeUndefined()
    await commit(task)
    expect((await collect(store.all())).map((e) => `${e.key.key}@${e.key.window.start}`)).toEqual(['a@50', 'a@100'])
    // The purge really deleted the data, not just hid it.
    const core = (task as unknown as { byName: Map<string, { engine: { core: { entries(): AsyncIterable<[string]> } } }> })
      .byName.get('win')!.engine.core
    const keys = (await collect(core.entries())).map(([k]) => k)
    expect(keys.filter((k) => k.startsWith('W')).length).toBe(2)
    expect(keys.some((k) => k.includes('old'))).toBe(false)
  })

  it('fetchAll and all iterate windows by start time with window ends', async () => {
    store.put('b', 1, 20)
    store.put('a', 2, 10)
    await commit(task)
    store.put('c', 3, 10)
    store.put('a', 4, 30)
    const all = await collect(store.fetchAll(10, 20))
    expect(all).toEqual([
      { key: { key: 'a', window: { start: 10, end: 20 } }, value: 2 },
      { key: { key: 'c', window: { start: 10, end: 20 } }, value: 3 },
      { key: { key: 'b', window: { start: 20, end: 30 } }, value: 1 },
    ])
    expect((await collect(store.all())).length).toBe(4)
  })

  it('keeps windows, index and stream time across a reopen', async () => {
    store.put('a', 1, 10)
    store.put('a', 2, 60)
    await commit(task)
    await task.close()
    task = await open()
    store = task.getWindowStore<string, number>('win')
    if (!persistent) {
      expect(store.fetch('a', 10)).toBeUndefined()
      return
    }
    expect(store.observedStreamTime).toBe(60)
    expect(store.fetch('a', 0, 100)).toEqual([
      { windowStart: 10, value: 1 },
      { windowStart: 60, value: 2 },
    ])
  })
})
