/**
 * The Kafka adapter's deleteRecords, as far as librdkafka's mock cluster allows: the mock has no
 * DeleteRecords handler (rdkafka_mock_handlers.c in librdkafka 2.15.1), so librdkafka answers each
 * partition with "Required feature not supported by broker" (-165) without a request on the wire.
 * What the mock proves: the call reaches librdkafka's AdminClient with our partitions, per-partition
 * errors become BROKER_ERROR naming the partition, quickly; and a StreamsApp whose purges all fail
 * this way keeps running with correct results. That records really go is proven on the embedded
 * broker (test/integration/repartition-purge.test.ts); on a real cluster see docs/kafka.md.
 */
import { StreamsApp } from 'streamfold'
import { captureLogger } from '../state/support/capture-logger'
import { latestCounts, produce, readTopic, tempDirs, waitFor, waitForState } from '../integration/support/app-test-kit'
import { pageCounts, referencePageCounts, sameCounts, views } from '../integration/support/page-count-fixtures'
import { useMockCluster } from '../support/mock-cluster/use-mock-cluster'
import { brokerPerTest, mockBroker, outgoing } from './kafka-test-kit'

jest.setTimeout(60_000)
const kafka = useMockCluster()
const tempDir = tempDirs()
/** librdkafka's RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE. */
const UNSUPPORTED_FEATURE = -165

describe('Kafka adapter: deleteRecords on the mock cluster', () => {
  const broker = brokerPerTest(kafka)

  it('hands the partitions to librdkafka and reports its per-partition refusal as BROKER_ERROR', async () => {
    const topic = kafka.uniqueTopic('purge')
    await kafka.createTopic(topic, 2)
    const producer = broker().producer()
    await producer.connect()
    for (let i = 0; i < 6; i++) producer.send(outgoing(topic, null, 'v', { partition: 1 }))
    await producer.flush()
    const admin = broker().admin()
    await expect(admin.deleteRecords([])).resolves.toBeUndefined()
    const started = Date.now()
    await expect(admin.deleteRecords([{ topic, partition: 1, offset: 4 }])).rejects.toMatchObject({
      code: 'BROKER_ERROR',
      coordinates: { topic, partition: 1 },
      cause: expect.objectContaining({ code: UNSUPPORTED_FEATURE }),
    })
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(await admin.beginningOffsets([{ topic, partition: 1 }])).toEqual([{ topic, partition: 1, offset: 0 }])
  })
})

it('a StreamsApp on the mock keeps running when every purge is refused; results stay correct', async () => {
  const applicationId = kafka.uniqueTopic('purge-app')
  const input = kafka.uniqueTopic('purge-in')
  const output = kafka.uniqueTopic('purge-out')
  // The mock has no CreateTopics: every topic the app uses is made here, with 4 partitions.
  for (const topic of [input, output, `${applicationId}-by-page-repartition`, `${applicationId}-page-counts-changelog`]) await kafka.createTopic(topic, 4)
  const logger = captureLogger()
  const app = new StreamsApp(pageCounts({ input, output }), {
    applicationId,
    broker: { bootstrapServers: kafka.bootstrapServers, topicCreation: 'auto', operationTimeoutMs: 10_000 },
    stateDir: tempDir(),
    logger,
    commitIntervalMs: 100,
    repartitionPurgeIntervalMs: 0,
    sessionTimeoutMs: 2_500,
    heartbeatIntervalMs: 300,
  })
  const records = views(400, 4, input)
  const client = mockBroker(kafka.bootstrapServers)
  const refused = () => logger.lines.filter((l) => l.level === 'warn' && /purging consumed repartition records failed/.test(l.msg ?? ''))
  try {
    await app.start()
    await waitForState(app, 'RUNNING', 30_000)
    await produce(client, records)
    await waitFor(async () => sameCounts(latestCounts(await readTopic(client, output, 'read_uncommitted')), referencePageCounts(records)), 30_000, 'counts')
    await waitFor(() => refused().length >= 2, 10_000, 'refused purges')
    expect(app.state).toBe('RUNNING')
  } finally {
    await app.close()
    await client.close()
  }
  expect(app.error).toBeUndefined()
  expect(refused()[0]!.obj).toMatchObject({ err: expect.objectContaining({ code: 'BROKER_ERROR' }) })
})
