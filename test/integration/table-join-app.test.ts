/**
 * A KStream-KTable join and a KTable-KTable join on the real runtime (embedded broker, LevelDB in
 * temp dirs): tables filled before a restart must be there after it (same state directory, or an
 * empty one so they come from the changelogs) for the joins of records arriving afterwards. The
 * same joins of derived tables (read through value getters over the restored ancestor stores, and
 * a filter materialized by name, restored from its own changelog, and a suppressed table whose
 * buffer is restored with it) must agree.
 */
import { Serdes, StreamBuilder, StreamsApp, Suppressed, type Topology } from 'streamfold'
import { silentLogger } from '../../src/logger'
import type { OutgoingRecord } from '../../src/runtime/broker/broker'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import { caughtUp, produce, readTopic, tempDirs, waitFor } from './support/app-test-kit'

const tempDir = tempDirs()
const str = Serdes.string()
const T0 = 1_000_000
const INPUTS = ['customers', 'orders', 'users', 'addresses']

function joinTopology(): Topology {
  const b = new StreamBuilder()
  const customers = b.table('customers', { key: str, value: str })
  const orders = b.stream('orders', { key: str, value: str })
  orders.leftJoin(customers, (_k, order, customer) => `${order}@${customer ?? 'unknown'}`).to('enriched', { key: str, value: str })
  const vips = customers.filter((k) => k !== 'c1').mapValues((_k, name) => name.toUpperCase())
  orders.join(vips, (_k, order, customer) => `${order}@${customer}`).to('enriched-vip', { key: str, value: str })
  // Held-back rows read as the suppressed table last emitted them, from the restored buffer.
  const emitted = customers.suppress(Suppressed.untilTimeLimit(50))
  orders.leftJoin(emitted, (_k, order, customer) => `${order}@${customer ?? 'held'}`).to('enriched-emitted', { key: str, value: str })
  const users = b.table('users', { key: str, value: str })
  const addresses = b.table('addresses', { key: str, value: str })
  users
    .join(addresses, (_k, user, address) => `${user}|${address}`, { name: 'profiles', value: str })
    .toStream()
    .to('profiles-out', { key: str, value: str })
  users
    .filter((k) => k !== 'u1', { name: 'active-users' })
    .leftJoin(addresses.mapValues((_k, address) => address.toUpperCase()), (_k, user, address) => `${user}|${address ?? '-'}`)
    .toStream()
    .to('profiles-derived', { key: str, value: str })
  return b.build()
}

const record = (topic: string, key: string, value: string, timestamp: number): OutgoingRecord => ({ topic, key: Buffer.from(key), value: Buffer.from(value), timestamp, headers: [] })
const ids = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`)
const latest = async (topic: string): Promise<Record<string, string | null>> => {
  const rows: Record<string, string | null> = {}
  for (const r of await readTopic(broker, topic)) rows[r.key!.toString()] = r.value === null ? null : r.value.toString()
  return rows
}

let broker: EmbeddedBroker
beforeEach(async () => {
  broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0 })
  await broker.admin().ensureTopics([...INPUTS, 'enriched', 'enriched-vip', 'enriched-emitted', 'profiles-out', 'profiles-derived'].map((name) => ({ name, partitions: 2 })))
})
afterEach(async () => {
  await broker.close()
})

async function runUntilCaughtUp(applicationId: string, stateDir: string): Promise<void> {
  const app = new StreamsApp(joinTopology(), { applicationId, broker: { instance: broker }, stateDir, logger: silentLogger(), processingGuarantee: 'exactly_once', commitIntervalMs: 50 })
  await app.start()
  try {
    for (const topic of INPUTS) await waitFor(() => caughtUp(broker.admin(), applicationId, topic, 2), 15_000, `${topic} processed`)
  } finally {
    expect(await app.close({ timeoutMs: 10_000 })).toBe(true)
  }
}

describe('table joins across a restart', () => {
  it.each([
    ['the same state directory', false],
    ['an empty state directory (restored from the changelogs)', true],
  ])('joins with table rows stored before the restart, on %s', async (_what, wipe) => {
    const applicationId = `table-join-restart-${wipe ? 'wiped' : 'kept'}`
    await produce(broker, ids('c', 5).map((c, i) => record('customers', c, `name-${c}`, T0 + i)))
    // Stream time T0 + 100 in both partitions' suppressions (one z key lands in each): c0..c4
    // are emitted; c0's second name is then held back, with 'name-c0' as its prior value.
    await produce(broker, [...ids('z', 6).map((z) => record('customers', z, `name-${z}`, T0 + 100)), record('customers', 'c0', 'name-c0-v2', T0 + 101)])
    await produce(broker, ids('u', 5).map((u, i) => record('users', u, `user-${u}`, T0 + i)))
    await produce(broker, ids('u', 2).map((u, i) => record('addresses', u, `addr-${u}`, T0 + 10 + i)))
    // Seen by both apps (the produce calls go in before a first app exists); keeps each input topic non-empty.
    await produce(broker, [record('orders', 'c0', 'first', T0 + 20)])
    const firstDir = tempDir()
    await runUntilCaughtUp(applicationId, firstDir)
    expect(await latest('enriched')).toEqual({ c0: 'first@name-c0' })
    expect(await latest('profiles-out')).toEqual({ u0: 'user-u0|addr-u0', u1: 'user-u1|addr-u1' })
    expect(await latest('enriched-vip')).toEqual({ c0: 'first@NAME-C0' })
    expect(await latest('profiles-derived')).toEqual({ u0: 'user-u0|ADDR-U0', u2: 'user-u2|-', u3: 'user-u3|-', u4: 'user-u4|-' })

    // After the restart: orders and addresses can only join rows held in the restored stores.
    await produce(broker, [...ids('c', 5), 'c9'].map((c, i) => record('orders', c, `order-${c}`, T0 + 100 + i)))
    await produce(broker, ['u3', 'u4'].map((u, i) => record('addresses', u, `addr-${u}`, T0 + 200 + i)))
    await produce(broker, [record('users', 'u0', 'user-u0-v2', T0 + 300)])
    await runUntilCaughtUp(applicationId, wipe ? tempDir() : firstDir)

    expect(await latest('enriched')).toEqual({ ...Object.fromEntries(ids('c', 5).map((c) => [c, `order-${c}@name-${c}`])), c0: 'order-c0@name-c0-v2', c9: 'order-c9@unknown' })
    expect(await latest('profiles-out')).toEqual({ u0: 'user-u0-v2|addr-u0', u1: 'user-u1|addr-u1', u3: 'user-u3|addr-u3', u4: 'user-u4|addr-u4' })
    expect(await latest('enriched-vip')).toEqual({ ...Object.fromEntries(['c2', 'c3', 'c4'].map((c) => [c, `order-${c}@NAME-${c.toUpperCase()}`])), c0: 'order-c0@NAME-C0-V2' })
    expect(await latest('profiles-derived')).toEqual({ u0: 'user-u0-v2|ADDR-U0', u2: 'user-u2|-', u3: 'user-u3|ADDR-U3', u4: 'user-u4|ADDR-U4' })
    // c0's held-back second name is not seen (the buffer came back with its prior value).
    expect(await latest('enriched-emitted')).toEqual({ ...Object.fromEntries(ids('c', 5).map((c) => [c, `order-${c}@name-${c}`])), c9: 'order-c9@held' })
  })
})
