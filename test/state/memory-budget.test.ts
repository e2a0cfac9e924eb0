import { resolveStreamsConfig, type StreamsConfig } from '../../src/runtime/streams-config'
import { entrySize } from '../../src/state/entry-size'
import { DEFAULT_MAX_UNCOMMITTED_BYTES, DEFAULT_STATE_CACHE_MAX_BYTES, StateMemory } from '../../src/state/memory-budget'
import { CachePool, RecordCache, withCachePool } from '../../src/state/record-cache'
import { keyValueStoreSpec } from '../../src/state/store-spec'
import { TaskDb } from '../../src/state/task-db'
import { TaskStores } from '../../src/state/task-stores'
import { stringSerde, uint32Serde } from './support/serdes'
import { useTempDir } from './support/temp-dir'

const counts = keyValueStoreSpec({ name: 'counts', keySerde: stringSerde, valueSerde: uint32Serde })
const totals = keyValueStoreSpec({ name: 'totals', keySerde: stringSerde, valueSerde: uint32Serde })

describe('StateMemory', () => {
  it('defaults to a 10 MiB record-cache pool, a 256 KiB block cache and a 4 MiB write buffer per task', () => {
    const memory = new StateMemory()
    expect(memory.cacheMaxBytes).toBe(DEFAULT_STATE_CACHE_MAX_BYTES)
    expect(DEFAULT_STATE_CACHE_MAX_BYTES).toBe(10 * 1024 * 1024)
    expect(memory.taskDbTuning).toEqual({ cacheSize: 256 * 1024, writeBufferSize: 4 * 1024 * 1024 })
    expect(new StateMemory({ taskDbCacheBytes: 0, taskDbWriteBufferBytes: 65536 }).taskDbTuning).toEqual({ cacheSize: 0, writeBufferSize: 65536 })
  })

  it.each([
    [{ cacheMaxBytes: -1 }, 'cacheMaxBytes'],
    [{ cacheMaxBytes: 1.5 }, 'cacheMaxBytes'],
    [{ cacheMaxBytes: '10MB' as unknown as number }, 'cacheMaxBytes'],
    [{ taskDbCacheBytes: -5 }, 'taskDbCacheBytes'],
    [{ taskDbCacheBytes: 2 ** 32 }, 'taskDbCacheBytes'],
    [{ taskDbWriteBufferBytes: 1000 }, 'taskDbWriteBufferBytes'],
    [{ maxUncommittedBytes: -1 }, 'maxUncommittedBytes'],
    [{ maxUncommittedBytes: Number.NaN }, 'maxUncommittedBytes'],
    [{ maxUncommittedBytes: '64MB' as unknown as number }, 'maxUncommittedBytes'],
  ])('rejects %p with CONFIG_INVALID naming the option', (options, option) => {
    expect(() => new StateMemory(options)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(`invalid ${option}`) }))
    const config = { applicationId: 'app', ...options } as StreamsConfig
    expect(() => resolveStreamsConfig(config)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(`invalid ${option}`) }))
  })

  it("bounds uncommitted writes at Kafka Streams' 64 MiB by default; Infinity lifts the bound", () => {
    expect(new StateMemory().maxUncommittedBytes).toBe(64 * 1024 * 1024)
    expect(DEFAULT_MAX_UNCOMMITTED_BYTES).toBe(64 * 1024 * 1024)
    expect(new StateMemory({ maxUncommittedBytes: 0 }).maxUncommittedBytes).toBe(0)
    expect(new StateMemory({ maxUncommittedBytes: Number.POSITIVE_INFINITY }).maxUncommittedBytes).toBe(Number.POSITIVE_INFINITY)
    expect(resolveStreamsConfig({ applicationId: 'app', maxUncommittedBytes: 1 << 20 }).stateMemory.maxUncommittedBytes).toBe(1 << 20)
  })

  it('is resolved from StreamsConfig, one per app', () => {
    const a = resolveStreamsConfig({ applicationId: 'app', cacheMaxBytes: 0, taskDbCacheBytes: 400_000, taskDbWriteBufferBytes: 800_000 })
    expect(a.stateMemory.cacheMaxBytes).toBe(0)
    expect(a.stateMemory.taskDbTuning).toEqual({ cacheSize: 400_000, writeBufferSize: 800_000 })
    const b = resolveStreamsConfig({ applicationId: 'app' })
    expect(b.stateMemory).not.toBe(a.stateMemory)
    expect(b.stateMemory.cacheMaxBytes).toBe(DEFAULT_STATE_CACHE_MAX_BYTES)
  })
})

describe('tasks under one StateMemory', () => {
  const dir = useTempDir()
  afterEach(() => jest.restoreAllMocks())
  const open = (taskId: string, memory: StateMemory): Promise<TaskStores> =>
    TaskStores.open({ applicationId: 'app', taskId, stateDir: dir(), changelogPartition: Number(taskId.split('_')[1]), stores: [counts, totals], memory })

  it("hands each task database the budget's LevelDB tuning", async () => {
    const spy = jest.spyOn(TaskDb, 'open')
    const memory = new StateMemory({ taskDbCacheBytes: 200_000, taskDbWriteBufferBytes: 400_000 })
    const tasks = [await open('0_0', memory), await open('0_1', memory)]
    expect(spy).toHaveBeenCalledTimes(2)
    for (const call of spy.mock.calls) expect(call[1]).toEqual({ cacheSize: 200_000, writeBufferSize: 400_000 })
    for (const task of tasks) await task.close()
  })

  it('keeps the record caches of every store of every task within the shared pool', async () => {
    const memory = new StateMemory({ cacheMaxBytes: 64 * 1024 })
    const tasks = [await open('0_0', memory), await open('0_1', memory)]
    const stores = tasks.flatMap((t) => [t.getKeyValueStore<string, number>('counts'), t.getKeyValueStore<string, number>('totals')])
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 2000; i++) {
        const store = stores[i % stores.length]!
        store.put(`key-${i}`, (store.get(`key-${i}`) ?? 0) + 1)
      }
      for (const [p, task] of tasks.entries()) {
        task.prepareCommit([{ topic: 'in', partition: p, offset: round + 1 }])
        await task.commit()
      }
      expect(memory.cachePool.bytes).toBeGreaterThan(0)
      expect(memory.cachePool.bytes).toBeLessThanOrEqual(64 * 1024)
    }
    // Committed values are still read right, through the caches or past them.
    for (let i = 0; i < 2000; i++) expect(stores[i % stores.length]!.get(`key-${i}`)).toBe(3)
    expect(memory.cachePool.bytes).toBeLessThanOrEqual(64 * 1024)
    for (const task of tasks) await task.close()
    expect(memory.cachePool.bytes).toBe(0)
  })
})

describe('CachePool', () => {
  it('an insert that overflows the pool evicts from the largest cache when its own holds less than its share', () => {
    const pool = new CachePool(20_000)
    const [a, b] = withCachePool(pool, () => [new RecordCache(Number.MAX_SAFE_INTEGER), new RecordCache(Number.MAX_SAFE_INTEGER)])
    for (let i = 0; i < 40; i++) a!.set(`a${i}`, Buffer.alloc(16))
    const aBefore = a!.sizeBytes
    for (let i = 0; i < 40; i++) b!.set(`b${i}`, Buffer.alloc(16))
    expect(pool.bytes).toBeLessThanOrEqual(20_000)
    expect(pool.bytes).toBe(a!.sizeBytes + b!.sizeBytes)
    // b grew to an even share, taken from the idle a, and then evicted from itself.
    expect(a!.sizeBytes).toBeLessThan(aBefore)
    expect(b!.sizeBytes).toBeGreaterThan(0.35 * pool.maxBytes)
    expect(a!.sizeBytes).toBeGreaterThan(0.35 * pool.maxBytes)
    expect(b!.get('b39')).toEqual(Buffer.alloc(16))
    const aNow = a!.sizeBytes
    for (let i = 40; i < 80; i++) b!.set(`b${i}`, Buffer.alloc(16))
    expect(a!.sizeBytes).toBe(aNow)
    expect(pool.bytes).toBeLessThanOrEqual(20_000)
  })

  it('a pool of 0 bytes caches nothing', () => {
    const cache = withCachePool(new CachePool(0), () => new RecordCache(Number.MAX_SAFE_INTEGER))
    cache.set('k', null)
    expect(cache.size).toBe(0)
  })
})

describe('uncommitted bytes', () => {
  const dir = useTempDir()
  const open = (): Promise<TaskStores> =>
    TaskStores.open({ applicationId: 'app', taskId: '0_0', stateDir: dir(), changelogPartition: 0, stores: [counts, totals], memory: new StateMemory() })
  /** The key as the store holds it: the serialized key's bytes as a latin1 string. */
  const held = (key: string): string => Buffer.from(key).toString('latin1')

  it('grow with each new key, follow overwrites and deletes, and drop to zero at commit', async () => {
    const task = await open()
    const store = task.getKeyValueStore<string, number>('counts')
    expect(task.uncommittedBytes).toBe(0)
    store.put('a', 1)
    const one = task.uncommittedBytes
    expect(one).toBeGreaterThan(0)
    store.put('b', 1)
    expect(task.uncommittedBytes).toBe(2 * one)
    // An overwrite of the same size changes nothing; a delete keeps the key, without its value.
    store.put('a', 2)
    expect(task.uncommittedBytes).toBe(2 * one)
    store.delete('a')
    const valueBytes = one - entrySize(held('a'), null)
    expect(valueBytes).toBeGreaterThan(0)
    expect(task.uncommittedBytes).toBe(2 * one - valueBytes)
    store.put('a', 3)
    expect(task.uncommittedBytes).toBe(2 * one)
    // Every store of the task counts.
    task.getKeyValueStore<string, number>('totals').put('a', 1)
    expect(task.uncommittedBytes).toBe(3 * one)

    // Writes made while a commit is in flight belong to the next transaction.
    task.prepareCommit([{ topic: 'in', partition: 0, offset: 1 }])
    expect(task.uncommittedBytes).toBe(0)
    store.put('c', 1)
    expect(task.uncommittedBytes).toBe(one)
    await task.commit()
    expect(task.uncommittedBytes).toBe(one)
    expect(store.get('a')).toBe(3)
    await task.close()
  })

  it('drop to zero when the transaction is discarded', async () => {
    const task = await open()
    const store = task.getKeyValueStore<string, number>('counts')
    for (let i = 0; i < 100; i++) store.put(`key-${i}`, i)
    expect(task.uncommittedBytes).toBeGreaterThan(100 * entrySize(held('key-0'), null))
    task.discard()
    expect(task.uncommittedBytes).toBe(0)
    expect(store.get('key-1')).toBeUndefined()
    await task.close()
  })
})
