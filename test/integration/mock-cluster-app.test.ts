/**
 * StreamsApp over the Kafka protocol: the Kafka adapter on librdkafka's mock cluster, which the
 * test starts and stops itself. The mock cannot create topics (they are made here with the right
 * partition counts, and the app runs with topicCreation 'auto'), has no read_committed isolation
 * and drops offsets sent in transactions, so these run at_least_once; exactly-once isolation is
 * proven on the embedded broker (embedded-app*.test.ts, test/crash).
 */
import { StreamsApp, type RestoreEndEvent, type StreamsConfig } from 'streamfold'
import { silentLogger } from '../../src/logger'
import type { KafkaBroker } from '../../src/runtime/broker/kafka/kafka-broker'
import { startWorker } from '../crash/support/worker'
import { mockBroker } from '../kafka/kafka-test-kit'
import { useMockCluster } from '../support/mock-cluster/use-mock-cluster'
import {
  caughtUp,
  countTopology,
  keyedInput,
  latestCounts,
  produce,
  readTopic,
  referenceCounts,
  storeCounts,
  tempDirs,
  waitFor,
  waitForState,
} from './support/app-test-kit'

jest.setTimeout(90_000)
const kafka = useMockCluster()
const tempDir = tempDirs()
const PARTITIONS = 4

interface Names {
  readonly applicationId: string
  readonly input: string
  readonly output: string
  readonly store: string
}

let admin: KafkaBroker
beforeEach(() => {
  admin = mockBroker(kafka.bootstrapServers)
})
afterEach(async () => {
  await admin.close()
})

/** Topics of one test, pre-created: the mock cluster has no CreateTopics. */
async function setUp(prefix: string): Promise<Names> {
  const names = { applicationId: kafka.uniqueTopic(prefix), input: kafka.uniqueTopic(`${prefix}-in`), output: kafka.uniqueTopic(`${prefix}-out`), store: 'counts-store' }
  for (const topic of [names.input, names.output, `${names.applicationId}-${names.store}-changelog`]) await kafka.createTopic(topic, PARTITIONS)
  return names
}

function config(names: Names, stateDir: string, extra: Partial<StreamsConfig> = {}): StreamsConfig {
  return {
    applicationId: names.applicationId,
    broker: { bootstrapServers: kafka.bootstrapServers, topicCreation: 'auto', operationTimeoutMs: 10_000 },
    stateDir,
    logger: silentLogger(),
    commitIntervalMs: 200,
    sessionTimeoutMs: 2_500,
    heartbeatIntervalMs: 300,
    ...extra,
  }
}

const topologyOf = (names: Names) => countTopology(names.input, names.output, names.store)
const done = (names: Names) => () => caughtUp(admin.admin(), names.applicationId, names.input, PARTITIONS)

it('(a) two instances split the partitions of a stateful topology; the combined output equals the reference', async () => {
  const names = await setUp('split')
  const restored = { a: new Set<number>(), b: new Set<number>() }
  const a = new StreamsApp(topologyOf(names), config(names, tempDir(), { onRestore: { onRestoreEnd: (e) => void restored.a.add(e.partition) } }))
  const b = new StreamsApp(topologyOf(names), config(names, tempDir(), { onRestore: { onRestoreEnd: (e) => void restored.b.add(e.partition) } }))
  const input = keyedInput(names.input, 2_000, 50, 21)
  try {
    await a.start()
    await b.start()
    await waitFor(() => restored.a.size > 0 && restored.b.size > 0, 30_000, 'both instances to own tasks')
    await Promise.all([waitForState(a, 'RUNNING', 30_000), waitForState(b, 'RUNNING', 30_000)])
    await produce(admin, input)
    await waitFor(done(names), 30_000, 'input processed')
  } finally {
    await Promise.all([a.close(), b.close()])
  }
  expect(latestCounts(await readTopic(admin, names.output, 'read_uncommitted'))).toEqual(referenceCounts(input))
})

it('(b) an instance SIGKILLed mid-run: the other takes over, restores its state, counts nothing twice', async () => {
  const names = await setUp('failover')
  const input = keyedInput(names.input, 6_000, 50, 22)
  const childState = tempDir()
  const child = startWorker({
    kafka: { bootstrapServers: kafka.bootstrapServers, input: names.input, output: names.output, store: names.store },
    stateDir: childState,
    applicationId: names.applicationId,
    guarantee: 'at_least_once',
    partitions: PARTITIONS,
    untilDone: false,
    commitIntervalMs: 200,
    throttleEvery: 5,
  })
  const survivorState = tempDir()
  const restored: RestoreEndEvent[] = []
  const survivor = new StreamsApp(topologyOf(names), config(names, survivorState, { onRestore: { onRestoreEnd: (e) => void restored.push(e) } }))
  try {
    await child.waitFor('running')
    await survivor.start()
    await waitFor(() => restored.length === PARTITIONS / 2, 30_000, 'the survivor to own half the tasks')
    const before = new Set(restored.map((e) => e.partition))
    await produce(admin, input.slice(0, 4_000))
    await waitFor(async () => (await committedPerPartition(names)).every((n) => n >= 200), 30_000, 'progress on every partition, so on both instances')
    await child.kill()
    await produce(admin, input.slice(4_000))
    await waitFor(done(names), 60_000, 'input processed by the survivor')
    // The child's tasks were restored from their changelogs, with records in them.
    const takenOver = restored.filter((e) => !before.has(e.partition))
    expect(takenOver.map((e) => e.partition).sort()).toEqual([0, 1, 2, 3].filter((p) => !before.has(p)))
    expect(takenOver.reduce((n, e) => n + e.applied, 0)).toBeGreaterThan(0)
  } finally {
    await child.kill()
    await survivor.close()
  }
  const reference = referenceCounts(input)
  expect(await storeCounts(topologyOf(names), names.applicationId, survivorState, PARTITIONS, names.store)).toEqual(reference)
  expect(latestCounts(await readTopic(admin, names.output, 'read_uncommitted'))).toEqual(reference)
})

it('(c) a worker restarted on an empty state directory restores everything', async () => {
  const names = await setUp('fresh')
  const first = keyedInput(names.input, 1_500, 40, 23)
  const second = keyedInput(names.input, 500, 40, 24)
  await produce(admin, first)
  const one = new StreamsApp(topologyOf(names), config(names, tempDir()))
  await one.start()
  await waitFor(done(names), 30_000, 'first input processed')
  await one.close()

  const freshState = tempDir()
  const restored: RestoreEndEvent[] = []
  const two = new StreamsApp(topologyOf(names), config(names, freshState, { onRestore: { onRestoreEnd: (e) => void restored.push(e) } }))
  try {
    await two.start()
    await waitForState(two, 'RUNNING', 30_000)
    await produce(admin, second)
    await waitFor(done(names), 30_000, 'second input processed')
  } finally {
    await two.close()
  }
  expect(restored.map((e) => e.partition).sort()).toEqual([0, 1, 2, 3])
  expect(restored.reduce((n, e) => n + e.applied, 0)).toBeGreaterThanOrEqual(referenceCounts(first).size)
  const reference = referenceCounts([...first, ...second])
  expect(await storeCounts(topologyOf(names), names.applicationId, freshState, PARTITIONS, names.store)).toEqual(reference)
  expect(latestCounts(await readTopic(admin, names.output, 'read_uncommitted'))).toEqual(reference)
})

async function committedPerPartition(names: Names): Promise<number[]> {
  const partitions = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: names.input, partition }))
  const committed = await admin.admin().committedOffsets(names.applicationId, partitions)
  return partitions.map((tp) => committed.find((c) => c.partition === tp.partition)?.offset ?? 0)
}

