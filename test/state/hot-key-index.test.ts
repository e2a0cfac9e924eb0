/**
 * A key with thousands of items in a window store: its index is held decoded between commits
 * and written at each commit's step 1 (key-indexes.ts). Checked against a model of what the
 * store must return, across commits, a failed commit, an aborted transaction, expiry, a restart
 * on the same directory and a restore from the changelog; and the index LevelDB ends up with.
 */
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { sessionStoreSpec, windowStoreSpec } from '../../src/state/store-spec'
import { TaskStores } from '../../src/state/task-stores'
import type { WindowStore } from '../../src/state/window-store'
import { collect } from './support/collect'
import { FakeChangelog } from './support/fake-changelog'
import { stringSerde, uint32Serde } from './support/serdes'
import { useTempDir } from './support/temp-dir'

const RETENTION = 1000
const dups = windowStoreSpec({ name: 'dups', keySerde: stringSerde, valueSerde: uint32Serde, windowSizeMs: 1, retentionMs: RETENTION, persistent: true, retainDuplicates: true })

/** What a window store retaining duplicates must hold: every live put, by time, then put order. */
class Model {
  private running: { time: number; value: number }[] = []
  private committed: { time: number; value: number }[] = []
  streamTime = -Infinity
  private committedStreamTime = -Infinity

  put(time: number, value: number): void {
    this.streamTime = Math.max(this.streamTime, time)
    if (time > this.streamTime - RETENTION) this.running.push({ time, value })
  }

  fetch(from: number, to: number): [number, number][] {
    return this.live()
      .filter((e) => e.time >= from && e.time <= to)
      .map((e) => [e.time, e.value])
  }

  live(): { time: number; value: number }[] {
    // A stable sort keeps put order within one time.
    return this.running.filter((e) => e.time > this.streamTime - RETENTION).sort((a, b) => a.time - b.time)
  }

  commit(): void {
    this.committed = [...this.running]
    this.committedStreamTime = this.streamTime
  }

  discard(): void {
    this.running = [...this.committed]
    this.streamTime = this.committedStreamTime
  }
}

/** A deterministic sequence of numbers in [0, 1). */
function random(seed: number): () => number {
  let s = seed
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648
    return s / 2147483648
  }
}

describe('a hot key in a window store retaining duplicates', () => {
  const dir = useTempDir()
  let changelog: FakeChangelog
  let offset: number
  beforeEach(() => {
    changelog = new FakeChangelog()
    offset = 0
  })
  const open = async (stateDir: string): Promise<TaskStores> => {
    const task = await TaskStores.open({ applicationId: 'app', taskId: '0_0', stateDir, changelogPartition: 0, stores: [dups] })
    await task.restore({ reader: changelog, committedOffsets: [{ topic: 'in', partition: 0, offset: Number.MAX_SAFE_INTEGER }] })
    return task
  }
  async function commit(task: TaskStores): Promise<void> {
    const src = [{ topic: 'in', partition: 0, offset: ++offset }]
    await task.commit({ changelogEndOffsets: changelog.append(task.prepareCommit(src).changelogRecords) })
  }

  function expectSame(store: WindowStore<string, number>, model: Model): void {
    const st = model.streamTime
    const ranges: [number, number][] = [
      [-Infinity, Infinity],
      [st - RETENTION + 1, st],
      [st - 600, st - 300],
      [st - 250.5, st - 249.5],
      [st, st],
      [st + 1, Infinity],
    ]
    for (const [from, to] of ranges) {
      expect(store.fetch('hot', from, to).map((w) => [w.windowStart, w.value])).toEqual(model.fetch(from, to))
    }
    for (const t of [st, st - 100, st - 999, st - 1000]) expect(store.fetch('hot', t)).toBe(model.fetch(t, t)[0]?.[1])
  }

  /** The `X` index of 'hot' as LevelDB holds it: each item's time. */
  async function storedIndex(stateDir: string): Promise<number[] | undefined> {
    const db = new ClassicLevel<Buffer, Buffer>(join(stateDir, 'app', '0_0'), { keyEncoding: 'buffer', valueEncoding: 'buffer' })
    try {
      const bytes = await db.get(Buffer.from('!dups!Xhot', 'latin1'))
      if (bytes === undefined) return undefined
      const times: number[] = []
      for (let i = 0; i < bytes.length; i += 16) times.push(Number(bytes.readBigUInt64BE(i) - 0x8000000000000000n))
      return times
    } finally {
      await db.close()
    }
  }

  it('returns what the model holds across commits, a failed commit, an abort, expiry, a restart and a restore', async () => {
    const stateDir = dir()
    const model = new Model()
    const next = random(7)
    let task = await open(stateDir)
    let store = task.getWindowStore<string, number>('dups')
    let value = 0
    let time = 0
    const putRound = (records: number): void => {
      for (let i = 0; i < records; i++) {
        const r = next()
        // Mostly in time order, two records per ms; some late (behind items already held), some
        // at a time the key already has, a few already expired.
        if (r < 0.5) time += 1
        const t = r < 0.1 ? time - Math.floor(next() * 1200) : time
        store.put('hot', ++value, t)
        model.put(t, value)
        if (r > 0.97) store.put(`other-${value % 5}`, value, t)
      }
    }
    try {
      for (let round = 0; round < 10; round++) {
        putRound(900)
        expectSame(store, model) // from the decoded index
        if (round === 3) {
          // A failed commit: prepared, then rolled back with everything processed since.
          task.prepareCommit([{ topic: 'in', partition: 0, offset: offset + 1 }])
          putRound(50)
          task.discard()
          model.discard()
        } else if (round === 5) {
          task.discard() // an aborted transaction, nothing prepared
          model.discard()
        } else {
          await commit(task)
          model.commit()
        }
        expectSame(store, model) // from the stored index, or the rolled-back one
        if (round === 6 || round === 8) {
          await task.close()
          const stored = await storedIndex(stateDir)
          // Written at the commit's step 1, sorted, without what had expired by then.
          expect(stored).toEqual(model.live().map((e) => e.time))
          task = await open(stateDir)
          store = task.getWindowStore<string, number>('dups')
          expect(store.observedStreamTime).toBe(model.streamTime)
          expectSame(store, model)
        }
      }
      expect(model.live().length).toBeGreaterThan(1000)
      expect(model.live()[0]!.time).toBeGreaterThan(1000) // the first rounds' items expired
      const all = (await collect(store.all())).filter((e) => e.key.key === 'hot')
      expect(all.map((e) => [e.key.window.start, e.value])).toEqual(model.fetch(-Infinity, Infinity))
    } finally {
      await task.close()
    }

    // A restore from the changelog alone rebuilds the same index.
    const restored = await open(join(stateDir, 'wiped'))
    try {
      expectSame(restored.getWindowStore<string, number>('dups'), model)
    } finally {
      await restored.close()
    }
  })

  it('a commit holds the index of its own writes, not of those made while it finishes', async () => {
    const stateDir = dir()
    let task = await open(stateDir)
    try {
      let store = task.getWindowStore<string, number>('dups')
      for (let v = 1; v <= 3000; v++) store.put('hot', v, 10 + Math.floor(v / 30))
      task.prepareCommit([{ topic: 'in', partition: 0, offset: 1 }]) // step 1
      store.put('hot', 9001, 10) // processed while the commit finishes (at_least_once)
      await task.commit()
      await task.close() // the write after step 1 was never committed
      // Written at step 1: the index lists exactly the committed items.
      expect(await storedIndex(stateDir)).toEqual(Array.from({ length: 3000 }, (_, i) => 10 + Math.floor((i + 1) / 30)))

      task = await open(stateDir)
      store = task.getWindowStore<string, number>('dups')
      const atTen = Array.from({ length: 29 }, (_, i) => i + 1)
      expect(store.fetch('hot', 10, 10).map((w) => w.value)).toEqual(atTen)
      // The next put at 10 takes the sequence after the 29 committed ones (0-28), not after 9001's.
      store.put('hot', 9002, 10)
      const { changelogRecords } = task.prepareCommit([{ topic: 'in', partition: 0, offset: 2 }])
      expect(changelogRecords.map((r) => r.key!.readBigInt64BE(r.key!.length - 8))).toEqual([29n])
      await task.commit()
      expect(store.fetch('hot', 10, 10).map((w) => w.value)).toEqual([...atTen, 9002])
    } finally {
      await task.close()
    }
  })

  it('counts the decoded index in the uncommitted bytes, and drops it at step 1 and on discard', async () => {
    const task = await open(dir())
    try {
      const store = task.getWindowStore<string, number>('dups')
      for (let v = 0; v < 2000; v++) store.put('hot', v, v)
      await commit(task)
      expect(task.uncommittedBytes).toBe(0)
      store.put('hot', 1, 2000)
      // The key's first write after the commit decodes its 2000 items: at least 16 bytes each.
      expect(task.uncommittedBytes).toBeGreaterThan(2001 * 16)
      task.discard()
      expect(task.uncommittedBytes).toBe(0)
      expect(store.fetch('hot', 1999, 2000).map((w) => w.value)).toEqual([1999])
      store.put('hot', 2, 2000)
      task.prepareCommit([{ topic: 'in', partition: 0, offset: offset + 1 }])
      expect(task.uncommittedBytes).toBe(0)
      await task.commit()
      expect(store.fetch('hot', 1999, 2000).map((w) => w.value)).toEqual([1999, 2])
    } finally {
      await task.close()
    }
  })
})

describe('a hot key in window and session stores', () => {
  const dir = useTempDir()
  const win = windowStoreSpec({ name: 'win', keySerde: stringSerde, valueSerde: uint32Serde, windowSizeMs: 10, retentionMs: 5000, persistent: true })
  const sessions = sessionStoreSpec({ name: 'ses', keySerde: stringSerde, valueSerde: uint32Serde, retentionMs: 5000, persistent: true })
  const open = (stateDir: string): Promise<TaskStores> =>
    TaskStores.open({ applicationId: 'app', taskId: '0_0', stateDir, changelogPartition: 0, stores: [win, sessions] })
  const src = (offset: number) => [{ topic: 'in', partition: 0, offset }]

  it('overwrites, deletes and range fetches of thousands of windows agree across commits, a discard and a restart', async () => {
    const stateDir = dir()
    let task = await open(stateDir)
    const model = new Map<number, number>()
    let committed = new Map<number, number>()
    const expectSame = (store: WindowStore<string, number>, from: number, to: number): void => {
      const cutoff = Math.max(...model.keys(), -Infinity) - 5000
      const expected = [...model].filter(([s]) => s > cutoff && s >= from && s <= to).sort((a, b) => a[0] - b[0])
      expect(store.fetch('hot', from, to).map((w) => [w.windowStart, w.value])).toEqual(expected)
    }
    try {
      let store = task.getWindowStore<string, number>('win')
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 1500; i++) {
          const start = (round * 1500 + i) * 2
          store.put('hot', i, start)
          model.set(start, i)
          if (i % 7 === 0) {
            store.put('hot', i + 1, start - 500) // an older window, mostly an overwrite
            model.set(start - 500, i + 1)
          }
          if (i % 11 === 0 && start >= 300) {
            store.put('hot', null, start - 300)
            model.delete(start - 300)
          }
        }
        expectSame(store, -Infinity, Infinity)
        expectSame(store, round * 3000 - 700.5, round * 3000 + 20)
        if (round === 2) {
          task.discard()
          for (const k of [...model.keys()]) if (!committed.has(k)) model.delete(k)
          for (const [k, v] of committed) model.set(k, v)
        } else {
          task.prepareCommit(src(round + 1))
          await task.commit()
          committed = new Map(model)
        }
        expectSame(store, -Infinity, Infinity)
      }
      await task.close()
      task = await open(stateDir)
      store = task.getWindowStore<string, number>('win')
      expectSame(store, -Infinity, Infinity)
      expectSame(store, 8000, 8100)
    } finally {
      await task.close()
    }
  })

  it('findSessions over thousands of sessions of a key skips the ones ending too early, before and after a restart', async () => {
    const stateDir = dir()
    let task = await open(stateDir)
    const all: [number, number, number][] = [] // start, end, value
    try {
      let store = task.getSessionStore<string, number>('ses')
      for (let i = 0; i < 3000; i++) {
        // Sessions of varied length: ends are ordered, starts are not.
        const end = i * 3
        const start = end - (i % 5) * 4
        store.put({ key: 'hot', window: { start, end } }, i)
        all.push([start, end, i])
      }
      const expected = (earliestEnd: number, latestStart: number) =>
        all
          .filter(([s, e]) => e > 8997 - 5000 && e >= earliestEnd && s <= latestStart)
          .sort((a, b) => a[1] - b[1] || a[0] - b[0])
          .map(([s, e, v]) => [s, e, v])
      const found = (earliestEnd: number, latestStart: number) =>
        store.findSessions('hot', earliestEnd, latestStart).map((kv) => [kv.key.window.start, kv.key.window.end, kv.value])
      for (const check of [() => undefined, async () => {
        task.prepareCommit(src(1))
        await task.commit()
        await task.close()
        task = await open(stateDir)
        store = task.getSessionStore<string, number>('ses')
      }]) {
        await check()
        expect(found(-Infinity, Infinity)).toEqual(expected(-Infinity, Infinity))
        expect(found(6000, 6010)).toEqual(expected(6000, 6010))
        expect(found(8990.5, 9000)).toEqual(expected(8990.5, 9000))
        expect(found(7000, 6990)).toEqual(expected(7000, 6990))
      }
    } finally {
      await task.close()
    }
  })
})
