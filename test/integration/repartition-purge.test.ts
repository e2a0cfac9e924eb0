/**
 * Repartition topics are purged up to the group's committed offsets (Kafka Streams'
 * repartition.purge.interval.ms), on the embedded broker: the log start moves up to the commit
 * and never past it, results stay correct across a restart, a failing purge never stops the app,
 * and the user's source topic is never touched.
 */
import { StreamsApp, type StreamsConfig } from 'streamfold'
import { silentLogger } from '../../src/logger'
import type { Broker, BrokerAdmin, TopicPartition, TopicPartitionOffset } from '../../src/runtime/broker/broker'
import { captureLogger } from '../state/support/capture-logger'
import { pageCounts, referencePageCounts, sameCounts, views } from './support/page-count-fixtures'
import { inMemoryCountBroker, latestCounts, produce, readTopic, tempDirs, waitFor, waitForState } from './support/app-test-kit'

const tempDir = tempDirs()
const broker = inMemoryCountBroker()
const PARTITIONS = 2

const partitionsOf = (topic: string): TopicPartition[] => Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition }))
const offsetsOf = (list: readonly TopicPartitionOffset[]): number[] => [...list].sort((a, b) => a.partition - b.partition).map((o) => o.offset)

async function committed(admin: BrokerAdmin, group: string, topic: string): Promise<number[]> {
  const found = await admin.committedOffsets(group, partitionsOf(topic))
  return partitionsOf(topic).map((tp) => found.find((o) => o.partition === tp.partition)?.offset ?? 0)
}

function config(applicationId: string, stateDir: string, instance: Broker, extra: Partial<StreamsConfig> = {}): StreamsConfig {
  return { applicationId, broker: { instance }, stateDir, logger: silentLogger(), commitIntervalMs: 50, repartitionPurgeIntervalMs: 0, ...extra }
}

describe.each(['at_least_once', 'exactly_once'] as const)('repartition purge (%s)', (processingGuarantee) => {
  it('moves the log start up to the committed offset, never past it; results stay correct across a restart', async () => {
    const applicationId = `purge-${processingGuarantee}`
    const repartition = `${applicationId}-by-page-repartition`
    const admin = broker().admin()
    const stateDir = tempDir()
    const first = views(400, 3)
    await produce(broker(), first)
    const app = new StreamsApp(pageCounts({ readDelayMs: 0.5 }), config(applicationId, stateDir, broker(), { processingGuarantee, maxBatchRecords: 10 }))
    // Sampled while the app runs: the log start must never pass the group's commit.
    const violations: string[] = []
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        const starts = offsetsOf(await admin.beginningOffsets(partitionsOf(repartition)).catch(() => []))
        const commits = await committed(admin, applicationId, repartition).catch(() => [])
        // Read the commit after the start: a commit made in between only raises the bound.
        starts.forEach((start, p) => {
          if (commits[p] !== undefined && start > commits[p]!) violations.push(`p${p}: start ${start} > committed ${commits[p]}`)
        })
        await new Promise((r) => setTimeout(r, 5))
      }
    })()
    try {
      await app.start()
      await waitFor(async () => sameCounts(latestCounts(await readTopic(broker(), 'counts')), referencePageCounts(first)), 20_000, 'first counts')
      // Every repartition record was processed and committed, then purged up to that commit.
      await waitFor(
        async () => {
          const [starts, commits] = [offsetsOf(await admin.beginningOffsets(partitionsOf(repartition))), await committed(admin, applicationId, repartition)]
          return commits.reduce((a, b) => a + b, 0) >= first.length && starts.every((s, p) => s === commits[p])
        },
        20_000,
        'repartition topic purged up to the commit',
      )
      expect(await app.close()).toBe(true)
    } finally {
      sampling = false
      await sampler
    }
    expect(violations).toEqual([])
    const starts = offsetsOf(await admin.beginningOffsets(partitionsOf(repartition)))
    expect(starts).toEqual(await committed(admin, applicationId, repartition))
    expect(starts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(first.length)
    // The user's source topic keeps every record, although the group committed all of it.
    expect(offsetsOf(await admin.beginningOffsets(partitionsOf('in')))).toEqual([0, 0])
    expect((await committed(admin, applicationId, 'in')).reduce((a, b) => a + b, 0)).toBe(first.length)

    // Nothing the app still needed was purged: a restart goes on from the commit.
    const second = views(200, 11)
    await produce(broker(), second)
    const again = new StreamsApp(pageCounts(), config(applicationId, stateDir, broker(), { processingGuarantee, maxBatchRecords: 10 }))
    await again.start()
    const expected = referencePageCounts([...first, ...second])
    await waitFor(async () => sameCounts(latestCounts(await readTopic(broker(), 'counts')), expected), 20_000, 'counts after the restart')
    expect(await again.close()).toBe(true)
    expect(latestCounts(await readTopic(broker(), 'counts'))).toEqual(expected)
    const output = await readTopic(broker(), 'counts')
    if (processingGuarantee === 'exactly_once') expect(output).toHaveLength(first.length + second.length)
  })
})

it('keeps the repartition topic whole with purging every 30 s (the default) within a short run', async () => {
  const applicationId = 'purge-default'
  const input = views(100, 5)
  await produce(broker(), input)
  const app = new StreamsApp(pageCounts(), config(applicationId, tempDir(), broker(), { repartitionPurgeIntervalMs: undefined }))
  await app.start()
  await waitFor(async () => sameCounts(latestCounts(await readTopic(broker(), 'counts')), referencePageCounts(input)), 20_000, 'counts')
  await new Promise((r) => setTimeout(r, 300)) // several commits
  expect(await app.close()).toBe(true)
  expect(offsetsOf(await broker().admin().beginningOffsets(partitionsOf(`${applicationId}-by-page-repartition`)))).toEqual([0, 0])
})

it('a failing purge is logged and retried; the app keeps running and its results stay correct', async () => {
  const applicationId = 'purge-failing'
  const real = broker()
  const attempts: TopicPartitionOffset[][] = []
  const failingAdmin: BrokerAdmin = Object.assign(Object.create(real.admin()) as BrokerAdmin, {
    deleteRecords: async (offsets: readonly TopicPartitionOffset[]) => {
      attempts.push([...offsets])
      throw new Error('DeleteRecords refused (test)')
    },
  })
  const failing: Broker = {
    kind: real.kind,
    admin: () => failingAdmin,
    consumer: (options) => real.consumer(options),
    producer: (options) => real.producer(options),
    reader: () => real.reader(),
    close: async () => undefined,
  }
  const logger = captureLogger()
  const input = views(300, 8)
  await produce(real, input)
  const app = new StreamsApp(pageCounts(), { ...config(applicationId, tempDir(), failing), logger })
  await app.start()
  await waitFor(async () => sameCounts(latestCounts(await readTopic(real, 'counts')), referencePageCounts(input)), 20_000, 'counts')
  await waitFor(() => attempts.length >= 3, 10_000, 'purge retried')
  await waitForState(app, 'RUNNING')
  expect(await app.close()).toBe(true)
  expect(app.error).toBeUndefined()
  // Every attempt asked for repartition partitions only, never the source topic.
  expect(new Set(attempts.flat().map((o) => o.topic))).toEqual(new Set([`${applicationId}-by-page-repartition`]))
  expect(logger.lines.filter((l) => l.level === 'warn' && /purging consumed repartition records failed/.test(l.msg ?? '')).length).toBeGreaterThanOrEqual(3)
  expect(offsetsOf(await real.admin().beginningOffsets(partitionsOf(`${applicationId}-by-page-repartition`)))).toEqual([0, 0])
})
