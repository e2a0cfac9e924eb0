/**
 * The global store's catch-up over the Kafka protocol (librdkafka's mock cluster, LevelDB in a
 * temp dir) on a transactionally written global topic, the usual case when another exactly_once
 * app writes the table: every partition ends with a commit marker no consumer receives, so the
 * offset to store is the end the read reached, not the last record's offset + 1. Otherwise each
 * background catch-up reads every partition again from its marker and waits for its EOF.
 */
import { Serdes, StreamBuilder } from 'streamfold'
import { GlobalState } from '../../src/runtime/global/global-state'
import { FAIL_ON_ERRORS } from '../../src/runtime/task/record-error-handlers'
import { brokerPerTest, outgoing } from '../kafka/kafka-test-kit'
import { useMockCluster } from '../support/mock-cluster/use-mock-cluster'
import { tempDirs } from './support/app-test-kit'

jest.setTimeout(60_000)
const kafka = useMockCluster()
const broker = brokerPerTest(kafka)
const tempDir = tempDirs()
const PARTITIONS = 8

it('a catch-up of a transactional global topic stores the end offsets past the commit markers, so the next catch-up has nothing to read', async () => {
  const topic = kafka.uniqueTopic('tx-customers')
  await kafka.createTopic(topic, PARTITIONS)
  const producer = broker().producer({ transactionalId: kafka.uniqueTopic('tx') })
  await producer.connect()
  await producer.beginTransaction()
  for (let i = 0; i < 80; i++) producer.send(outgoing(topic, `k${i}`, `v${i}`, { partition: i % PARTITIONS }))
  await producer.commitTransaction()
  await producer.close()

  const b = new StreamBuilder()
  const table = b.globalTable(topic, { key: Serdes.string(), value: Serdes.string(), name: 'customers' })
  b.stream('orders', { key: Serdes.string(), value: Serdes.string() }).join(table, (_k, v) => v, (_k, v, name) => `${v}:${name}`).to('out', { key: Serdes.string(), value: Serdes.string() })
  const globals = await GlobalState.open({ applicationId: 'global-kafka', specs: b.build().globalStores, stateDir: tempDir(), errorHandlers: FAIL_ON_ERRORS })
  const reader = broker().reader()
  try {
    const source = { reader, offsets: broker().admin(), partitions: new Map([[topic, PARTITIONS]]), isolationLevel: 'read_committed' as const }
    expect(await globals.catchUp(source)).toBe(80)
    const tps = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition }))
    const ends = (await broker().admin().endOffsets(tps)).map((o) => o.offset)
    expect(ends).toEqual(Array.from({ length: PARTITIONS }, () => 11)) // 10 records and the commit marker
    expect(tps.map(({ partition }) => globals.nextOffset(topic, partition))).toEqual(ends)

    const started = Date.now()
    expect(await globals.catchUp(source)).toBe(0)
    // Nothing read: no per-partition wait for an EOF (about 100 ms each on librdkafka).
    expect(Date.now() - started).toBeLessThan(400)
  } finally {
    await reader.close()
    await globals.close()
  }
})
