/**
 * The broker contract on the Kafka adapter, against librdkafka's mock cluster (a real Kafka-protocol
 * broker on loopback). What the mock broker itself cannot do is switched off; each skipped test
 * names the reason. Those behaviours are proven on the embedded broker's run of the same suite.
 */
import { KafkaBroker } from '../../src/runtime/broker/kafka/kafka-broker'
import { describeBrokerContract, type BrokerCapabilities } from '../contract/broker-contract'
import { startMockCluster } from '../support/mock-cluster/start-mock-cluster'

const SESSION_TIMEOUT_MS = 2_500
const MAX_POLL_INTERVAL_MS = 6_000

const capabilities: BrokerCapabilities = {
  // The mock answers CreateTopics and DeleteTopics with "unsupported"; topics come from the
  // harness's createTopics hook (the mock cluster's own API) instead.
  adminCreatesTopics: false,
  deleteTopics: false,
  topicsWithPartitions: true,
  transactions: true,
  // The mock never fences: InitProducerId hands a second producer with the same transactional.id
  // a new producer id instead of bumping the epoch. Fencing maps to TASK_MIGRATED (kafka-errors.test.ts).
  fencing: false,
  // The mock writes commit/abort markers but serves aborted and open-transaction records to
  // read_committed consumers, and drops offsets sent to a transaction.
  readCommitted: false,
  transactionalOffsets: false,
  // librdkafka heartbeats from a background thread, so Kafka evicts a member that stops polling
  // after max.poll.interval.ms (set low below), not after the session timeout.
  evictsSilentMembers: true,
  sessionTimeoutMs: SESSION_TIMEOUT_MS,
  rebalanceTimeoutMs: 20_000,
}

describeBrokerContract('kafka adapter on the mock cluster', capabilities, async () => {
  const cluster = await startMockCluster({ brokers: 3 })
  const broker = new KafkaBroker({
    bootstrapServers: cluster.bootstrapServers,
    topicCreation: 'auto',
    operationTimeoutMs: 10_000,
    // The contract leaves the session timeout to the broker's default (45 s in librdkafka), and the
    // mock waits about that long for members to rejoin on every rebalance.
    rdkafkaConsumer: { 'session.timeout.ms': SESSION_TIMEOUT_MS, 'max.poll.interval.ms': MAX_POLL_INTERVAL_MS },
  })
  return {
    broker,
    createTopics: async (specs) => {
      for (const s of specs) await cluster.createTopic(s.name, s.partitions)
    },
    cleanup: async () => {
      await broker.close()
      await cluster.stop()
    },
  }
})
