/**
 * A commit with `cacheWrites: false` (a global store's bootstrap) leaves the record cache out of
 * the bulk load, yet never serves a value it replaced: a key cached before is dropped, so the
 * next read goes to LevelDB.
 */
import { TaskStores } from '../../src/state/task-stores'
import { keyValueStoreSpec } from '../../src/state/store-spec'
import { stringSerde, uint32Serde } from './support/serdes'
import { useTempDir } from './support/temp-dir'

const hot = keyValueStoreSpec({ name: 'hot', keySerde: stringSerde, valueSerde: uint32Serde, cacheMaxBytes: 2000 })

describe('TaskStores commit without caching the writes', () => {
  const dir = useTempDir()

  it('drops the cached values it replaces, caches nothing new, and reads the committed values', async () => {
    const task = await TaskStores.open({ applicationId: 'app', taskId: 'global', stateDir: dir(), changelogPartition: 0, stores: [hot] })
    const kv = task.getKeyValueStore<string, number>('hot')
    kv.put('a', 1)
    task.prepareCommit([])
    await task.commit()
    expect(kv.get('a')).toBe(1) // cached now
    const cache = () => (task as unknown as { byName: Map<string, { engine: { core: { cacheStats: { entries: number } } } }> }).byName.get('hot')!.engine.core.cacheStats.entries
    expect(cache()).toBe(1)

    kv.put('a', 2)
    kv.put('b', 3)
    task.prepareCommit([])
    await task.commit({ cacheWrites: false })
    expect(cache()).toBe(0)
    expect([kv.get('a'), kv.get('b')]).toEqual([2, 3])
    await task.close()
  })
})
