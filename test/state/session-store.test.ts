import { TaskStores } from '../../src/state/task-stores'
import { sessionStoreSpec } from '../../src/state/store-spec'
import type { SessionStore } from '../../src/state/session-store'
import type { Windowed } from '../../src/state/state-store'
import { stringSerde, uint32Serde } from './support/serdes'
import { useTempDir } from './support/temp-dir'
import { collect } from './support/collect'

const src = [{ topic: 'in', partition: 0, offset: 1 }]
const GAP = 5

/** Session merging as a session-windowed count does it, per record, synchronously. */
function countInSession(store: SessionStore<string, number>, key: string, t: number): Windowed<string> {
  let start = t
  let end = t
  let count = 1
  for (const session of store.findSessions(key, t - GAP, t + GAP)) {
    start = Math.min(start, session.key.window.start)
    end = Math.max(end, session.key.window.end)
    count += session.value
    store.remove(session.key)
  }
  const merged = { key, window: { start, end } }
  store.put(merged, count)
  return merged
}

describe.each([
  ['persistent', true],
  ['in-memory', false],
])('SessionStore (%s)', (_label, persistent) => {
  const dir = useTempDir()
  let task: TaskStores
  let store: SessionStore<string, number>
  beforeEach(async () => {
    task = await TaskStores.open({
      applicationId: 'app',
      taskId: '0_0',
      stateDir: dir(),
      changelogPartition: 0,
      stores: [sessionStoreSpec({ name: 'sessions', keySerde: stringSerde, valueSerde: uint32Serde, retentionMs: 100, persistent })],
    })
    store = task.getSessionStore<string, number>('sessions')
  })
  afterEach(async () => {
    await task.close()
  })
  async function commit(): Promise<void> {
    task.prepareCommit(src)
    await task.commit()
  }

  it('finds sessions by end >= earliest end and start <= latest start', async () => {
    store.put({ key: 'a', window: { start: 0, end: 10 } }, 1)
    store.put({ key: 'a', window: { start: 20, end: 30 } }, 2)
    store.put({ key: 'b', window: { start: 0, end: 30 } }, 3)
    await commit()
    store.put({ key: 'a', window: { start: 40, end: 40 } }, 4)
    const found = (earliestEnd: number, latestStart: number): number[] =>
      store.findSessions('a', earliestEnd, latestStart).map((s) => s.value)
    expect(found(10, 20)).toEqual([1, 2])
    expect(found(11, 19)).toEqual([])
    expect(found(30, 40)).toEqual([2, 4])
    expect(found(-Infinity, Infinity)).toEqual([1, 2, 4])
    expect(store.fetch('b')).toEqual([{ key: { key: 'b', window: { start: 0, end: 30 } }, value: 3 }])
    expect(store.fetchSession('a', 20, 30)).toBe(2)
    expect(store.fetchSession('a', 20, 31)).toBeUndefined()
  })

  it('supports session merging: a record bridging two sessions merges them', async () => {
    countInSession(store, 'k', 0)
    countInSession(store, 'k', 3)
    await commit()
    countInSession(store, 'k', 12)
    expect(store.fetch('k').map((s) => [s.key.window.start, s.key.window.end, s.value])).toEqual([
      [0, 3, 2],
      [12, 12, 1],
    ])
    const merged = countInSession(store, 'k', 8) // within GAP of both
    expect(merged.window).toEqual({ start: 0, end: 12 })
    expect(store.fetch('k').map((s) => s.value)).toEqual([4])
    await commit()
    expect(store.fetch('k').map((s) => [s.key.window.start, s.key.window.end, s.value])).toEqual([[0, 12, 4]])
  })

  it('expires sessions by their end, and iterates live ones with all()', async () => {
    store.put({ key: 'a', window: { start: 0, end: 10 } }, 1)
    store.put({ key: 'b', window: { start: 50, end: 60 } }, 2)
    await commit()
    store.put({ key: 'c', window: { start: 105, end: 110 } }, 3) // stream time 110: ends <= 10 expire
    expect(store.fetch('a')).toEqual([])
    expect(store.fetchSession('a', 0, 10)).toBeUndefined()
    await commit()
    expect((await collect(store.all())).map((s) => [s.key.key, s.key.window.start, s.key.window.end])).toEqual([
      ['b', 50, 60],
      ['c', 105, 110],
    ])
  })
})
