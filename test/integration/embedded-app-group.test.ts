/** StreamsApp on the embedded broker: topic checks, repartitioning, two instances, restore from changelogs. */
import { Serdes, StreamBuilder, StreamsApp, type RestoreEndEvent } from 'streamfold'
import { silentLogger } from '../../src/logger'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import {
  cachedResultsInvalid,
  caughtUp,
  countTopology,
  keyedInput,
  latestCounts,
  produce,
  readTopic,
  referenceCounts,
  tempDirs,
  waitFor,
  waitForState,
} from './support/app-test-kit'

const tempDir = tempDirs()
const logger = silentLogger()

let broker: EmbeddedBroker
beforeEach(async () => {
  broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0, autoCreateTopics: false })
})
afterEach(async () => {
  await broker.close()
})

function app(applicationId: string, stateDir = tempDir(), extra: Partial<ConstructorParameters<typeof StreamsApp>[1]> = {}): StreamsApp {
  return new StreamsApp(countTopology(), { applicationId, broker: { instance: broker }, stateDir, logger, commitIntervalMs: 50, ...extra })
}

describe('topic checks at start', () => {
  it('fails with TOPIC_NOT_FOUND naming the missing source topics', async () => {
    const a = app('missing')
    await expect(a.start()).rejects.toMatchObject({ code: 'TOPIC_NOT_FOUND', message: expect.stringContaining('in') })
    expect(a.state).toBe('ERROR')
    await a.close()
    expect(a.state).toBe('NOT_RUNNING')
  })

  it('fails with PARTITION_MISMATCH when the inputs of a sub-topology disagree', async () => {
    await broker.admin().ensureTopics([{ name: 'left', partitions: 2 }, { name: 'right', partitions: 3 }])
    const builder = new StreamBuilder()
    const left = builder.stream('left', { key: Serdes.string(), value: Serdes.string() })
    const right = builder.stream('right', { key: Serdes.string(), value: Serdes.string() })
    left.merge(right).groupByKey().count({ name: 'merged' })
    const a = new StreamsApp(builder.build(), { applicationId: 'mismatch', broker: { instance: broker }, stateDir: tempDir(), logger })
    await expect(a.start()).rejects.toMatchObject({ code: 'PARTITION_MISMATCH', message: expect.stringMatching(/left \(2\).*right \(3\)/) })
    await a.close()
  })

  it.each(['at_least_once', 'exactly_once'] as const)('creates repartition and changelog topics with derived partition counts (%s)', async (processingGuarantee) => {
    await broker.admin().ensureTopics([{ name: 'views', partitions: 3 }, { name: 'per-page', partitions: 1 }])
    const builder = new StreamBuilder()
    builder
      .stream('views', { key: Serdes.string(), value: Serdes.string() })
      .selectKey((_user, page) => page)
      .groupByKey({ key: Serdes.string(), value: Serdes.string(), name: 'by-page' })
      .count({ name: 'page-counts' })
      .toStream()
      .to('per-page', { key: Serdes.string(), value: Serdes.double() })
    const a = new StreamsApp(builder.build(), { applicationId: 'pages', broker: { instance: broker }, stateDir: tempDir(), logger, commitIntervalMs: 50, processingGuarantee })
    await a.start()
    const counts = await broker.admin().partitionCounts(['pages-by-page-repartition', 'pages-page-counts-changelog'])
    expect(counts).toEqual(new Map([['pages-by-page-repartition', 3], ['pages-page-counts-changelog', 3]]))
    const pages = ['/', '/a', '/b', '/a', '/a', '/b']
    await produce(broker, pages.map((p, i) => ({ topic: 'views', key: Buffer.from(`u${i}`), value: Buffer.from(p), timestamp: 1000 + i, headers: [] })))
    await waitFor(async () => latestCounts(await readTopic(broker, 'per-page')).get('/a') === 3, 10_000, 'page counts')
    await a.close()
    const output = await readTopic(broker, 'per-page')
    const reference = new Map([['/', 1], ['/a', 3], ['/b', 2]])
    expect(latestCounts(output)).toEqual(reference)
    // The count is cached (one update per page per commit): exactly once, its counts only grow.
    if (processingGuarantee === 'exactly_once') expect(cachedResultsInvalid(output, reference)).toEqual({})
  })
})

describe('groups and restore', () => {
  it('splits partitions between two instances; the combined output equals the reference', async () => {
    await broker.admin().ensureTopics([{ name: 'in', partitions: 4 }, { name: 'counts', partitions: 4 }])
    const input = keyedInput('in', 800, 40, 3)
    const restoredBy = { a: new Set<number>(), b: new Set<number>() }
    const a = app('pair', tempDir(), { processingGuarantee: 'exactly_once', onRestore: { onRestoreEnd: (e) => void restoredBy.a.add(e.partition) } })
    const b = app('pair', tempDir(), { processingGuarantee: 'exactly_once', onRestore: { onRestoreEnd: (e) => void restoredBy.b.add(e.partition) } })
    await a.start()
    await waitForState(a, 'RUNNING')
    await b.start()
    await produce(broker, input.slice(0, 400))
    await waitForState(b, 'RUNNING')
    await produce(broker, input.slice(400))
    await waitFor(() => caughtUp(broker.admin(), 'pair', 'in', 4), 20_000, 'input processed')
    expect(restoredBy.a.size).toBe(4) // all partitions before b joined
    expect(restoredBy.b.size).toBe(2) // b took half of them
    await Promise.all([a.close(), b.close()])
    const output = await readTopic(broker, 'counts')
    expect(latestCounts(output)).toEqual(referenceCounts(input))
    expect(output).toHaveLength(800) // exactly once: one result per input record
  })

  it('restores every store from its changelog on an empty state directory', async () => {
    await broker.admin().ensureTopics([{ name: 'in', partitions: 2 }, { name: 'counts', partitions: 2 }])
    const first = keyedInput('in', 400, 25, 11)
    await produce(broker, first)
    const one = app('fresh')
    await one.start()
    await waitFor(() => caughtUp(broker.admin(), 'fresh', 'in', 2), 15_000, 'first input processed')
    await one.close()

    const restored: RestoreEndEvent[] = []
    const two = app('fresh', tempDir(), { onRestore: { onRestoreEnd: (e) => void restored.push(e) } })
    const second = keyedInput('in', 100, 25, 12)
    await produce(broker, second)
    await two.start()
    await waitFor(() => caughtUp(broker.admin(), 'fresh', 'in', 2), 15_000, 'second input processed')
    await two.close()
    expect(restored.map((e) => e.partition).sort()).toEqual([0, 1])
    expect(restored.reduce((n, e) => n + e.applied, 0)).toBeGreaterThanOrEqual(referenceCounts(first).size)
    expect(latestCounts(await readTopic(broker, 'counts'))).toEqual(referenceCounts([...first, ...second]))
  })
})
