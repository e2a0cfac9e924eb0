import { TaskStores, type TaskStoresOptions } from '../../src/state/task-stores'
import { keyValueStoreSpec, sessionStoreSpec, windowStoreSpec } from '../../src/state/store-spec'
import { TaskDb } from '../../src/state/task-db'
import { decodeSourceOffsets, SOURCE_OFFSETS_HEADER } from '../../src/changelog/changelog-record'
import { ADDITIONAL_RETENTION_MS } from '../../src/changelog/changelog-topic'
import { stringSerde, uint32Serde } from './support/serdes'
import { useTempDir } from './support/temp-dir'

const counts = keyValueStoreSpec({ name: 'counts', keySerde: stringSerde, valueSerde: uint32Serde })
const cached = keyValueStoreSpec({ name: 'hot', keySerde: stringSerde, valueSerde: uint32Serde, cacheMaxBytes: 2000 })
const memory = keyValueStoreSpec({ name: 'mem', keySerde: stringSerde, valueSerde: uint32Serde, persistent: false })
const unlogged = keyValueStoreSpec({ name: 'local', keySerde: stringSerde, valueSerde: uint32Serde, logging: false })
const sources = [
  { topic: 'clicks', partition: 2, offset: 41 },
  { topic: 'users', partition: 2, offset: 7 },
]

describe('TaskStores commit API', () => {
  const dir = useTempDir()
  const open = (extra: Partial<TaskStoresOptions> = {}): Promise<TaskStores> =>
    TaskStores.open({
      applicationId: 'app',
      taskId: '0_2',
      stateDir: dir(),
      changelogPartition: 2,
      stores: [counts, memory, unlogged, cached],
      ...extra,
    })

  it('prepareCommit makes one changelog record per changed key (last write wins) with the __src header', async () => {
    let now = 1000
    const task = await open({ recordTimestamp: () => now })
    const kv = task.getKeyValueStore<string, number>('counts')
    kv.put('a', 1)
    now = 2000
    kv.put('a', 2)
    kv.put('b', 3)
    kv.delete('b')
    task.getKeyValueStore<string, number>('mem').put('m', 4)
    task.getKeyValueStore<string, number>('local').put('l', 5)
    const { changelogRecords } = task.prepareCommit(sources)
    const byKey = new Map(changelogRecords.map((r) => [`${r.topic}/${r.key?.toString()}`, r]))
    expect(Array.from(byKey.keys()).sort()).toEqual(['app-counts-changelog/a', 'app-counts-changelog/b', 'app-mem-changelog/m'])
    const a = byKey.get('app-counts-changelog/a')!
    expect(a.partition).toBe(2)
    expect(a.value?.readUInt32BE(0)).toBe(2)
    expect(a.timestamp).toBe(2000)
    expect(byKey.get('app-counts-changelog/b')!.value).toBeNull()
    const header = a.headers.find(([k]) => k === SOURCE_OFFSETS_HEADER)![1]
    expect(decodeSourceOffsets(header)).toEqual(sources)
    await task.commit()
    await task.close()
  })

  it('one LevelDB batch holds the state, the changelog positions and the applied offsets', async () => {
    const task = await open()
    const write = jest.spyOn(TaskDb.prototype, 'write')
    try {
      task.getKeyValueStore<string, number>('counts').put('a', 1)
      task.prepareCommit(sources)
      await task.commit({ changelogEndOffsets: [{ topic: 'app-counts-changelog', partition: 2, offset: 17 }] })
      expect(write).toHaveBeenCalledTimes(1)
      const keys = write.mock.calls[0]![0].map((op) => op.key)
      expect(keys).toEqual(expect.arrayContaining(['!counts!a', '!__meta!cl!counts', '!__dedup!o!clicks\u00002', '!__dedup!o!users\u00002']))
    } finally {
      write.mockRestore()
    }
    await task.close()

    const reopened = await open()
    expect(reopened.getKeyValueStore<string, number>('counts').get('a')).toBe(1)
    expect(reopened.dedup.appliedOffset('clicks', 2)).toBe(41)
    expect(reopened.dedup.isApplied('users', 2, 6)).toBe(true)
    expect(reopened.dedup.isApplied('users', 2, 7)).toBe(false)
    // In-memory stores are gone after a restart (their changelog brings them back).
    expect(reopened.getKeyValueStore<string, number>('mem').get('m')).toBeUndefined()
    await reopened.close()
  })

  it('a crash before commit leaves neither the state nor the offsets', async () => {
    const task = await open()
    const kv = task.getKeyValueStore<string, number>('counts')
    kv.put('a', 1)
    task.prepareCommit([{ topic: 'clicks', partition: 2, offset: 10 }])
    await task.commit()
    kv.put('a', 2)
    kv.put('b', 2)
    task.prepareCommit([{ topic: 'clicks', partition: 2, offset: 20 }])
    await task.close() // the process dies here: no commit
    const reopened = await open()
    const again = reopened.getKeyValueStore<string, number>('counts')
    expect(again.get('a')).toBe(1)
    expect(again.get('b')).toBeUndefined()
    expect(reopened.dedup.appliedOffset('clicks', 2)).toBe(10)
    await reopened.close()
  })

  it('a failed LevelDB write rolls back and reports TASK_CORRUPTED', async () => {
    const task = await open()
    const kv = task.getKeyValueStore<string, number>('counts')
    kv.put('a', 1)
    task.prepareCommit(sources)
    const write = jest.spyOn(TaskDb.prototype, 'write').mockRejectedValueOnce(new Error('disk full'))
    await expect(task.commit()).rejects.toMatchObject({ code: 'TASK_CORRUPTED' })
    write.mockRestore()
    expect(kv.get('a')).toBeUndefined()
    expect(task.dedup.appliedOffset('clicks', 2)).toBeUndefined()
    await task.close()
  })

  it('enforces the order prepareCommit -> commit', async () => {
    const task = await open()
    await expect(task.commit()).rejects.toMatchObject({ code: 'ILLEGAL_STATE' })
    task.prepareCommit(sources)
    expect(() => task.prepareCommit(sources)).toThrow(expect.objectContaining({ code: 'ILLEGAL_STATE' }))
    await task.commit()
    task.prepareCommit(sources)
    task.discard()
    task.prepareCommit(sources)
    await task.commit()
    await task.close()
  })

  it('the record cache stays within its bound and right after commit and discard', async () => {
    const task = await open()
    const hot = task.getKeyValueStore<string, number>('hot')
    for (let i = 0; i < 200; i++) hot.put(`key-${i}`, i)
    task.prepareCommit(sources)
    await task.commit()
    for (let i = 0; i < 200; i++) expect(hot.get(`key-${i}`)).toBe(i)
    hot.put('key-1', 1000)
    task.discard()
    expect(hot.get('key-1')).toBe(1)
    hot.put('key-2', 2000)
    task.prepareCommit(sources)
    await task.commit()
    expect(hot.get('key-2')).toBe(2000)
    const stats = (task as unknown as { byName: Map<string, { engine: { core: { cacheStats: { bytes: number; entries: number } } } }> })
      .byName.get('hot')!.engine.core.cacheStats
    expect(stats.bytes).toBeLessThanOrEqual(2000)
    expect(stats.entries).toBeGreaterThan(0)
    await task.close()
  })

  it('calls commit hooks; writes made in beforePrepare join the commit being prepared', async () => {
    const task = await open()
    const kv = task.getKeyValueStore<string, number>('counts')
    const calls: string[] = []
    const remove = task.onCommit({
      beforePrepare: () => {
        calls.push('before')
        kv.put('flushed', 1)
      },
      afterCommit: () => calls.push('after'),
      afterDiscard: () => calls.push('discard'),
    })
    const { changelogRecords } = task.prepareCommit(sources)
    expect(changelogRecords.map((r) => r.key?.toString())).toEqual(['flushed'])
    await task.commit()
    task.discard()
    remove()
    task.prepareCommit(sources)
    await task.commit()
    expect(calls).toEqual(['before', 'after', 'discard'])
    await task.close()
  })

  it('describes its changelog topics and partitions', async () => {
    const task = await open({
      stores: [
        counts,
        unlogged,
        windowStoreSpec({ name: 'win', keySerde: stringSerde, valueSerde: uint32Serde, windowSizeMs: 1000, retentionMs: 5000 }),
        sessionStoreSpec({
          name: 'sess',
          keySerde: stringSerde,
          valueSerde: uint32Serde,
          retentionMs: 9000,
          logging: { topicConfig: { 'min.insync.replicas': '2' } },
        }),
      ],
      dedupIdRetentionMs: 60_000,
    })
    expect(task.changelogTopics(4)).toEqual([
      { name: 'app-counts-changelog', partitions: 4, config: { 'cleanup.policy': 'compact' } },
      {
        name: 'app-win-changelog',
        partitions: 4,
        config: { 'cleanup.policy': 'compact,delete', 'retention.ms': String(5000 + ADDITIONAL_RETENTION_MS) },
      },
      {
        name: 'app-sess-changelog',
        partitions: 4,
        config: { 'cleanup.policy': 'compact,delete', 'retention.ms': String(9000 + ADDITIONAL_RETENTION_MS), 'min.insync.replicas': '2' },
      },
      {
        name: 'app-__dedup-changelog',
        partitions: 4,
        config: { 'cleanup.policy': 'compact,delete', 'retention.ms': String(60_000 + ADDITIONAL_RETENTION_MS) },
      },
    ])
    expect(task.changelogPartitions().map((p) => `${p.topic}/${p.partition}`)).toEqual([
      'app-counts-changelog/2',
      'app-win-changelog/2',
      'app-sess-changelog/2',
      'app-__dedup-changelog/2',
    ])
    expect(task.storeNames()).toEqual(['counts', 'local', 'win', 'sess'])
    await task.close()
  })

  it('runs without any LevelDB when no state directory is given', async () => {
    const task = await TaskStores.open({ applicationId: 'app', taskId: '0_0', changelogPartition: 0, stores: [counts] })
    expect(task.location).toBeUndefined()
    const kv = task.getKeyValueStore<string, number>('counts')
    expect(kv.persistent).toBe(false)
    kv.put('a', 1)
    task.prepareCommit(sources)
    await task.commit()
    expect(kv.get('a')).toBe(1)
    expect(task.dedup.appliedOffset('clicks', 2)).toBe(41)
    await task.close()
  })

  it('rejects invalid and duplicate store names', async () => {
    expect(() => keyValueStoreSpec({ name: '__meta', keySerde: stringSerde, valueSerde: stringSerde })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
    expect(() => keyValueStoreSpec({ name: 'a!b', keySerde: stringSerde, valueSerde: stringSerde })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
    await expect(open({ stores: [counts, counts] })).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })
})
