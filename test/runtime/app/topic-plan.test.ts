import { Serdes, StreamBuilder, TimeWindows } from 'streamfold'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../../src/runtime/broker/embedded/embedded-broker'
import { planTopics } from '../../../src/runtime/app/topic-plan'

const str = Serdes.string()
let broker: EmbeddedBroker
beforeEach(async () => {
  broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0, autoCreateTopics: false })
})
afterEach(async () => {
  await broker.close()
})

const plan = (builder: StreamBuilder, dedup?: Parameters<typeof planTopics>[0]['dedup'], applicationId = 'app') =>
  planTopics({ topology: builder.build(), applicationId, admin: broker.admin(), dedup })

describe('planTopics', () => {
  it('derives repartition counts in dependency order and sizes changelogs per sub-topology', async () => {
    await broker.admin().ensureTopics([{ name: 'a', partitions: 2 }, { name: 'b', partitions: 5 }])
    const b = new StreamBuilder()
    const first = b.stream('a', { key: str, value: str }).repartition({ name: 'r1' })
    first.merge(b.stream('b', { key: str, value: str })).repartition({ name: 'r2' }).groupByKey().count({ name: 'total' })
    // r1 is read together with b: it takes b's count (co-partitioning); r2 takes its writer's.
    const merged = await plan(b)
    expect(merged.internalTopics.map((t) => [t.name, t.partitions])).toEqual([
      ['app-r1-repartition', 5],
      ['app-r2-repartition', 5],
      ['app-total-changelog', 5],
    ])

    const c = new StreamBuilder()
    const one = c.stream('a', { key: str, value: str }).repartition({ name: 'r1' })
    one.repartition({ name: 'r2' }).groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(1_000)).count({ name: 'per-second' })
    c.stream('b', { key: str, value: str }).repartition({ name: 'r3', partitions: 7 }).groupByKey().count({ name: 'wide' })
    const result = await plan(c, undefined, 'two')
    const counts = await broker.admin().partitionCounts(result.internalTopics.map((t) => t.name))
    expect(Object.fromEntries(counts)).toEqual({
      'two-r1-repartition': 2,
      'two-r2-repartition': 2,
      'two-r3-repartition': 7,
      'two-per-second-changelog': 2,
      'two-wide-changelog': 7,
    })
    const windowed = result.internalTopics.find((t) => t.name === 'two-per-second-changelog')!
    expect(windowed.config).toMatchObject({ 'cleanup.policy': 'compact,delete' })
    // Kafka Streams' repartition overrides: no retention (the app purges what it committed).
    for (const name of ['two-r1-repartition', 'two-r2-repartition', 'two-r3-repartition']) {
      expect(result.internalTopics.find((t) => t.name === name)!.config).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': '-1', 'segment.bytes': '52428800' })
    }
    expect(result.internalTopics.find((t) => t.name === 'two-wide-changelog')!.config).toEqual({ 'cleanup.policy': 'compact' })
    expect([...result.partitions.values()].sort()).toEqual([2, 2, 2, 5, 7])
  })

  it('keeps an existing repartition topic, and refuses one whose count contradicts the topology', async () => {
    await broker.admin().ensureTopics([{ name: 'a', partitions: 2 }, { name: 'app-r1-repartition', partitions: 4 }])
    const b = new StreamBuilder()
    b.stream('a', { key: str, value: str }).repartition({ name: 'r1' }).groupByKey().count({ name: 'n' })
    const result = await plan(b)
    expect(result.internalTopics.find((t) => t.name === 'app-n-changelog')!.partitions).toBe(4)

    const c = new StreamBuilder()
    c.stream('a', { key: str, value: str }).repartition({ name: 'r1', partitions: 3 }).groupByKey().count({ name: 'n' })
    await expect(plan(c)).rejects.toMatchObject({ code: 'PARTITION_MISMATCH', message: expect.stringContaining('app-r1-repartition exists with 4 partitions') })
  })

  it('refuses an existing changelog with the wrong partition count', async () => {
    await broker.admin().ensureTopics([{ name: 'a', partitions: 2 }, { name: 'app-n-changelog', partitions: 3 }])
    const b = new StreamBuilder()
    b.stream('a', { key: str, value: str }).groupByKey().count({ name: 'n' })
    await expect(plan(b)).rejects.toMatchObject({ code: 'PARTITION_MISMATCH', message: expect.stringContaining('app-n-changelog has 3, needs 2') })
  })

  it('adds the dedup changelog to the sub-topology that reads the dedup topics', async () => {
    await broker.admin().ensureTopics([{ name: 'a', partitions: 2 }, { name: 'b', partitions: 3 }])
    const b = new StreamBuilder()
    b.stream('a', { key: str, value: str }).to('x', { key: str, value: str })
    b.stream('b', { key: str, value: str }).to('y', { key: str, value: str })
    const result = await plan(b, { retentionMs: 1_000, by: { b: () => 'id' } })
    expect(result.internalTopics).toEqual([expect.objectContaining({ name: 'app-__dedup-changelog', partitions: 3 })])
    await expect(plan(b, { retentionMs: 1_000, by: { a: () => 'id', b: () => 'id' } })).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })
})
