/**
 * The production error handler through StreamsApp on the embedded broker: output records the broker
 * refuses for good (a topic that does not exist with auto-creation off, a value above
 * maxMessageBytes). `skip` drops them with one warn line and commits the rest; `fail` never
 * commits past them and the app ends in ERROR; a refused changelog record always fails.
 */
import { Serdes, StreamBuilder, StreamsApp, type StreamsConfig } from 'streamfold'
import type { OutgoingRecord } from '../../src/runtime/broker/broker'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import { kafkaRecordSize } from '../../src/runtime/broker/embedded/kafka-record-size'
import { createErrorHandlers, type ProductionErrorPolicy } from '../../src/runtime/errors/error-handlers'
import type { ProcessingGuarantee } from '../../src/runtime/streams-config'
import { mockBroker } from '../kafka/kafka-test-kit'
import { captureLogs } from '../observability/support/log-capture'
import { useMockCluster } from '../support/mock-cluster/use-mock-cluster'
import { caughtUp, countTopology, produce, readTopic, tempDirs, waitFor, waitForState } from './support/app-test-kit'

const tempDir = tempDirs()
const MAX_MESSAGE_BYTES = 500
/** Input values that make the topology write a refused record; they also carry a secret that must never be logged. */
const TO_MISSING = 'to-missing-secret-4711'
const OVERSIZED = 'oversized-secret-4711'

let broker: EmbeddedBroker
beforeEach(async () => {
  broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0, autoCreateTopics: false, maxMessageBytes: MAX_MESSAGE_BYTES })
  await broker.admin().ensureTopics([{ name: 'in', partitions: 1 }, { name: 'out', partitions: 1 }])
})
afterEach(async () => {
  await broker.close()
})

/**
 * `input` -> `output`, except TO_MISSING goes to the topic `nowhere` (absent) and OVERSIZED
 * becomes a value `grow` times as long, too large for the broker.
 */
function routing(input = 'in', output = 'out', grow = 100) {
  const builder = new StreamBuilder()
  builder
    .stream(input, { key: Serdes.string(), value: Serdes.string() })
    .mapValues((_k, v) => (v === OVERSIZED ? v.repeat(grow) : v))
    .to((_k, v) => (v === TO_MISSING ? 'nowhere' : output), { key: Serdes.string(), value: Serdes.string() })
  return builder.build()
}

const input = (values: readonly string[], from = 0, topic = 'in'): OutgoingRecord[] =>
  values.map((v, i) => ({ topic, partition: 0, key: Buffer.from(`k${i % 3}`), value: Buffer.from(v), timestamp: 1_000 + from + i, headers: [] }))

function app(applicationId: string, guarantee: ProcessingGuarantee, production: ProductionErrorPolicy, extra: Partial<StreamsConfig> = {}) {
  const logs = captureLogs('info')
  const errorHandlers = createErrorHandlers({ production, logger: logs.logger })
  const config: StreamsConfig = {
    applicationId,
    broker: { instance: broker },
    stateDir: tempDir(),
    logger: logs.logger,
    commitIntervalMs: 20,
    processingGuarantee: guarantee,
    errorHandlers,
    ...extra,
  }
  return { app: new StreamsApp(routing(), config), logs, errorHandlers }
}

const committed = async (groupId: string) => (await broker.admin().committedOffsets(groupId, [{ topic: 'in', partition: 0 }]))[0]?.offset

describe.each(['at_least_once', 'exactly_once'] as const)('production errors (%s)', (guarantee) => {
  it('skip: drops refused records with one warn line each, keeps running and commits the rest', async () => {
    const id = `skip-${guarantee}`
    const { app: streams, logs, errorHandlers } = app(id, guarantee, 'skip')
    await streams.start()
    await produce(broker, input(['a', TO_MISSING, 'b', OVERSIZED, 'c']))
    await waitFor(() => caughtUp(broker.admin(), id, 'in', 1), 10_000, 'input committed')
    expect(streams.state).toBe('RUNNING')
    // Still running: more input flows through.
    await produce(broker, input(['d'], 5))
    await waitFor(() => caughtUp(broker.admin(), id, 'in', 1), 10_000, 'more input committed')
    await streams.close()

    expect((await readTopic(broker, 'out')).map((r) => r.value!.toString())).toEqual(['a', 'b', 'c', 'd'])
    expect(await committed(id)).toBe(6)
    expect(errorHandlers.outcomes.snapshot()).toEqual({ 'production/skipped': 2 })
    const skipped = logs.lines.filter((l) => l.stage === 'production')
    expect(skipped.map((l) => [l.level, l.code, l.topic])).toEqual([
      [40, 'TOPIC_NOT_FOUND', 'nowhere'],
      [40, 'PRODUCTION_FAILED', 'out'],
    ])
    expect(skipped[1]).toMatchObject({ partition: 0 })
    expect(String(skipped[1]!.reason)).toContain(`maxMessageBytes (${MAX_MESSAGE_BYTES}`)
    expect(logs.text()).not.toContain('secret')
  })

  it.each([
    ['a missing topic', TO_MISSING, 'TOPIC_NOT_FOUND'],
    ['an oversized value', OVERSIZED, 'PRODUCTION_FAILED'],
  ])('fail: never commits past %s; the app retries the commit, then ends in ERROR', async (_what, refused, code) => {
    const id = `fail-${guarantee}-${code}`
    const { app: streams, logs, errorHandlers } = app(id, guarantee, 'fail')
    await streams.start()
    await produce(broker, input(['a', 'b']))
    await waitFor(() => caughtUp(broker.admin(), id, 'in', 1), 10_000, 'first records committed')
    await produce(broker, input([refused, 'c'], 2))
    await waitForState(streams, 'ERROR')
    await streams.close()

    expect(await committed(id)).toBe(2)
    expect(streams.error).toMatchObject({ code, coordinates: { topic: refused === TO_MISSING ? 'nowhere' : 'out' } })
    // Every attempt met the same record: the handler said fail each time.
    expect(errorHandlers.outcomes.count('production', 'failed')).toBeGreaterThanOrEqual(2)
    expect(logs.lines.some((l) => l.msg === 'commit failed; rolled back')).toBe(true)
    expect(logs.text()).not.toContain('secret')
    const out = (await readTopic(broker, 'out')).map((r) => r.value!.toString())
    if (guarantee === 'exactly_once') expect(out).toEqual(['a', 'b'])
    else expect(out.slice(0, 2)).toEqual(['a', 'b']) // at_least_once: 'c' may have been written by a failed flush
  })
})

it('a refused changelog record fails the commit even with skip: the store must not get ahead of its changelog', async () => {
  await broker.admin().ensureTopics([{ name: 'counts', partitions: 1 }])
  const { logs, errorHandlers } = app('changelog', 'exactly_once', 'skip')
  const streams = new StreamsApp(countTopology('in', 'counts'), {
    applicationId: 'changelog',
    broker: { instance: broker },
    stateDir: tempDir(),
    logger: logs.logger,
    commitIntervalMs: 20,
    processingGuarantee: 'exactly_once',
    errorHandlers,
  })
  await streams.start()
  await produce(broker, input(['a', 'b']))
  await waitFor(() => caughtUp(broker.admin(), 'changelog', 'in', 1), 10_000, 'first records committed')
  // An input record of exactly the limit: its count and changelog records (key, count, `__src` header) are larger.
  const huge: OutgoingRecord = { topic: 'in', partition: 0, key: Buffer.alloc(MAX_MESSAGE_BYTES - 71, 'k'), value: Buffer.from('v'), timestamp: 2_000, headers: [] }
  expect(kafkaRecordSize(huge)).toBe(MAX_MESSAGE_BYTES)
  await produce(broker, [huge])
  await waitForState(streams, 'ERROR')
  await streams.close()
  expect(await committed('changelog')).toBe(2)
  expect(streams.error).toMatchObject({ code: 'PRODUCTION_FAILED', coordinates: { topic: 'changelog-counts-store-changelog' } })
  // The output record went to the handler (skipped); the changelog record never did.
  expect(logs.lines.filter((l) => l.stage === 'production').map((l) => l.topic)).not.toContain('changelog-counts-store-changelog')
  expect(errorHandlers.outcomes.count('production', 'skipped')).toBeGreaterThanOrEqual(1)
})

describe('on the Kafka protocol (Kafka adapter, mock cluster)', () => {
  const kafka = useMockCluster()

  it('skip: drops an output record larger than the producer\'s message.max.bytes and commits the rest (at_least_once)', async () => {
    const id = kafka.uniqueTopic('skip-kafka')
    const [topicIn, topicOut] = [kafka.uniqueTopic('in'), kafka.uniqueTopic('out')]
    for (const topic of [topicIn, topicOut]) await kafka.createTopic(topic, 1)
    const kafkaBroker = mockBroker(kafka.bootstrapServers)
    const logs = captureLogs('info')
    const errorHandlers = createErrorHandlers({ production: 'skip', logger: logs.logger })
    const streams = new StreamsApp(routing(topicIn, topicOut, 60_000), {
      applicationId: id,
      broker: { instance: kafkaBroker },
      stateDir: tempDir(),
      logger: logs.logger,
      commitIntervalMs: 100,
      sessionTimeoutMs: 2_500,
      heartbeatIntervalMs: 300,
      errorHandlers,
    })
    try {
      await produce(kafkaBroker, input(['a', OVERSIZED, 'b'], 0, topicIn))
      await streams.start()
      await waitFor(() => caughtUp(kafkaBroker.admin(), id, topicIn, 1), 30_000, 'input committed')
      expect(streams.state).toBe('RUNNING')
    } finally {
      await streams.close()
    }
    expect((await readTopic(kafkaBroker, topicOut, 'read_uncommitted')).map((r) => r.value!.toString())).toEqual(['a', 'b'])
    expect(errorHandlers.outcomes.snapshot()).toEqual({ 'production/skipped': 1 })
    const skipped = logs.lines.find((l) => l.stage === 'production')
    expect(skipped).toMatchObject({ level: 40, code: 'PRODUCTION_FAILED', topic: topicOut })
    expect(String(skipped!.reason)).toContain("message.max.bytes is 1000000")
    expect(logs.text()).not.toContain('secret')
    await kafkaBroker.close()
  }, 60_000)
})
