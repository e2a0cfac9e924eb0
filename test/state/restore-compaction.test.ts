import { createHash } from 'node:crypto'
import { ClassicLevel } from 'classic-level'
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
    const logged = logger.lines.filter((l) => l.msg === 'restored store compacted')
    expect(logged).toHaveLength(1)
    expect(logged[0]!.obj).toMatchObject({ store: 'counts', pieces: 1 }) // ~400 KiB: one piece
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

/**
 * Watches LevelDB's own compactRange, which TaskDb calls once per piece: records each piece's
 * bounds and calls `onPiece` right after the piece has started (LevelDB then runs it to its end).
 */
function watchPieces(onPiece: (piece: number) => void = () => undefined): { readonly bounds: [string, string][]; restore(): void } {
  const original = ClassicLevel.prototype.compactRange
  const bounds: [string, string][] = []
  const spy = jest.spyOn(ClassicLevel.prototype, 'compactRange').mockImplementation(function (this: ClassicLevel, start: unknown, end: unknown) {
    bounds.push([(start as Buffer).toString('latin1'), (end as Buffer).toString('latin1')])
    const running = (original as (start: unknown, end: unknown) => Promise<void>).call(this, start, end)
    onPiece(bounds.length)
    return running
  })
  return { bounds, restore: () => spy.mockRestore() }
}

const keyAt = (i: number) => `!s!${String(i).padStart(6, '0')}`
/** Distinct values, which LevelDB's compression cannot shrink: the sizes on disk are the data's. */
const valueAt = (i: number) => createHash('sha512').update(String(i)).digest()
const KEYS = 40_000

/** ~3 MB of keys and values written in a shuffled order in 20 batches: level-0 files, overlapping levels. */
async function writeShuffled(db: TaskDb): Promise<void> {
  for (let batch = 0; batch < 20; batch++) {
    const keys = Array.from({ length: KEYS / 20 }, (_, i) => ((batch * (KEYS / 20) + i) * 7919) % KEYS)
    await db.write(keys.map((i) => ({ type: 'put' as const, key: keyAt(i), value: valueAt(i) })))
  }
}

async function expectAllKeys(db: TaskDb): Promise<void> {
  let count = 0
  for await (const rows of db.iterate('!s!', '!s"')) {
    for (const [key, value] of rows) {
      if (key !== keyAt(count) || !value.equals(valueAt(count))) throw new Error(`key ${count}: found ${key}`)
      count++
    }
  }
  expect(count).toBe(KEYS)
}

describe('TaskDb.compactRange', () => {
  const dir = useTempDir()
  const where = (taskId = '0_0') => ({ stateDir: dir(), applicationId: APP, taskId })
  /** A small write buffer, so that the shuffled writes leave level-0 files and several levels. */
  const tuning = { writeBufferSize: 64 * 1024 }

  it('skips a compaction whose database closed before its turn came; close waits for a running one', async () => {
    const a = await TaskDb.open(where('0_0'))
    const b = await TaskDb.open(where('0_1'))
    for (const db of [a, b]) await writeShuffled(db)
    const closed: Promise<void>[] = []
    const pieces = watchPieces(() => {
      closed.push(b.close()) // while the compaction of `a` runs: that of `b` never starts
      closed.push(a.close()) // waits for the running compaction, which completes
    })
    try {
      const first = a.compactRange('!s!', '!s"')
      const second = b.compactRange('!s!', '!s"')
      expect(await first).toEqual({ pieces: 1, complete: true })
      expect(await second).toEqual({ pieces: 0, complete: false })
      await Promise.all(closed)
      expect(pieces.bounds).toHaveLength(1)
    } finally {
      pieces.restore()
    }
  })

  it('compacts a large range in pieces that cover it without gaps: level 0 ends empty, the range in one level, every key intact', async () => {
    const db = await TaskDb.open(where(), tuning)
    await writeShuffled(db)
    expect(db.filesPerLevel()[0]).toBeGreaterThan(0)
    const pieces = watchPieces()
    try {
      const result = await db.compactRange('!s!', '!s"', 256 * 1024)
      expect(result.complete).toBe(true)
      expect(result.pieces).toBeGreaterThanOrEqual(8)
      expect(pieces.bounds).toHaveLength(result.pieces)
    } finally {
      pieces.restore()
    }
    // Each piece starts where the previous one ended; the first and last are the range's ends.
    expect(pieces.bounds[0]![0]).toBe('!s!')
    expect(pieces.bounds.at(-1)![1]).toBe('!s"')
    for (let i = 1; i < pieces.bounds.length; i++) expect(pieces.bounds[i]![0]).toBe(pieces.bounds[i - 1]![1])
    for (const [start, end] of pieces.bounds) expect(start < end).toBe(true)
    const files = db.filesPerLevel()
    expect(files[0]).toBe(0)
    expect(files.filter((n) => n > 0)).toHaveLength(1)
    await expectAllKeys(db)
    await db.close()
  })

  it('a close during a piece waits for that piece only; the database closes cleanly and reopens intact', async () => {
    const db = await TaskDb.open(where(), tuning)
    await writeShuffled(db)
    let closing: Promise<void> | undefined
    const pieces = watchPieces((piece) => {
      if (piece === 2) closing = db.close() // while the second piece runs
    })
    try {
      const result = await db.compactRange('!s!', '!s"', 256 * 1024)
      expect(result).toEqual({ pieces: 2, complete: false })
      expect(pieces.bounds).toHaveLength(2)
      await closing
    } finally {
      pieces.restore()
    }
    const reopened = await TaskDb.open(where(), tuning)
    await expectAllKeys(reopened)
    await reopened.close()
  })

  // close() waits for the running piece; a second close() (wipe() after a close that is still
  // waiting) must wait for it too, or the directory is deleted or reopened under an open database.
  it('a second close waits for the database to be closed: reopening right after it works', async () => {
    const db = await TaskDb.open(where())
    await writeShuffled(db)
    let first: Promise<void> | undefined
    const pieces = watchPieces(() => {
      first = db.close() // while the (only) piece runs
    })
    try {
      const compaction = db.compactRange('!s!', '!s"')
      await new Promise((resolve) => setImmediate(resolve))
      while (first === undefined) await new Promise((resolve) => setImmediate(resolve))
      await db.close()
      const reopened = await TaskDb.open(where())
      await reopened.close()
      await first
      expect(await compaction).toEqual({ pieces: 1, complete: true })
    } finally {
      pieces.restore()
    }
  })
})
