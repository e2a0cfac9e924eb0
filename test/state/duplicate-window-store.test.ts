import { windowStoreSpec } from '../../src/state/store-spec'
import { TaskStores } from '../../src/state/task-stores'
import { collect } from './support/collect'
import { FakeChangelog } from './support/fake-changelog'
import { stringSerde, uint32Serde } from './support/serdes'
import { useTempDir } from './support/temp-dir'

const spec = (persistent: boolean) =>
  windowStoreSpec({ name: 'dups', keySerde: stringSerde, valueSerde: uint32Serde, windowSizeMs: 10, retentionMs: 100, persistent, retainDuplicates: true })

describe.each([
  ['persistent', true],
  ['in-memory', false],
])('window store retaining duplicates (%s)', (_label, persistent) => {
  const dir = useTempDir()
  const open = (stateDir = dir()): Promise<TaskStores> =>
    TaskStores.open({ applicationId: 'app', taskId: '0_0', stateDir, changelogPartition: 0, stores: [spec(persistent)] })

  it('keeps every put, ignores null puts, and fetches all of them by time, then in put order', async () => {
    const task = await open()
    try {
      const store = task.getWindowStore<string, number>('dups')
      store.put('a', 1, 10)
      store.put('a', 2, 10)
      store.put('a', 3, 5)
      store.put('a', null, 10)
      store.put('a', 4, 10)
      store.put('b', 9, 10)
      expect(store.fetch('a', 10)).toBe(1)
      expect(store.fetch('a', 0, 100)).toEqual([
        { windowStart: 5, value: 3 },
        { windowStart: 10, value: 1 },
        { windowStart: 10, value: 2 },
        { windowStart: 10, value: 4 },
      ])
      expect(store.fetch('a', 6, 10).map((w) => w.value)).toEqual([1, 2, 4])
      // all(): by time (within one time, by put sequence, then key).
      expect((await collect(store.all())).map((e) => [e.key.key, e.key.window.start, e.value])).toEqual([
        ['a', 5, 3],
        ['a', 10, 1],
        ['b', 10, 9],
        ['a', 10, 2],
        ['a', 10, 4],
      ])
    } finally {
      await task.close()
    }
  })

  it('an out-of-order put at an earlier time with duplicates, behind later items, still adds', async () => {
    const task = await open()
    try {
      const store = task.getWindowStore<string, number>('dups')
      for (const [value, time] of [[1, 10], [2, 10], [3, 20], [4, 20], [5, 30]] as const) store.put('a', value, time)
      store.put('a', 6, 10) // the index ends with 20, 20, 30: the sequence at 10 is found behind them
      store.put('a', 7, 15) // a time with no item yet, between two others
      expect(store.fetch('a', 0, 100).map((w) => [w.windowStart, w.value])).toEqual([
        [10, 1],
        [10, 2],
        [10, 6],
        [15, 7],
        [20, 3],
        [20, 4],
        [30, 5],
      ])
    } finally {
      await task.close()
    }
  })

  it('restores every duplicate from its changelog, and later puts at the same time still add', async () => {
    const changelog = new FakeChangelog()
    const src = [{ topic: 'in', partition: 0, offset: 3 }]
    const first = await open()
    try {
      const store = first.getWindowStore<string, number>('dups')
      for (const v of [1, 2, 3]) store.put('a', v, 10)
      const ends = changelog.append(first.prepareCommit(src).changelogRecords)
      expect(changelog.records('app-dups-changelog')).toHaveLength(3)
      await first.commit({ changelogEndOffsets: ends })
    } finally {
      await first.close()
    }
    const restored = await open(dir()) // an empty directory: everything comes from the changelog
    try {
      await restored.restore({ reader: changelog, committedOffsets: [{ topic: 'in', partition: 0, offset: 3 }] })
      const store = restored.getWindowStore<string, number>('dups')
      expect(store.fetch('a', 0, 100).map((w) => w.value)).toEqual([1, 2, 3])
      store.put('a', 4, 10)
      expect(store.fetch('a', 0, 100).map((w) => w.value)).toEqual([1, 2, 3, 4])
      // Retention follows the timestamp: 100 ms of stream time later, all of them are gone.
      store.put('b', 0, 110)
      expect(store.fetch('a', 0, 100)).toEqual([])
    } finally {
      await restored.close()
    }
  })
})
