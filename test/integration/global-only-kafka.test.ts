/**
 * A global-only app (one GlobalKTable, nothing else) over the Kafka protocol (the Kafka adapter on
 * librdkafka's mock cluster, LevelDB state): it never joins the consumer group, is RUNNING once
 * the table is read, serves it to interactive queries, follows the topic, and a restart reads
 * only what was written since.
 */
import { Serdes, StreamsApp, type StreamsConfig } from 'streamfold'
import type { KafkaBroker } from '../../src/runtime/broker/kafka/kafka-broker'
import { captureLogs } from '../observability/support/log-capture'
import { mockBroker, outgoing } from '../kafka/kafka-test-kit'
import { useMockCluster } from '../support/mock-cluster/use-mock-cluster'
import { produce, tempDirs, waitFor } from './support/app-test-kit'
import { bootstrapCounts, countingBroker, globalOnlyTopology, startGlobalOnly } from './support/global-only-fixtures'

jest.setTimeout(90_000)
const kafka = useMockCluster()
const tempDir = tempDirs()

let broker: KafkaBroker
beforeEach(() => {
  broker = mockBroker(kafka.bootstrapServers)
})
afterEach(async () => {
  await broker.close()
})

it('serves the whole topic from its global store, follows it, and resumes from its stored offsets', async () => {
  const topic = kafka.uniqueTopic('customers')
  await kafka.createTopic(topic, 4)
  const ids = Array.from({ length: 40 }, (_, i) => `c${i}`)
  await produce(broker, ids.map((id) => outgoing(topic, id, `name-${id}`)))
  const logs = captureLogs('info')
  const bootstrapped = bootstrapCounts(logs)
  const counted = countingBroker(broker)
  const config: StreamsConfig = { applicationId: kafka.uniqueTopic('global-only'), broker: { instance: counted.broker }, stateDir: tempDir(), logger: logs.logger, processingGuarantee: 'exactly_once' }

  const app = new StreamsApp(globalOnlyTopology(Serdes.string(), topic), config)
  const states = await startGlobalOnly(app)
  expect(bootstrapped()).toEqual([40])
  const store = app.store<string, string>('customers')
  expect(store.get('c33')).toBe('name-c33')
  expect(await store.approximateNumEntries()).toBe(40)
  await produce(broker, [outgoing(topic, 'c0', 'renamed'), outgoing(topic, 'c100', 'new')])
  await waitFor(() => store.get('c100') === 'new' && store.get('c0') === 'renamed', 20_000, 'updates applied')
  expect(await app.close({ timeoutMs: 20_000 })).toBe(true)
  expect(states).toEqual(['REBALANCING', 'RUNNING', 'PENDING_SHUTDOWN', 'NOT_RUNNING'])
  expect(counted.calls).toEqual({ consumer: 0, producer: 0 })

  await produce(broker, [outgoing(topic, 'c200', 'late')])
  const again = new StreamsApp(globalOnlyTopology(Serdes.string(), topic), config)
  await again.start()
  expect(bootstrapped()).toEqual([40, 1])
  const restarted = again.store<string, string>('customers')
  expect([restarted.get('c200'), restarted.get('c100'), restarted.get('c0'), restarted.get('c5')]).toEqual(['late', 'new', 'renamed', 'name-c5'])
  expect(await again.close({ timeoutMs: 20_000 })).toBe(true)
})
