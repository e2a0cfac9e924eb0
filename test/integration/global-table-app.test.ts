/**
 * A KStream-GlobalKTable join on the real runtime (embedded broker, LevelDB in a temp dir): the
 * table holds every partition of its topic on the one instance, is read to the end before the
 * first order is joined, follows updates while the app runs, and after a restart resumes from
 * the offsets stored with it instead of reading the topic again.
 */
import { Serdes, StreamBuilder, StreamsApp, createErrorHandlers, type RecordErrorPolicy } from 'streamfold'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import type { OutgoingRecord } from '../../src/runtime/broker/broker'
import { caughtUp, produce, readTopic, tempDirs, waitFor, waitForState } from './support/app-test-kit'
import { captureLogs } from '../observability/support/log-capture'
import { customersJoinTopology } from './support/global-table-fixtures'

const tempDir = tempDirs()
const str = Serdes.string()

const topology = () => customersJoinTopology('join')

const customer = (id: string, name: string): OutgoingRecord => ({ topic: 'customers', key: Buffer.from(id), value: Buffer.from(name), timestamp: 1, headers: [] })
const order = (id: string, customerId: string): OutgoingRecord => ({ topic: 'orders', key: Buffer.from(id), value: Buffer.from(customerId), timestamp: 2, headers: [] })
const values = async (broker: EmbeddedBroker): Promise<string[]> => (await readTopic(broker, 'enriched')).map((r) => r.value!.toString()).sort()

describe.each(['at_least_once', 'exactly_once'] as const)('GlobalKTable join on the embedded broker (%s)', (guarantee) => {
  let broker: EmbeddedBroker
  beforeEach(async () => {
    broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0 })
    await broker.admin().ensureTopics([
      // More table partitions than stream partitions: no co-partitioning is needed.
      { name: 'customers', partitions: 4, config: { 'cleanup.policy': 'compact' } },
      { name: 'orders', partitions: 2 },
      { name: 'enriched', partitions: 2 },
    ])
  })
  afterEach(async () => {
    await broker.close()
  })

  it('joins every order with the whole table, follows updates, and resumes from its stored offsets after a restart', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `c${i}`)
    await produce(broker, ids.map((id) => customer(id, `name-${id}`)))
    const logs = captureLogs('info')
    const bootstrapped = () => logs.lines.filter((l) => l.msg === 'global stores are up to date').map((l) => l.records)
    const config = { applicationId: `global-${guarantee}`, broker: { instance: broker }, stateDir: tempDir(), logger: logs.logger, processingGuarantee: guarantee, commitIntervalMs: 50 }
    const app = new StreamsApp(topology(), config)
    await app.start()
    // Bootstrapped before the app joined the group: all 40 rows, from all 4 partitions.
    expect(bootstrapped()).toEqual([40])
    await waitForState(app, 'RUNNING')
    await produce(broker, ids.map((id, i) => order(`o${i}`, id)))
    await waitFor(async () => (await values(broker)).length === 40, 15_000, 'first joins')
    expect(await values(broker)).toEqual(ids.map((id, i) => `o${i}:${id}:name-${id}`).sort())

    // An update while running is picked up by the background catch-up.
    await produce(broker, [customer('c0', 'renamed')])
    await waitFor(async () => {
      await produce(broker, [order('probe', 'c0')])
      return (await values(broker)).includes('probe:c0:renamed')
    }, 15_000, 'update seen by later orders')
    await waitFor(() => caughtUp(broker.admin(), config.applicationId, 'orders', 2), 15_000, 'orders committed')
    expect(await app.close({ timeoutMs: 10_000 })).toBe(true)

    // While the app is down: one new customer. The restart reads only that record.
    await produce(broker, [customer('c99', 'late')])
    const again = new StreamsApp(topology(), config)
    await again.start()
    expect(bootstrapped()).toEqual([40, 1])
    await waitForState(again, 'RUNNING')
    await produce(broker, [order('after', 'c99'), order('after2', 'c5')])
    await waitFor(async () => (await values(broker)).includes('after2:c5:name-c5') && (await values(broker)).includes('after:c99:late'), 15_000, 'joins after restart')
    expect(await again.close({ timeoutMs: 10_000 })).toBe(true)
  })

  it('refuses to start when the global topic does not exist', async () => {
    const b = new StreamBuilder()
    const missing = b.globalTable('nope', { key: str, value: str })
    b.stream('orders', { key: str, value: str }).join(missing, (_k, v) => v, (_k, v, t) => `${v}${t}`).to('enriched', { key: str, value: str })
    const app = new StreamsApp(b.build(), { applicationId: `missing-${guarantee}`, broker: { instance: broker }, stateDir: tempDir(), logger: captureLogs('info').logger, processingGuarantee: guarantee })
    await expect(app.start()).rejects.toThrow(/global table topics do not exist: nope/)
    expect(app.state).toBe('ERROR')
  })

  /** A customer row whose value is not valid for the table's serde (a double needs 8 bytes). */
  async function startWithMalformedRow(policy: RecordErrorPolicy) {
    const b = new StreamBuilder()
    const prices = b.globalTable('customers', { key: str, value: Serdes.double() })
    b.stream('orders', { key: str, value: str }).join(prices, (_k, v) => v, (_k, v, price) => `${v}=${price}`).to('enriched', { key: str, value: str })
    const good = (id: string, price: number): OutgoingRecord => ({ topic: 'customers', key: Buffer.from(id), value: Serdes.double().serialize(price, 'customers'), timestamp: 1, headers: [] })
    await produce(broker, [good('a', 1), { ...customer('bad', 'xyz') }, good('b', 2)])
    const logs = captureLogs('info')
    const errorHandlers = createErrorHandlers({ deserialization: policy, deadLetterTopic: 'dlq', logger: logs.logger })
    const app = new StreamsApp(b.build(), { applicationId: `malformed-${policy}-${guarantee}`, broker: { instance: broker }, stateDir: tempDir(), logger: logs.logger, processingGuarantee: guarantee, errorHandlers, commitIntervalMs: 50 })
    return { app, logs }
  }

  it.each(['skip', 'deadLetter'] as const)('a malformed table record is skipped with a log line under %s, and the rest of the table joins', async (policy) => {
    const { app, logs } = await startWithMalformedRow(policy)
    await app.start()
    await waitForState(app, 'RUNNING')
    await produce(broker, [order('o1', 'a'), order('o2', 'b'), order('o3', 'bad')])
    await waitFor(async () => (await values(broker)).length === 2, 15_000, 'joins')
    await waitFor(() => caughtUp(broker.admin(), `malformed-${policy}-${guarantee}`, 'orders', 2), 15_000, 'orders committed')
    expect(await app.close({ timeoutMs: 10_000 })).toBe(true)
    expect(await values(broker)).toEqual(['a=1', 'b=2'])
    const skipped = logs.lines.filter((l) => l.code === 'DESERIALIZATION_FAILED' && l.topic === 'customers')
    expect(skipped).toHaveLength(1)
    expect(skipped[0]!.offset).toBe(0)
  })

  it('a malformed table record under the fail policy stops the app before it joins the group', async () => {
    const { app } = await startWithMalformedRow('fail')
    await expect(app.start()).rejects.toThrow(/Could not deserialize the global table record value/)
    expect(app.state).toBe('ERROR')
  })
})
