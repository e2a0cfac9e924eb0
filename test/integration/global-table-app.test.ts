/**
 * A KStream-GlobalKTable join on the real runtime (embedded broker, LevelDB in a temp dir): the
 * table holds every partition of its topic on the one instance, is read to the end before the
 * first order is joined, follows updates while the app runs, and after a restart resumes from
 * the offsets stored with it instead of reading the topic again.
 */
import { Serdes, StreamBuilder, StreamsApp, type Logger, type LogLevel } from 'streamfold'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import type { OutgoingRecord } from '../../src/runtime/broker/broker'
import { caughtUp, produce, readTopic, tempDirs, waitFor, waitForState } from './support/app-test-kit'

const tempDir = tempDirs()
const str = Serdes.string()

function topology() {
  const b = new StreamBuilder()
  const customers = b.globalTable('customers', { key: str, value: str, name: 'customers' })
  b.stream('orders', { key: str, value: str })
    .join(customers, (_order, customerId) => customerId, (order, customerId, name) => `${order}:${customerId}:${name}`)
    .to('enriched', { key: str, value: str })
  return b.build()
}

/** Keeps the info lines the app logs (the global bootstrap reports how many records it read). */
function recordingLogger(lines: Array<{ msg: string; fields: Record<string, unknown> }>): Logger {
  const logger: Logger = {
    trace: () => undefined,
    debug: () => undefined,
    info: (fields, msg) => void lines.push({ msg: msg ?? '', fields: fields as Record<string, unknown> }),
    warn: () => undefined,
    error: () => undefined,
    fatal: () => undefined,
    child: () => logger,
    isLevelEnabled: (level: LogLevel) => level === 'info',
  }
  return logger
}

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
    const lines: Array<{ msg: string; fields: Record<string, unknown> }> = []
    const config = { applicationId: `global-${guarantee}`, broker: { instance: broker }, stateDir: tempDir(), logger: recordingLogger(lines), processingGuarantee: guarantee, commitIntervalMs: 50 }
    const app = new StreamsApp(topology(), config)
    await app.start()
    // Bootstrapped before the app joined the group: all 40 rows, from all 4 partitions.
    expect(lines.find((l) => l.msg === 'global stores are up to date')?.fields.records).toBe(40)
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
    lines.length = 0
    const again = new StreamsApp(topology(), config)
    await again.start()
    expect(lines.find((l) => l.msg === 'global stores are up to date')?.fields.records).toBe(1)
    await waitForState(again, 'RUNNING')
    await produce(broker, [order('after', 'c99'), order('after2', 'c5')])
    await waitFor(async () => (await values(broker)).includes('after2:c5:name-c5') && (await values(broker)).includes('after:c99:late'), 15_000, 'joins after restart')
    expect(await again.close({ timeoutMs: 10_000 })).toBe(true)
  })

  it('refuses to start when the global topic does not exist', async () => {
    const b = new StreamBuilder()
    const missing = b.globalTable('nope', { key: str, value: str })
    b.stream('orders', { key: str, value: str }).join(missing, (_k, v) => v, (_k, v, t) => `${v}${t}`).to('enriched', { key: str, value: str })
    const app = new StreamsApp(b.build(), { applicationId: `missing-${guarantee}`, broker: { instance: broker }, stateDir: tempDir(), logger: recordingLogger([]), processingGuarantee: guarantee })
    await expect(app.start()).rejects.toThrow(/global table topics do not exist: nope/)
    expect(app.state).toBe('ERROR')
  })
})
