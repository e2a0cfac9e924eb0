/** RepartitionPurger against a real (in-memory) embedded broker, with a hand-driven clock. */
import { silentLogger } from '../../src/logger'
import type { TopicPartition, TopicPartitionOffset } from '../../src/runtime/broker/broker'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import { RepartitionPurger } from '../../src/runtime/repartition-purger'
import { resolveStreamsConfig } from '../../src/runtime/streams-config'

const REPARTITION = 'app-by-page-repartition'

let broker: EmbeddedBroker
beforeEach(async () => {
  broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0 })
  await broker.admin().ensureTopics([{ name: REPARTITION, partitions: 2 }, { name: 'in', partitions: 2 }])
  const producer = broker.producer()
  await producer.connect()
  for (const topic of [REPARTITION, 'in']) {
    for (let i = 0; i < 20; i++) producer.send({ topic, partition: i % 2, key: null, value: Buffer.from('v'), timestamp: 1, headers: [] })
  }
  await producer.flush()
  await producer.close()
})
afterEach(async () => {
  await broker.close()
})

interface Harness {
  readonly purger: RepartitionPurger
  readonly committed: Map<string, number>
  readonly owned: TopicPartition[]
  readonly calls: TopicPartitionOffset[][]
  advance(ms: number): void
  /** Makes the next `n` deleteRecords calls fail. */
  failNext(n: number): void
}

function harness(intervalMs: number): Harness {
  let now = 1_000
  let failures = 0
  const calls: TopicPartitionOffset[][] = []
  const committed = new Map<string, number>()
  const owned: TopicPartition[] = [0, 1].flatMap((partition) => [{ topic: REPARTITION, partition }, { topic: 'in', partition }])
  const admin = broker.admin()
  const purger = new RepartitionPurger({
    admin: {
      deleteRecords: async (offsets) => {
        calls.push([...offsets])
        if (failures > 0) {
          failures--
          throw new Error('refused (test)')
        }
        await admin.deleteRecords(offsets)
      },
    },
    repartitionTopics: new Set([REPARTITION]),
    intervalMs,
    owned: () => owned,
    committed: (tp) => committed.get(`${tp.topic}/${tp.partition}`),
    logger: silentLogger(),
    clock: () => now,
  })
  return { purger, committed, owned, calls, advance: (ms) => void (now += ms), failNext: (n) => void (failures = n) }
}

async function starts(topic: string): Promise<number[]> {
  return (await broker.admin().beginningOffsets([0, 1].map((partition) => ({ topic, partition })))).map((o) => o.offset)
}

it('purges owned repartition partitions up to the committed offset, once per interval, never the source topic', async () => {
  const h = harness(30_000)
  h.committed.set(`${REPARTITION}/0`, 4).set(`${REPARTITION}/1`, 7).set('in/0', 9).set('in/1', 9)
  h.purger.afterCommit()
  expect(h.calls).toHaveLength(0) // the first purge is one interval after the start
  h.advance(29_999)
  h.purger.afterCommit()
  expect(h.calls).toHaveLength(0)
  h.advance(1)
  h.purger.afterCommit()
  await h.purger.close()
  expect(h.calls).toEqual([[{ topic: REPARTITION, partition: 0, offset: 4 }, { topic: REPARTITION, partition: 1, offset: 7 }]])
  expect(await starts(REPARTITION)).toEqual([4, 7])
  expect(await starts('in')).toEqual([0, 0])
})

it('asks only for partitions whose commit moved, and skips partitions no longer owned', async () => {
  const h = harness(0)
  h.committed.set(`${REPARTITION}/0`, 3).set(`${REPARTITION}/1`, 3)
  h.purger.afterCommit()
  await new Promise((r) => setImmediate(r))
  h.committed.set(`${REPARTITION}/1`, 6)
  h.purger.afterCommit() // the first purge still runs: no second one starts
  await h.purger.close()
  expect(h.calls).toHaveLength(1)

  const next = harness(0)
  next.committed.set(`${REPARTITION}/0`, 5).set(`${REPARTITION}/1`, 6)
  next.owned.splice(0, next.owned.length, { topic: REPARTITION, partition: 1 })
  next.purger.afterCommit()
  await new Promise((r) => setTimeout(r, 20))
  next.purger.afterCommit() // nothing moved since
  await next.purger.close()
  expect(next.calls).toEqual([[{ topic: REPARTITION, partition: 1, offset: 6 }]])
  expect(await starts(REPARTITION)).toEqual([3, 6])
})

it('a failed purge is retried at the next interval with the newest commit', async () => {
  const h = harness(100)
  h.failNext(1)
  h.committed.set(`${REPARTITION}/0`, 2)
  h.advance(100)
  h.purger.afterCommit()
  await new Promise((r) => setTimeout(r, 20))
  expect(await starts(REPARTITION)).toEqual([0, 0])
  h.committed.set(`${REPARTITION}/0`, 5)
  h.purger.afterCommit() // not due yet
  h.advance(100)
  h.purger.afterCommit()
  await h.purger.close()
  expect(h.calls.map((c) => c.map((o) => o.offset))).toEqual([[2], [5]])
  expect(await starts(REPARTITION)).toEqual([5, 0])
  h.advance(1_000)
  h.purger.afterCommit() // closed: no more purges
  expect(h.calls).toHaveLength(2)
})

describe('StreamsConfig.repartitionPurgeIntervalMs', () => {
  const base = { applicationId: 'app', broker: { inMemory: true as const }, logger: silentLogger() }
  it("defaults to 30000 (Kafka Streams' repartition.purge.interval.ms) and accepts 0", () => {
    expect(resolveStreamsConfig(base).repartitionPurgeIntervalMs).toBe(30_000)
    expect(resolveStreamsConfig({ ...base, repartitionPurgeIntervalMs: 0 }).repartitionPurgeIntervalMs).toBe(0)
  })
  it.each([-1, 1.5])('refuses %p with CONFIG_INVALID naming the option', (value) => {
    expect(() => resolveStreamsConfig({ ...base, repartitionPurgeIntervalMs: value })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('repartitionPurgeIntervalMs') }))
  })
})
