/**
 * GlobalKTable over the Kafka protocol (the Kafka adapter on librdkafka's mock cluster): two
 * instances in one group split the stream's partitions, and each holds the whole table, so every
 * order joins whichever instance processes it and whichever table partition its customer is in.
 */
import { Serdes, StreamBuilder, StreamsApp, type StreamsConfig } from 'streamfold'
import { silentLogger } from '../../src/logger'
import type { KafkaBroker } from '../../src/runtime/broker/kafka/kafka-broker'
import type { OutgoingRecord } from '../../src/runtime/broker/broker'
import { mockBroker } from '../kafka/kafka-test-kit'
import { useMockCluster } from '../support/mock-cluster/use-mock-cluster'
import { caughtUp, produce, readTopic, tempDirs, waitFor, waitForState } from './support/app-test-kit'

jest.setTimeout(90_000)
const kafka = useMockCluster()
const tempDir = tempDirs()
const str = Serdes.string()

let admin: KafkaBroker
beforeEach(() => {
  admin = mockBroker(kafka.bootstrapServers)
})
afterEach(async () => {
  await admin.close()
})

it('two instances each hold the whole global table: every order is joined, on whichever instance', async () => {
  const applicationId = kafka.uniqueTopic('global-app')
  const customers = kafka.uniqueTopic('customers')
  const orders = kafka.uniqueTopic('orders')
  const enriched = kafka.uniqueTopic('enriched')
  await kafka.createTopic(customers, 4)
  await kafka.createTopic(orders, 4)
  await kafka.createTopic(enriched, 4)
  const ids = Array.from({ length: 60 }, (_, i) => `c${i}`)
  const record = (topic: string, key: string, value: string): OutgoingRecord => ({ topic, key: Buffer.from(key), value: Buffer.from(value), timestamp: 1, headers: [] })
  await produce(admin, ids.map((id) => record(customers, id, `name-${id}`)))

  const joinedBy = { a: 0, b: 0 }
  const topology = (instance: 'a' | 'b') => {
    const b = new StreamBuilder()
    const table = b.globalTable(customers, { key: str, value: str })
    b.stream(orders, { key: str, value: str })
      .peek(() => void joinedBy[instance]++)
      .join(table, (_order, customerId) => customerId, (order, customerId, name) => `${order}:${customerId}:${name}`)
      .to(enriched, { key: str, value: str })
    return b.build()
  }
  const config = (): StreamsConfig => ({
    applicationId,
    broker: { bootstrapServers: kafka.bootstrapServers, topicCreation: 'auto', operationTimeoutMs: 10_000 },
    stateDir: tempDir(),
    logger: silentLogger(),
    commitIntervalMs: 200,
    sessionTimeoutMs: 2_500,
    heartbeatIntervalMs: 300,
  })
  const a = new StreamsApp(topology('a'), config())
  const b = new StreamsApp(topology('b'), config())
  try {
    await a.start()
    await b.start()
    await Promise.all([waitForState(a, 'RUNNING', 30_000), waitForState(b, 'RUNNING', 30_000)])
    // Orders keyed so they spread over all 4 stream partitions, each naming a customer anywhere.
    await produce(admin, ids.map((id, i) => record(orders, `o${i}`, id)))
    await waitFor(() => caughtUp(admin.admin(), applicationId, orders, 4), 30_000, 'orders processed')
  } finally {
    await Promise.all([a.close(), b.close()])
  }
  const out = (await readTopic(admin, enriched, 'read_uncommitted')).map((r) => r.value!.toString()).sort()
  expect(out).toEqual(ids.map((id, i) => `o${i}:${id}:name-${id}`).sort())
  // Both instances processed orders, and every order joined: the table was whole on each.
  expect(joinedBy.a).toBeGreaterThan(0)
  expect(joinedBy.b).toBeGreaterThan(0)
  expect(joinedBy.a + joinedBy.b).toBeGreaterThanOrEqual(ids.length)
})
