import { ChangelogRecordEncoder } from '../../src/changelog/changelog-record'
import { changelogTopicName } from '../../src/changelog/changelog-topic'
import { StateMemory } from '../../src/state/memory-budget'
import { keyValueStoreSpec } from '../../src/state/store-spec'
import { TaskDb } from '../../src/state/task-db'
import { TaskStores } from '../../src/state/task-stores'
import { captureLogger } from './support/capture-logger'
import { FakeChangelog } from './support/fake-changelog'
import { stringSerde, uint32Serde } from './support/serdes'
import { useTempDir } from './support/temp-dir'

const APP = 'app'
const SOURCE = 'events'
const CHANGELOG = changelogTopicName(APP, 'counts')
/** A small write buffer, so that a restore of a few hundred KiB counts as large. */
const WRITE_BUFFER = 64 * 1024
const memory = new StateMemory({ taskDbWriteBufferBytes: WRITE_BUFFER })
const spec = keyValueStoreSpec({ name: 'counts', keySerde: stringSerde, valueSerde: uint32Serde })

/** Appends `n` changelog records for keys `key-<i>` (i from `from`), in a shuffled order, as a changelog is. */
function appendRecords(changelog: FakeChangelog, from: number, n: number): void {
  const encoder = new ChangelogRecordEncoder([{ topic: SOURCE, partition: 0, offset: 1 }])
  const order = Array.from({ length: n }, (_, i) => from + ((i * 7919) % n))
  changelog.append(
    order.map((i) =>
      encoder.record(CHANGELOG, 0, { key: Buffer.from(`key-${String(i).padStart(6, '0')}`), value: uint32Serde.serialize(i, CHANGELOG), timestamp: i }),
    ),
  )
}

describe('compaction after a restore', () => {
  const dir = useTempDir()
  let compactRange: jest.SpyInstance
  beforeEach(() => {
    compactRange = jest.spyOn(TaskDb.prototype, 'compactRange')
  })
  afterEach(() => compactRange.mockRestore())

  const open = (logger = captureLogger()) =>
    TaskStores.open({ applicationId: APP, taskId: '0_0', stateDir: dir(), changelogPartition: 0, stores: [spec], memory, logger })
  const restore = (task: TaskStores, changelog: FakeChangelog) =>
    task.restore({ reader: changelog, committedOffsets: [{ topic: SOURCE, partition: 0, offset: 1 }] })

  it('compacts the range of a store rebuilt by a large restore, in the background, leaving its data intact', async () => {
    const changelog = new FakeChangelog()
    appendRecords(changelog, 0, 20_000) // ~400 KiB of keys and values: 6 write buffers
    const logger = captureLogger()
    const task = await open(logger)
    await restore(task, changelog)

    expect(compactRange.mock.calls).toEqual([['!counts!', '!counts"']])
    const db = compactRange.mock.contexts[0] as TaskDb
    await db.compacted()
    // The memtable is flushed and the range merged into one level: a read looks at one table file.
    const files = db.filesPerLevel()
    expect(files[0]).toBe(0)
    expect(files.filter((n) => n > 0)).toHaveLength(1)
    expect(logger.lines.filter((l) => l.msg === 'restored store compacted')).toHaveLength(1)
    const counts = task.getKeyValueStore<string, number>('counts')
    for (let i = 0; i < 20_000; i++) expect(counts.get(`key-${String(i).padStart(6, '0')}`)).toBe(i)
    await task.close()
  })

  it('does not compact after a restore smaller than one write buffer', async () => {
    const changelog = new FakeChangelog()
    appendRecords(changelog, 0, 1000) // ~20 KiB
    const task = await open()
    await restore(task, changelog)
    expect(compactRange).not.toHaveBeenCalled()
    expect(task.getKeyValueStore<string, number>('counts').get('key-000999')).toBe(999)
    await task.close()
  })

  it('does not compact after a catch-up smaller than what the store held before', async () => {
    const changelog = new FakeChangelog()
    appendRecords(changelog, 0, 20_000)
    const first = await open()
    await restore(first, changelog)
    await first.close() // waits for the compaction
    expect(compactRange).toHaveBeenCalledTimes(1)

    appendRecords(changelog, 20_000, 5000) // ~100 KiB: above one write buffer, below the store's size
    const second = await open()
    const [result] = await restore(second, changelog)
    expect(result!.startOffset).toBe(20_000)
    expect(compactRange).toHaveBeenCalledTimes(1)
    expect(second.getKeyValueStore<string, number>('counts').get('key-024999')).toBe(24_999)
    await second.close()
  })
})

describe('TaskDb.compactRange', () => {
  const dir = useTempDir()

  it('skips a compaction whose database closed before its turn came; close waits for a running one', async () => {
    const a = await TaskDb.open({ stateDir: dir(), applicationId: APP, taskId: '0_0' })
    const b = await TaskDb.open({ stateDir: dir(), applicationId: APP, taskId: '0_1' })
    const value = Buffer.alloc(100, 1)
    for (const db of [a, b]) await db.write(Array.from({ length: 2000 }, (_, i) => ({ type: 'put' as const, key: `!s!${i}`, value })))
    const first = a.compactRange('!s!', '!s"')
    const second = b.compactRange('!s!', '!s"')
    await b.close() // while the compaction of `a` runs: that of `b` never starts
    await a.close() // waits for the running compaction, which completes
    expect(await first).toBe(true)
    expect(await second).toBe(false)
  })
})

describe('TaskDb.close during a compaction', () => {
  const dir = useTempDir()

  // close() waits for a running compaction; a second close() (wipe() after a close that is still
  // waiting) must wait for it too, or the directory is deleted or reopened under an open database.
  it('a second close waits for the database to be closed: reopening right after it works', async () => {
    const where = { stateDir: dir(), applicationId: APP, taskId: '0_0' }
    const db = await TaskDb.open(where)
    const value = Buffer.alloc(100, 1)
    for (let batch = 0; batch < 20; batch++) {
      await db.write(Array.from({ length: 2000 }, (_, i) => ({ type: 'put' as const, key: `!s!${(i * 7919 + batch) % 40_000}`, value })))
    }
    const compaction = db.compactRange('!s!', '!s"')
    await new Promise((resolve) => setImmediate(resolve)) // its turn has come: the compaction runs
    const first = db.close()
    await db.close()
    const reopened = await TaskDb.open(where)
    await reopened.close()
    await first
    expect(await compaction).toBe(true)
  })
})
