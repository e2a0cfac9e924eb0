import * as fs from 'node:fs'
import { TaskStores, type TaskStoresOptions } from '../../src/state/task-stores'
import { keyValueStoreSpec, sessionStoreSpec, windowStoreSpec } from '../../src/state/store-spec'
import { TaskDb } from '../../src/state/task-db'
import type { TopicPartitionOffset } from '../../src/runtime/broker/broker'
import { captureLogger } from './support/capture-logger'
import { FakeChangelog } from './support/fake-changelog'
import { stringSerde, uint32Serde } from './support/serdes'
import { useTempDir } from './support/temp-dir'
import { collect } from './support/collect'

const SOURCE = 'events'
const specs = (persistent: boolean) => [
  keyValueStoreSpec({ name: 'counts', keySerde: stringSerde, valueSerde: uint32Serde, persistent }),
  windowStoreSpec({ name: 'win', keySerde: stringSerde, valueSerde: uint32Serde, windowSizeMs: 10, retentionMs: 1000, persistent }),
  sessionStoreSpec({ name: 'sess', keySerde: stringSerde, valueSerde: uint32Serde, retentionMs: 1000, persistent }),
]

const batch1 = ['a@1', 'b@2', 'a@3', 'c@15', 'a@12']
const batch2 = ['a@20', 'b@21', 'd@22', 'a@9']
const batch3 = ['a@40', 'c@41']

/**
 * A miniature task: counts per key, per 10 ms window and per session (gap 5) for records
 * `key@time`, with the commit protocol of DESIGN.md §5 around a fake changelog topic.
 */
class Harness {
  readonly changelog = new FakeChangelog()
  /** The group's committed offset of the source partition. */
  committed = 0
  position = 0

  constructor(private readonly options: () => Partial<TaskStoresOptions> & { stateDir: string | undefined }) {}

  open(persistent = true): Promise<TaskStores> {
    return TaskStores.open({ applicationId: 'app', taskId: '0_0', changelogPartition: 0, stores: specs(persistent), ...this.options() })
  }

  process(task: TaskStores, records: readonly string[]): void {
    const counts = task.getKeyValueStore<string, number>('counts')
    const win = task.getWindowStore<string, number>('win')
    const sess = task.getSessionStore<string, number>('sess')
    for (const record of records) {
      const [key, at] = record.split('@') as [string, string]
      const t = Number(at)
      counts.put(key, (counts.get(key) ?? 0) + 1)
      const start = t - (t % 10)
      win.put(key, (win.fetch(key, start) ?? 0) + 1, start)
      let [s, e, n] = [t, t, 1]
      for (const found of sess.findSessions(key, t - 5, t + 5)) {
        s = Math.min(s, found.key.window.start)
        e = Math.max(e, found.key.window.end)
        n += found.value
        sess.remove(found.key)
      }
      sess.put({ key, window: { start: s, end: e } }, n)
      this.position++
    }
  }

  /** Step 1 + 2: changelog records produced (flushed); returns what step 3 needs. */
  flush(task: TaskStores): { src: TopicPartitionOffset[]; ends: TopicPartitionOffset[] } {
    const src = [{ topic: SOURCE, partition: 0, offset: this.position }]
    const ends = this.changelog.append(task.prepareCommit(src).changelogRecords)
    return { src, ends }
  }

  /** A whole commit: changelog, offset commit, LevelDB batch. */
  async commit(task: TaskStores): Promise<void> {
    const { src, ends } = this.flush(task)
    this.committed = src[0]!.offset
    await task.commit({ changelogEndOffsets: ends })
  }

  /** Batch 1 committed, batch 2 processed but not committed yet. */
  async midway(): Promise<TaskStores> {
    const task = await this.open()
    this.process(task, batch1)
    await this.commit(task)
    this.process(task, batch2)
    return task
  }

  restore(task: TaskStores, maxBatchRecords?: number) {
    return task.restore({
      reader: this.changelog,
      committedOffsets: [{ topic: SOURCE, partition: 0, offset: this.committed }],
      maxBatchRecords,
    })
  }
}

async function snapshot(task: TaskStores): Promise<unknown> {
  const win = task.getWindowStore<string, number>('win')
  const sess = task.getSessionStore<string, number>('sess')
  return {
    counts: await collect(task.getKeyValueStore<string, number>('counts').all()),
    win: await collect(win.all()),
    sess: await collect(sess.all()),
    aRange: win.fetch('a', 0, 1000),
    sessA: sess.fetch('a'),
  }
}

describe('restore from changelogs', () => {
  const dir = useTempDir()
  let logger = captureLogger()
  let h: Harness
  beforeEach(() => {
    logger = captureLogger()
    h = new Harness(() => ({ stateDir: dir(), logger }))
  })

  it('(a) rebuilds KV, window and session stores from a full changelog into an empty directory', async () => {
    const task = await h.midway()
    await h.commit(task)
    const before = await snapshot(task)
    await task.close()

    const fresh = new Harness(() => ({ stateDir: `${dir()}/other`, logger }))
    Object.assign(fresh, { changelog: h.changelog, committed: h.committed })
    const rebuilt = await fresh.open()
    const results = await fresh.restore(rebuilt)
    expect(results.map((r) => [r.storeName, r.startOffset, r.skipped])).toEqual([
      ['counts', 0, 0],
      ['win', 0, 0],
      ['sess', 0, 0],
    ])
    expect(await snapshot(rebuilt)).toEqual(before)
    await rebuilt.close()
  })

  it('(b) skips a trailing batch that was flushed but never committed', async () => {
    const task = await h.open()
    h.process(task, batch1)
    await h.commit(task)
    const committedState = await snapshot(task)
    h.process(task, batch2)
    h.flush(task) // changelog written, then the process dies: no offset commit, no LevelDB batch
    await task.close()

    // With the local state: restore reads from the stored position and skips the half batch.
    const reopened = await h.open()
    const [counts] = await h.restore(reopened)
    expect(counts).toMatchObject({ applied: 0, skipped: 3 })
    expect(await snapshot(reopened)).toEqual(committedState)
    await reopened.wipe()

    // From nothing: the committed batch comes back, the half batch does not.
    const rebuilt = await h.open()
    await h.restore(rebuilt)
    expect(await snapshot(rebuilt)).toEqual(committedState)
    // Processing resumes from the committed offset and reaches the same state as a clean run.
    h.position = h.committed
    h.process(rebuilt, batch2)
    await h.commit(rebuilt)
    const afterRetry = await snapshot(rebuilt)
    await rebuilt.close()

    const clean = new Harness(() => ({ stateDir: undefined }))
    const reference = await clean.open()
    clean.process(reference, [...batch1, ...batch2])
    expect(afterRetry).toEqual(await snapshot(reference))
    await reference.close()
  })

  it('(c) a wiped task directory is rebuilt from offset 0 with a warning', async () => {
    const task = await h.midway()
    await h.commit(task)
    const before = await snapshot(task)
    const location = task.location!
    await task.close()
    fs.rmSync(location, { recursive: true })

    const rebuilt = await h.open()
    await h.restore(rebuilt)
    expect(await snapshot(rebuilt)).toEqual(before)
    expect(logger.lines.filter((l) => l.level === 'warn' && /rebuilt from its changelog/.test(l.msg ?? '')).length).toBe(3)
    await rebuilt.close()
  })

  it('a crash between the transaction commit and the LevelDB batch heals on restart', async () => {
    const task = await h.midway()
    const { src } = h.flush(task)
    h.committed = src[0]!.offset // the transaction committed (offsets included) ...
    const expected = await snapshot(task)
    await task.close() // ... and the process died before step 3
    const reopened = await h.open()
    expect(reopened.getKeyValueStore<string, number>('counts').get('d')).toBeUndefined()
    await h.restore(reopened)
    expect(await snapshot(reopened)).toEqual(expected)
    await reopened.close()
  })

  it('at_least_once: state written locally but offsets not committed is kept, and redeliveries are skipped', async () => {
    const task = await h.midway()
    const { src } = h.flush(task)
    await task.commit() // LevelDB written WITHOUT the changelog end offsets: a stale stored position
    const expected = await snapshot(task)
    await task.close() // died before committing offsets: the group is still at batch 1
    const reopened = await h.open()
    await h.restore(reopened) // re-reads batch 2: its effects are local, so it is applied, not skipped
    expect(await snapshot(reopened)).toEqual(expected)
    expect(reopened.dedup.isApplied(SOURCE, 0, h.committed)).toBe(true)
    expect(reopened.dedup.isApplied(SOURCE, 0, src[0]!.offset)).toBe(false)
    await reopened.close()
  })

  it('restores in-memory stores from offset 0 on every start', async () => {
    const task = await h.open(false)
    h.process(task, batch1)
    await h.commit(task)
    h.process(task, batch3)
    await h.commit(task)
    const before = await snapshot(task)
    await task.close()
    const reopened = await h.open(false)
    const results = await h.restore(reopened)
    expect(results.every((r) => r.startOffset === 0)).toBe(true)
    expect(await snapshot(reopened)).toEqual(before)
    await reopened.close()
  })

  it('restores in bounded chunks, each one atomic write with its changelog position', async () => {
    const task = await h.open()
    const many = Array.from({ length: 600 }, (_, i) => `k${i}@${i}`)
    h.process(task, many)
    await h.commit(task)
    await task.wipe()

    const write = jest.spyOn(TaskDb.prototype, 'write')
    // Key-value chunks go to LevelDB as bytes (writePrefixed: entries, then ops), the others as ops.
    const writePrefixed = jest.spyOn(TaskDb.prototype, 'writePrefixed')
    const rebuilt = await h.open()
    try {
      await h.restore(rebuilt, 50)
      expect(h.changelog.largestBatch).toBeLessThanOrEqual(50)
      const writes = [
        ...write.mock.calls.map(([ops]) => ({ ops, size: ops.length })),
        ...writePrefixed.mock.calls.map(([, entries, ops]) => ({ ops, size: entries.length + ops.length })),
      ]
      const restoreWrites = writes.filter(({ ops }) => ops.some((op) => op.key.startsWith('!__meta!cl!')))
      const counts = restoreWrites.filter(({ ops }) => ops.some((op) => op.key === '!__meta!cl!counts'))
      expect(counts.length).toBe(12)
      for (const { size } of counts) expect(size).toBeLessThanOrEqual(51)
    } finally {
      write.mockRestore()
      writePrefixed.mockRestore()
    }
    expect(rebuilt.getKeyValueStore<string, number>('counts').get('k599')).toBe(1)
    await rebuilt.close()
  })

  it('reports progress through the onRestore listener', async () => {
    const task = await h.open()
    h.process(task, batch1)
    await h.commit(task)
    await task.wipe()
    const rebuilt = await h.open()
    const events: string[] = []
    await rebuilt.restore({
      reader: h.changelog,
      committedOffsets: [{ topic: SOURCE, partition: 0, offset: h.committed }],
      listener: {
        onRestoreStart: (e) => events.push(`start ${e.storeName}`),
        onBatchRestored: (e) => events.push(`batch ${e.storeName} ${e.applied}`),
        onRestoreEnd: (e) => events.push(`end ${e.storeName} ${e.applied}`),
      },
    })
    // sess: 4 live sessions plus the tombstone of a@[1,1], merged into a@[1,3] in the same batch.
    expect(events).toEqual(['start counts', 'batch counts 3', 'end counts 3', 'start win', 'batch win 4', 'end win 4', 'start sess', 'batch sess 5', 'end sess 5'])
    await rebuilt.close()
  })
})
