/**
 * Interactive queries on a running app (embedded broker, LevelDB in temp dirs): app.store()
 * answers from every local task and from global stores, errors name what went wrong, and an
 * iterator open while the app closes fails with STATE_STORE_MIGRATED instead of reading a closed DB.
 */
import { Serdes, StreamBuilder, StreamsApp, TimeWindows, StreamfoldError } from 'streamfold'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import type { OutgoingRecord } from '../../src/runtime/broker/broker'
import { defaultPartition } from '../../src/runtime/broker/murmur2'
import { caughtUp, produce, tempDirs, waitFor, waitForState } from './support/app-test-kit'
import { captureLogs } from '../observability/support/log-capture'

const tempDir = tempDirs()
const str = Serdes.string()
const PARTITIONS = 4

function topology() {
  const b = new StreamBuilder()
  b.globalTable('names', { key: str, value: str, name: 'names-store' })
  const words = b.stream('words', { key: str, value: str })
  words.groupByKey().count({ name: 'counts' })
  // A long grace keeps early windows in the store (retention follows size + grace).
  words.groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(1000, 1_000_000)).count({ name: 'windowed-counts' })
  return b.build()
}

const word = (key: string, timestamp: number): OutgoingRecord => ({ topic: 'words', key: Buffer.from(key), value: Buffer.from('x'), timestamp, headers: [] })

const codeOf = (action: () => unknown): string | undefined => {
  try {
    action()
  } catch (error) {
    return error instanceof StreamfoldError ? error.code : `not a StreamfoldError: ${String(error)}`
  }
  return undefined
}

describe('interactive queries on the embedded broker', () => {
  let broker: EmbeddedBroker
  let app: StreamsApp
  const keys = Array.from({ length: 40 }, (_, i) => `k${i}`)
  // key ki appears i % 5 + 1 times
  const expected = new Map(keys.map((k, i) => [k, (i % 5) + 1]))

  beforeEach(async () => {
    broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0 })
    await broker.admin().ensureTopics([
      { name: 'words', partitions: PARTITIONS },
      { name: 'names', partitions: 2, config: { 'cleanup.policy': 'compact' } },
    ])
    await produce(broker, [{ topic: 'names', key: Buffer.from('n1'), value: Buffer.from('Ada'), timestamp: 1, headers: [] }])
    const config = { applicationId: 'iq', broker: { instance: broker }, stateDir: tempDir(), logger: captureLogs('info').logger, commitIntervalMs: 50 }
    app = new StreamsApp(topology(), config)
  })
  afterEach(async () => {
    await app.close({ timeoutMs: 10_000 })
    await broker.close()
  })

  async function startAndCount(): Promise<void> {
    await app.start()
    await waitForState(app, 'RUNNING')
    await produce(broker, keys.flatMap((k, i) => Array.from({ length: expected.get(k)! }, (_, j) => word(k, 1000 * i + j))))
    await waitFor(() => caughtUp(broker.admin(), 'iq', 'words', PARTITIONS), 15_000, 'words processed')
  }

  it('refuses queries before start, and unknown names or wrong kinds once running', async () => {
    expect(codeOf(() => app.store('counts'))).toBe('STREAMS_NOT_STARTED')
    expect(codeOf(() => app.queryMetadataForKey('counts', 'k1', str))).toBe('STREAMS_NOT_STARTED')
    await startAndCount()
    expect(codeOf(() => app.store('nope'))).toBe('UNKNOWN_STATE_STORE')
    expect(codeOf(() => app.store('counts', { type: 'window' }))).toBe('STORE_TYPE_MISMATCH')
    expect(codeOf(() => app.store('windowed-counts'))).toBe('STORE_TYPE_MISMATCH')
    expect(codeOf(() => app.store('counts', { partition: 99 }).get('k1'))).toBe('STATE_STORE_NOT_AVAILABLE')
    const store = app.store<string, number>('counts')
    await app.close({ timeoutMs: 10_000 })
    expect(codeOf(() => store.get('k1'))).toBe('STATE_STORE_NOT_AVAILABLE')
    expect(codeOf(() => app.store('counts'))).toBe('STATE_STORE_NOT_AVAILABLE')
  })

  it('answers every key from the task of its partition, lists all, sums counts, and reads windows and the global store', async () => {
    await startAndCount()
    const counts = app.store<string, number>('counts')
    for (const [k, n] of expected) expect(counts.get(k)).toBe(n)
    expect(counts.get('never-seen')).toBeUndefined()

    const all = new Map<string, number>()
    for await (const { key, value } of counts.all()) all.set(key, value)
    expect(all).toEqual(expected)
    expect(await counts.approximateNumEntries()).toBe(keys.length)
    const ranged: string[] = []
    for await (const { key } of counts.range('k1', 'k19')) ranged.push(key)
    expect(ranged.sort()).toEqual(keys.filter((k) => k >= 'k1' && k <= 'k19').sort())

    // queryMetadataForKey agrees with where the producer put the key, and the partition's task has it.
    for (const k of keys) {
      const meta = app.queryMetadataForKey('counts', k, str)
      expect(meta).toEqual({ partition: defaultPartition(Buffer.from(k), PARTITIONS), local: true })
      expect(app.store<string, number>('counts', { partition: meta.partition }).get(k)).toBe(expected.get(k))
      const other = (meta.partition + 1) % PARTITIONS
      expect(app.store<string, number>('counts', { partition: other }).get(k)).toBeUndefined()
    }

    // k3 has 4 records at times 3000..3003: one window [3000, 4000).
    const windows = app.store<string, number>('windowed-counts', { type: 'window' })
    expect(windows.fetch('k3', 0, 10_000)).toEqual([{ windowStart: 3000, value: 4 }])
    let windowed = 0
    for await (const { value } of windows.fetchAll(0, 100_000)) windowed += value
    expect(windowed).toBe([...expected.values()].reduce((a, b) => a + b, 0))

    const names = app.store<string, string>('names-store')
    expect(names.get('n1')).toBe('Ada')
    expect(app.queryMetadataForKey('names-store', 'n1', str)).toEqual({ partition: -1, local: true })
  })

  it('fails an iterator open while the app closes with STATE_STORE_MIGRATED', async () => {
    await startAndCount()
    const iterator = app.store<string, number>('counts').all()[Symbol.asyncIterator]()
    expect((await iterator.next()).done).toBe(false)
    await app.close({ timeoutMs: 10_000 })
    await expect(iterator.next()).rejects.toMatchObject({ code: 'STATE_STORE_MIGRATED' })
  })
})
