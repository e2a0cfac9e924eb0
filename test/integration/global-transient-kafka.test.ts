/**
 * The background updates of a global store over the Kafka protocol (librdkafka's mock cluster,
 * LevelDB) while the broker answers ListOffsets with NOT_LEADER_OR_FOLLOWER, as during a leader
 * election in a rolling restart: the next catch-up tries again (Kafka Streams' global consumer
 * rides out leader changes); only errors lasting past the retry time stop the app.
 */
import { GlobalState } from '../../src/runtime/global/global-state'
import { GlobalUpdater } from '../../src/runtime/global/global-updater'
import type { KeyValueStore } from '../../src/state/key-value-store'
import { FAIL_ON_ERRORS } from '../../src/runtime/task/record-error-handlers'
import type { KafkaBroker } from '../../src/runtime/broker/kafka/kafka-broker'
import { brokerPerTest, outgoing } from '../kafka/kafka-test-kit'
import { useMockCluster } from '../support/mock-cluster/use-mock-cluster'
import { captureLogs } from '../observability/support/log-capture'
import { tempDirs, waitFor } from './support/app-test-kit'
import { customersJoinTopology } from './support/global-table-fixtures'

jest.setTimeout(60_000)
const kafka = useMockCluster()
const broker = brokerPerTest(kafka)
const tempDir = tempDirs()
const LIST_OFFSETS = 2
const NOT_LEADER_OR_FOLLOWER = 6

async function withUpdater(retryForMs: number | undefined, fn: (u: GlobalUpdater, b: KafkaBroker, topic: string, logs: ReturnType<typeof captureLogs>, rowOf: (k: string) => string | undefined) => Promise<void>): Promise<void> {
  const topic = kafka.uniqueTopic('customers')
  await kafka.createTopic(topic, 2)
  const b = broker()
  const specs = customersJoinTopology('leftJoin').globalStores.map((s) => ({ ...s, topic }))
  const logs = captureLogs('debug')
  const globals = await GlobalState.open({ applicationId: kafka.uniqueTopic('global-transient'), specs, stateDir: tempDir(), errorHandlers: FAIL_ON_ERRORS })
  const reader = b.reader()
  const source = { reader, offsets: b.admin(), partitions: new Map([[topic, 2]]), isolationLevel: 'read_uncommitted' as const }
  const updater = new GlobalUpdater(globals, source, logs.logger, { intervalMs: 10, ...(retryForMs === undefined ? {} : { retryForMs }) })
  const rowOf = (k: string) => (globals.store('customers') as KeyValueStore<string, { value: string }>).get(k)?.value
  try {
    await updater.bootstrap()
    await fn(updater, b, topic, logs, rowOf)
  } finally {
    await updater.close()
    await reader.close()
    await globals.close()
  }
}

async function write(b: KafkaBroker, topic: string, key: string, value: string): Promise<void> {
  const producer = b.producer({})
  await producer.connect()
  producer.send(outgoing(topic, key, value, { partition: 1 }))
  await producer.flush()
  await producer.close()
}

it('a ListOffsets error in a background catch-up is retried: the app keeps running and the update arrives', async () => {
  await withUpdater(undefined, async (updater, b, topic, logs, rowOf) => {
    await write(b, topic, 'b', 'b1')
    await kafka.failRequests(LIST_OFFSETS, NOT_LEADER_OR_FOLLOWER, 3)
    await waitFor(() => {
      updater.tick(Date.now()) // throws once the updater gave up
      return rowOf('b') === 'b1'
    }, 15_000, 'the update after the broker errors')
    expect(logs.lines.filter((l) => l.msg === 'updating the global stores failed on a broker error: trying again').length).toBeGreaterThan(0)
  })
})

it('broker errors lasting past the retry time stop the app', async () => {
  await withUpdater(0, async (updater, b, topic) => {
    await write(b, topic, 'b', 'b1')
    await kafka.failRequests(LIST_OFFSETS, NOT_LEADER_OR_FOLLOWER, 1)
    let thrown: unknown
    await waitFor(() => {
      try {
        updater.tick(Date.now())
      } catch (error) {
        thrown = error
      }
      return thrown !== undefined
    }, 15_000, 'the updater to give up')
    expect(thrown).toMatchObject({ code: 'BROKER_ERROR' })
  })
})
