/**
 * Kafka Streams' record-cache forwarding on the real runtime (embedded broker): a cached
 * aggregation forwards one update per key per commit, in the commit that holds its state; with
 * caching off (per store or for the app) every update goes out.
 */
import { Serdes, SessionWindows, SlidingWindows, StreamBuilder, StreamsApp, TimeWindows, type Topology } from 'streamfold'
import type { EmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import { createEmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import { silentLogger } from '../../src/logger'
import { countResults, expectedResults, keyedInput, produce, readTopic, referenceCounts, tempDirs, waitFor, waitForState } from './support/app-test-kit'

const tempDir = tempDirs()
const logger = silentLogger()
const INPUT = keyedInput('in', 400, 6, 3)

let broker: EmbeddedBroker
beforeEach(async () => {
  broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0 })
  await broker.admin().ensureTopics([
    { name: 'in', partitions: 2 },
    { name: 'out', partitions: 2 },
  ])
  await produce(broker, INPUT)
})
afterEach(async () => {
  await broker.close()
})

/** `in` grouped by key, each record counted into `seen` on its way. */
function groupedInput(builder: StreamBuilder, seen: { n: number }) {
  return builder
    .stream('in', { key: Serdes.string(), value: Serdes.string() })
    .peek(() => void seen.n++)
    .groupByKey()
}

/** `count` (caching per `caching`), counted records seen by `seen`. */
function countTopology(seen: { n: number }, caching?: boolean): Topology {
  const builder = new StreamBuilder()
  groupedInput(builder, seen)
    .count({ name: 'counts', ...(caching === undefined ? {} : { caching }) })
    .toStream()
    .to('out', { key: Serdes.string(), value: Serdes.double() })
  return builder.build()
}

/**
 * Runs `topology` until every input record went through it, reads what is visible on `out`
 * before any commit (the commit interval is far away), then closes the app (a clean close
 * commits) and returns both reads.
 */
async function runOnce(topology: Topology, seen: { n: number }, guarantee: 'at_least_once' | 'exactly_once', extra: { cacheMaxBytes?: number } = {}) {
  const app = new StreamsApp(topology, {
    applicationId: `cached-${guarantee}`,
    broker: { instance: broker },
    stateDir: tempDir(),
    logger,
    processingGuarantee: guarantee,
    commitIntervalMs: 600_000,
    ...extra,
  })
  await app.start()
  await waitForState(app, 'RUNNING')
  await waitFor(() => seen.n === INPUT.length, 15_000, 'every input record processed')
  // Sends of an at_least_once app are visible once the producer has written them: give it time.
  await new Promise((r) => setTimeout(r, 300))
  const beforeCommit = await readTopic(broker, 'out', 'read_uncommitted')
  expect(await app.close({ timeoutMs: 10_000 })).toBe(true)
  return { beforeCommit, after: await readTopic(broker, 'out') }
}

describe.each(['at_least_once', 'exactly_once'] as const)('a cached count (%s)', (guarantee) => {
  it('forwards nothing before the commit, then the final count of each key once', async () => {
    const seen = { n: 0 }
    const { beforeCommit, after } = await runOnce(countTopology(seen), seen, guarantee)
    expect(beforeCommit).toEqual([])
    const reference = referenceCounts(INPUT)
    expect(countResults(after).sort()).toEqual([...reference].map(([k, n]) => `${k}=${n}`).sort())
  })

  it('forwards every update when the store has caching off', async () => {
    const seen = { n: 0 }
    const { after } = await runOnce(countTopology(seen, false), seen, guarantee)
    expect(countResults(after).sort()).toEqual(expectedResults(referenceCounts(INPUT)).sort())
  })
})

it('forwards every update when the app has no cache (cacheMaxBytes 0)', async () => {
  const seen = { n: 0 }
  const { after } = await runOnce(countTopology(seen), seen, 'at_least_once', { cacheMaxBytes: 0 })
  expect(countResults(after).sort()).toEqual(expectedResults(referenceCounts(INPUT)).sort())
})

it('flushes a cached aggregation fed by another in the same task within one commit', async () => {
  // count, then a reduce keeping the larger value, both cached, in one sub-topology (no repartition).
  const seen = { n: 0 }
  const builder = new StreamBuilder()
  groupedInput(builder, seen)
    .count({ name: 'counts' })
    .toStream()
    .mapValues((_k, v) => v ?? 0)
    .groupByKey({ value: Serdes.double() })
    .reduce((a, b) => Math.max(a, b), { name: 'max-counts' })
    .toStream()
    .to('out', { key: Serdes.string(), value: Serdes.double() })
  const { beforeCommit, after } = await runOnce(builder.build(), seen, 'exactly_once')
  expect(beforeCommit).toEqual([])
  expect(countResults(after).sort()).toEqual([...referenceCounts(INPUT)].map(([k, n]) => `${k}=${n}`).sort())
})

it('forwards a table aggregate (subtract, then add) once per group with the net result', async () => {
  // Users move between regions; one update per region must come out, with the right count.
  await broker.admin().ensureTopics([{ name: 'users', partitions: 1 }, { name: 'regions', partitions: 1 }])
  const moves = [
    ['ann', 'north'],
    ['bob', 'north'],
    ['ann', 'south'],
    ['cid', 'south'],
    ['bob', 'east'],
    ['ann', 'north'],
    ['cid', 'east'],
  ]
  await produce(broker, moves.map(([user, region], i) => ({ topic: 'users', key: Buffer.from(user!), value: Buffer.from(region!), timestamp: 1000 + i, headers: [] })))
  const calls = { add: 0, subtract: 0 }
  const builder = new StreamBuilder()
  builder
    // The source uncached: each move reaches the (cached) aggregate before the commit.
    .table('users', { key: Serdes.string(), value: Serdes.string(), name: 'users-table', caching: false })
    .groupBy((_user, region) => [region, region] as const, { key: Serdes.string(), value: Serdes.string(), name: 'by-region' })
    .aggregate(
      () => 0,
      (_region, _user, n) => (calls.add++, n + 1),
      (_region, _user, n) => (calls.subtract++, n - 1),
      { name: 'region-counts', value: Serdes.double() },
    )
    .toStream()
    .to('regions', { key: Serdes.string(), value: Serdes.double() })
  // at_least_once: the repartition topic's records are readable before the (far) commit.
  const app = new StreamsApp(builder.build(), { applicationId: 'cached-table', broker: { instance: broker }, stateDir: tempDir(), logger, commitIntervalMs: 600_000 })
  await app.start()
  await waitFor(() => calls.add === 7 && calls.subtract === 4, 15_000, 'every move added and subtracted')
  await new Promise((r) => setTimeout(r, 300))
  expect(await readTopic(broker, 'regions', 'read_uncommitted')).toEqual([])
  expect(await app.close({ timeoutMs: 10_000 })).toBe(true)
  expect(countResults(await readTopic(broker, 'regions')).sort()).toEqual(['east=2', 'north=1', 'south=0'])
})

it('forwards one update per window and key of a cached windowed count', async () => {
  const seen = { n: 0 }
  const builder = new StreamBuilder()
  groupedInput(builder, seen)
    .windowedBy(TimeWindows.ofSizeWithNoGrace(100))
    .count({ name: 'windowed' })
    .toStream()
    .to('out', { key: Serdes.windowed(Serdes.string()), value: Serdes.double() })
  const { beforeCommit, after } = await runOnce(builder.build(), seen, 'exactly_once')
  expect(beforeCommit).toEqual([])
  // The reference: records per (key, 100 ms window).
  const reference = new Map<string, number>()
  for (const r of INPUT) {
    const id = `${r.key!.toString()}@${Math.floor(r.timestamp! / 100) * 100}`
    reference.set(id, (reference.get(id) ?? 0) + 1)
  }
  const windowed = Serdes.windowed(Serdes.string())
  const double = Serdes.double()
  const got = after.map((r) => {
    const key = windowed.deserialize(r.key!, 'out')
    return `${key.key}@${key.window.start}=${double.deserialize(r.value!, 'out')}`
  })
  expect(got.sort()).toEqual([...reference].map(([id, n]) => `${id}=${n}`).sort())
})

it.each([true, false])('a materialized table (caching %s): cached, the latest value per key per commit and nothing for a key created and deleted; uncached, every update', async (caching) => {
  await broker.admin().ensureTopics([{ name: 'profiles', partitions: 1 }, { name: 'latest', partitions: 1 }])
  const updates: Array<[string, string | null]> = [
    ['a', '1'],
    ['b', '1'],
    ['a', '2'],
    ['c', '1'],
    ['c', null],
  ]
  await produce(broker, updates.map(([key, value], i) => ({ topic: 'profiles', key: Buffer.from(key), value: value === null ? null : Buffer.from(value), timestamp: 1000 + i, headers: [] })))
  const seen = { n: 0 }
  const builder = new StreamBuilder()
  builder
    .stream('profiles', { key: Serdes.string(), value: Serdes.string() })
    .peek(() => void seen.n++)
    .toTable({ name: 'profiles-table', caching })
    .toStream()
    .to('latest', { key: Serdes.string(), value: Serdes.string() })
  const app = new StreamsApp(builder.build(), { applicationId: `cached-source-${caching}`, broker: { instance: broker }, stateDir: tempDir(), logger, commitIntervalMs: 600_000 })
  await app.start()
  await waitFor(() => seen.n === updates.length, 15_000, 'every update processed')
  expect(await app.close({ timeoutMs: 10_000 })).toBe(true)
  const got = (await readTopic(broker, 'latest')).map((r) => `${r.key!.toString()}=${r.value === null ? 'null' : r.value.toString()}`)
  // Cached: in last-update order (b was last updated before a), as Kafka Streams flushes.
  expect(got).toEqual(caching ? ['b=1', 'a=2'] : ['a=1', 'b=1', 'a=2', 'c=1', 'c=null'])
})

/** Runs a windowed count on `ticks` (timestamps of key k) until all are processed, closes, and returns the output as `start-end=count`. */
async function windowedOutputs(windowed: 'session' | 'sliding', caching: boolean, ticks: readonly number[]): Promise<string[]> {
  await broker.admin().ensureTopics([{ name: 'ticks', partitions: 1 }, { name: 'windows', partitions: 1 }])
  await produce(broker, ticks.map((timestamp) => ({ topic: 'ticks', key: Buffer.from('k'), value: Buffer.from('x'), timestamp, headers: [] })))
  const seen = { n: 0 }
  const builder = new StreamBuilder()
  const grouped = builder
    .stream('ticks', { key: Serdes.string(), value: Serdes.string() })
    .peek(() => void seen.n++)
    .groupByKey()
  const counted =
    windowed === 'session'
      ? grouped.windowedBy(SessionWindows.ofInactivityGapAndGrace(50, 1_000)).count({ name: 'sessions', caching })
      : grouped.windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(50, 1_000)).count({ name: 'sliding', caching })
  counted.toStream().to('windows', { key: Serdes.windowed(Serdes.string()), value: Serdes.double() })
  const app = new StreamsApp(builder.build(), { applicationId: `cached-${windowed}-${caching}`, broker: { instance: broker }, stateDir: tempDir(), logger, commitIntervalMs: 600_000 })
  await app.start()
  await waitFor(() => seen.n === ticks.length, 15_000, 'every tick processed')
  expect(await app.close({ timeoutMs: 10_000 })).toBe(true)
  const windowedSerde = Serdes.windowed(Serdes.string())
  const double = Serdes.double()
  return (await readTopic(broker, 'windows')).map((r) => {
    const { window } = windowedSerde.deserialize(r.key!, 'windows')
    return `${window.start}-${window.end}=${r.value === null ? 'null' : double.deserialize(r.value, 'windows')}`
  })
}

it.each([true, false])('session windows (caching %s): sessions merged away within the interval are never forwarded when cached', async (caching) => {
  // [1000] and [1100] are separate sessions until 1050 bridges them into [1000,1100].
  const out = await windowedOutputs('session', caching, [1000, 1100, 1050])
  expect(out).toEqual(caching ? ['1000-1100=3'] : ['1000-1000=1', '1100-1100=1', '1000-1000=null', '1100-1100=null', '1000-1100=3'])
})

it('sliding windows (cached): one update per window per commit, the final counts', async () => {
  const cached = await windowedOutputs('sliding', true, [1000, 1010, 1020])
  await broker.close()
  broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0 })
  const uncached = await windowedOutputs('sliding', false, [1000, 1010, 1020])
  // The last value per window is the same; cached, each window appears once.
  const last = (list: string[]) => new Map(list.map((e) => e.split('=') as [string, string]))
  expect(last(cached)).toEqual(last(uncached))
  expect(new Set(cached.map((e) => e.split('=')[0])).size).toBe(cached.length)
  expect(cached.length).toBeLessThan(uncached.length)
})
