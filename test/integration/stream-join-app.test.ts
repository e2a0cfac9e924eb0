/**
 * A KStream-KStream outer join on the real runtime (embedded broker, LevelDB in temp dirs): the
 * app is stopped with records waiting in the join's stores, and a new app (on the same state
 * directory, or on an empty one so everything comes from the changelogs) must still join them.
 */
import { JoinWindows, Serdes, StreamBuilder, StreamsApp, type Topology } from 'streamfold'
import { silentLogger } from '../../src/logger'
import type { OutgoingRecord } from '../../src/runtime/broker/broker'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import { caughtUp, produce, readTopic, tempDirs, waitFor } from './support/app-test-kit'

const tempDir = tempDirs()
const str = Serdes.string()
const T0 = 1_000_000

function joinTopology(): Topology {
  const b = new StreamBuilder()
  const orders = b.stream('orders', { key: str, value: str })
  const payments = b.stream('payments', { key: str, value: str })
  orders
    .outerJoin(payments, (_k, order, payment) => `${order}+${payment}`, JoinWindows.ofTimeDifferenceWithNoGrace(1_000), { name: 'op' })
    .to('out', { key: str, value: str })
  return b.build()
}

const record = (topic: string, key: string, value: string, timestamp: number): OutgoingRecord => ({ topic, key: Buffer.from(key), value: Buffer.from(value), timestamp, headers: [] })
const keys = Array.from({ length: 10 }, (_, i) => `k${i}`)

describe('stream-stream join across a restart', () => {
  let broker: EmbeddedBroker
  beforeEach(async () => {
    broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0 })
    await broker.admin().ensureTopics(['orders', 'payments', 'out'].map((name) => ({ name, partitions: 2 })))
  })
  afterEach(async () => {
    await broker.close()
  })

  async function runUntilCaughtUp(applicationId: string, stateDir: string): Promise<void> {
    const app = new StreamsApp(joinTopology(), { applicationId, broker: { instance: broker }, stateDir, logger: silentLogger(), processingGuarantee: 'exactly_once', commitIntervalMs: 50 })
    await app.start()
    try {
      for (const topic of ['orders', 'payments']) await waitFor(() => caughtUp(broker.admin(), applicationId, topic, 2), 15_000, `${topic} processed`)
    } finally {
      expect(await app.close({ timeoutMs: 10_000 })).toBe(true)
    }
  }

  const outputs = async (): Promise<string[]> => (await readTopic(broker, 'out')).map((r) => `${r.key!.toString()}=${r.value!.toString()}`).sort()

  it.each([
    ['the same state directory', false],
    ['an empty state directory (restored from the changelogs)', true],
  ])('joins records stored before the restart, on %s', async (_what, wipe) => {
    const applicationId = `join-restart-${wipe ? 'wiped' : 'kept'}`
    // Orders of every key, payments for half of them: nothing can be emitted yet.
    await produce(broker, keys.map((k, i) => record('orders', k, `o-${k}`, T0 + i * 10)))
    await produce(broker, keys.slice(0, 3).map((k, i) => record('payments', `x${k}`, `p-x${k}`, T0 + i * 10)))
    const firstDir = tempDir()
    await runUntilCaughtUp(applicationId, firstDir)
    expect(await outputs()).toEqual([])

    // Payments for k0..k4 after the restart: they can only join orders held in the restored stores.
    await produce(broker, keys.slice(0, 5).map((k, i) => record('payments', k, `p-${k}`, T0 + i * 10 + 5)))
    // Then records far later on every partition close every window: the unmatched ones come out.
    await produce(broker, keys.map((k) => record('orders', k, `late-${k}`, T0 + 100_000)))
    await runUntilCaughtUp(applicationId, wipe ? tempDir() : firstDir)

    const joined = keys.slice(0, 5).map((k) => `${k}=o-${k}+p-${k}`)
    const unmatchedOrders = keys.slice(5).map((k) => `${k}=o-${k}+null`)
    const unmatchedPayments = keys.slice(0, 3).map((k) => `x${k}=null+p-x${k}`)
    expect(await outputs()).toEqual([...joined, ...unmatchedOrders, ...unmatchedPayments].sort())
  })
})
