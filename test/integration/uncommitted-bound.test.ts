/**
 * `maxUncommittedBytes` (Kafka Streams' statestore.uncommitted.max.bytes) on the real runtime:
 * when the state written since the last commit reaches the bound, a commit starts long before the
 * commit interval, so an app's write buffers stay bounded; the results are the same.
 */
import { StreamsApp } from 'streamfold'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import { silentLogger } from '../../src/logger'
import { countResults, countTopology, expectedResults, keyedInput, latestCounts, produce, readTopic, referenceCounts, tempDirs, waitFor, waitForState } from './support/app-test-kit'

const tempDir = tempDirs()
// Many keys, so the writes since the last commit grow with every record.
const INPUT = keyedInput('in', 3000, 1500, 7)
const PARTITIONS = [0, 1].map((partition) => ({ topic: 'in', partition }))

let broker: EmbeddedBroker
beforeEach(async () => {
  broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0 })
  await broker.admin().ensureTopics([
    { name: 'in', partitions: 2 },
    { name: 'counts', partitions: 2 },
  ])
  await produce(broker, INPUT)
})
afterEach(async () => {
  await broker.close()
})

async function committedInput(applicationId: string): Promise<number> {
  const committed = await broker.admin().committedOffsets(applicationId, PARTITIONS)
  return committed.reduce((sum, c) => sum + Math.max(0, c.offset), 0)
}

/** Runs an uncached count with a commit interval far away until every input record went through it. */
async function start(guarantee: 'at_least_once' | 'exactly_once', maxUncommittedBytes: number | undefined, caching = false) {
  const seen = { n: 0 }
  const applicationId = `bound-${guarantee}-${maxUncommittedBytes ?? 'default'}-${caching ? 'cached' : 'uncached'}`
  const app = new StreamsApp(countTopology('in', 'counts', 'counts-store', () => void seen.n++, caching), {
    applicationId,
    broker: { instance: broker },
    stateDir: tempDir(),
    logger: silentLogger(),
    processingGuarantee: guarantee,
    commitIntervalMs: 600_000,
    ...(maxUncommittedBytes === undefined ? {} : { maxUncommittedBytes }),
  })
  await app.start()
  await waitForState(app, 'RUNNING')
  await waitFor(() => seen.n === INPUT.length, 15_000, 'every input record processed')
  return { app, applicationId }
}

describe.each(['at_least_once', 'exactly_once'] as const)('%s', (guarantee) => {
  it('commits before the interval once the uncommitted writes reach maxUncommittedBytes', async () => {
    // About 30 keys' writes (entry-size.ts): dozens of commits over 3000 records.
    const { app, applicationId } = await start(guarantee, 16 * 1024)
    // Committed while processing, not at the interval (10 minutes away) or at close.
    await waitFor(async () => (await committedInput(applicationId)) >= INPUT.length / 2, 10_000, 'early commits')
    const visible = await readTopic(broker, 'counts')
    expect(visible.length).toBeGreaterThan(0)
    expect(await app.close({ timeoutMs: 10_000 })).toBe(true)

    const reference = referenceCounts(INPUT)
    const results = await readTopic(broker, 'counts')
    if (guarantee === 'exactly_once') expect(countResults(results).sort()).toEqual(expectedResults(reference).sort())
    expect(latestCounts(results)).toEqual(reference)
    expect(await committedInput(applicationId)).toBe(INPUT.length)
  })

  it('a cached count forwards what it held back at each early commit, so its pending updates stay bounded too', async () => {
    const { app, applicationId } = await start(guarantee, 16 * 1024, true)
    await waitFor(async () => (await committedInput(applicationId)) >= INPUT.length / 2, 10_000, 'early commits')
    // Forwarded at the early commits: one update per key per commit, visible long before the interval.
    const visible = await readTopic(broker, 'counts')
    expect(visible.length).toBeGreaterThan(0)
    expect(visible.length).toBeLessThan(INPUT.length)
    expect(await app.close({ timeoutMs: 10_000 })).toBe(true)
    expect(latestCounts(await readTopic(broker, 'counts'))).toEqual(referenceCounts(INPUT))
  })

  it('with the default bound (64 MiB), the same input commits nothing before the interval', async () => {
    const { app, applicationId } = await start(guarantee, undefined)
    await new Promise((r) => setTimeout(r, 300))
    expect(await committedInput(applicationId)).toBe(0)
    if (guarantee === 'exactly_once') expect(await readTopic(broker, 'counts')).toEqual([])
    expect(await app.close({ timeoutMs: 10_000 })).toBe(true)
    expect(latestCounts(await readTopic(broker, 'counts'))).toEqual(referenceCounts(INPUT))
  })
})
