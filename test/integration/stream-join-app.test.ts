/**
 * A KStream-KStream outer join on the real runtime (embedded broker, LevelDB in temp dirs): the
 * app is stopped with records waiting in the join's stores, and a new app (on the same state
 * directory, or on an empty one so everything comes from the changelogs) must still join them;
 * and commits failing mid-run (rolled back: fresh processors over the last committed state) must
 * neither lose nor repeat an output.
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
const outputs = async (): Promise<string[]> => (await readTopic(broker, 'out')).map((r) => `${r.key!.toString()}=${r.value!.toString()}`).sort()

let broker: EmbeddedBroker
beforeEach(async () => {
  broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0 })
  await broker.admin().ensureTopics(['orders', 'payments', 'out'].map((name) => ({ name, partitions: 2 })))
})
afterEach(async () => {
  await broker.close()
})

describe('stream-stream join across a restart', () => {
  async function runUntilCaughtUp(applicationId: string, stateDir: string): Promise<void> {
    const app = new StreamsApp(joinTopology(), { applicationId, broker: { instance: broker }, stateDir, logger: silentLogger(), processingGuarantee: 'exactly_once', commitIntervalMs: 50 })
    await app.start()
    try {
      for (const topic of ['orders', 'payments']) await waitFor(() => caughtUp(broker.admin(), applicationId, topic, 2), 15_000, `${topic} processed`)
    } finally {
      expect(await app.close({ timeoutMs: 10_000 })).toBe(true)
    }
  }

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

describe('stream-stream join with failed commits', () => {
  it('rolled-back commits (fresh processors over the last committed state) lose and repeat nothing (exactly_once)', async () => {
    const COUNT = 1_000
    const orders = Array.from({ length: COUNT }, (_, i) => record('orders', `k${i % 20}`, `o${i}`, T0 + 10 * i))
    // Payments for even orders only, 3 ms later: each joins its order alone (window 5 ms).
    const payments = orders.filter((_, i) => i % 2 === 0).map((o) => record('payments', o.key!.toString(), `p${o.value!.toString().slice(1)}`, o.timestamp! + 3))
    const b = new StreamBuilder()
    b.stream('orders', { key: str, value: str })
      // A grace of 3 s of event time (300 records) absorbs how the two topics interleave; windows still close during the run.
      .outerJoin(b.stream('payments', { key: str, value: str }), (_k, o, p) => `${o}+${p}`, JoinWindows.ofTimeDifferenceAndGrace(5, 3_000), { name: 'op' })
      .to('out', { key: str, value: str })
    let seen = 0
    let injected = 0
    const applicationId = 'join-faults'
    const app = new StreamsApp(b.build(), {
      applicationId,
      broker: { instance: broker },
      stateDir: tempDir(),
      logger: silentLogger(),
      processingGuarantee: 'exactly_once',
      commitIntervalMs: 20,
      maxBatchRecords: 50,
      faults: {
        beforeStep(step) {
          // Commits 3, 6, 9 and 12 fail before the transaction commits: rolled back.
          if (step === 2 && ++seen % 3 === 0 && injected < 4) {
            injected++
            throw new Error('injected fault before step 2')
          }
        },
      },
    })
    await app.start()
    try {
      for (let i = 0; i < COUNT; i += 50) {
        await produce(broker, [...orders.slice(i, i + 50), ...payments.slice(i / 2, (i + 50) / 2)])
        await new Promise((r) => setTimeout(r, 30))
      }
      // Far later records on every key close every window.
      await produce(broker, Array.from({ length: 20 }, (_, k) => record('orders', `k${k}`, 'bump', T0 + 1_000_000)))
      for (const topic of ['orders', 'payments']) await waitFor(() => caughtUp(broker.admin(), applicationId, topic, 2), 20_000, `${topic} processed`)
      expect(injected).toBe(4)
      expect(app.state).toBe('RUNNING')
    } finally {
      await app.close({ timeoutMs: 10_000 })
    }
    const expected = orders.map((o, i) => `${o.key!.toString()}=o${i}+${i % 2 === 0 ? `p${i}` : 'null'}`).sort()
    expect(await outputs()).toEqual(expected)
  })
})
