/**
 * The global database stores the next offset per topic partition, not per store: a global store
 * renamed between runs (a name given to a table that had none, or another name), or a
 * store now reading another topic under the same name, finds offsets saying its topic was read while
 * it holds none of it (or rows of the old topic). It must be rebuilt from its topic. Real embedded
 * broker and LevelDB.
 */
import { Serdes, StreamBuilder, type Topology } from 'streamfold'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import { GlobalState, type CatchUpSource } from '../../src/runtime/global/global-state'
import type { KeyValueStore } from '../../src/state/key-value-store'
import { FAIL_ON_ERRORS } from '../../src/runtime/task/record-error-handlers'
import { produce, tempDirs } from './support/app-test-kit'

const tempDir = tempDirs()
const str = Serdes.string()

function topology(tables: ReadonlyArray<{ topic: string; name?: string }>): Topology {
  const b = new StreamBuilder()
  const orders = b.stream('orders', { key: str, value: str })
  for (const t of tables) {
    const table = b.globalTable(t.topic, { key: str, value: str, ...(t.name === undefined ? {} : { name: t.name }) })
    orders.join(table, (_k, v) => v, (_k, v, name) => `${v}:${name}`).to(`out-${t.topic}-${t.name ?? 'unnamed'}`, { key: str, value: str })
  }
  return b.build()
}

describe('a global store renamed or added between runs', () => {
  let broker: EmbeddedBroker
  beforeEach(async () => {
    broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0 })
    await broker.admin().ensureTopics([{ name: 'customers', partitions: 2 }])
    await produce(broker, ['a', 'b', 'c'].map((k, i) => ({ topic: 'customers', key: Buffer.from(k), value: Buffer.from(`${k}1`), timestamp: 1, headers: [], partition: i % 2 })))
  })
  afterEach(async () => {
    await broker.close()
  })

  let applied = 0
  /** Opens the global state of `t` on `stateDir`, bootstraps it and returns each store's rows. */
  async function run(stateDir: string, t: Topology, partitions = new Map([['customers', 2]])): Promise<Record<string, Record<string, string>>> {
    const globals = await GlobalState.open({ applicationId: 'global-renamed', specs: t.globalStores, stateDir, errorHandlers: FAIL_ON_ERRORS })
    const source: CatchUpSource = { reader: broker.reader(), offsets: broker.admin(), partitions, isolationLevel: 'read_uncommitted' }
    try {
      applied = await globals.catchUp(source, 'bootstrap')
      const out: Record<string, Record<string, string>> = {}
      for (const spec of t.globalStores) {
        const rows: Record<string, string> = {}
        for await (const { key, value } of (globals.store(spec.store.name) as KeyValueStore<string, { value: string }>).all()) rows[key] = value.value
        out[spec.store.name] = rows
      }
      return out
    } finally {
      await globals.close()
    }
  }

  const full = { a: 'a1', b: 'b1', c: 'c1' }

  it('an unnamed global table given a name reads its topic again', async () => {
    const stateDir = tempDir()
    expect(Object.values(await run(stateDir, topology([{ topic: 'customers' }])))).toEqual([full])
    expect(await run(stateDir, topology([{ topic: 'customers', name: 'customers' }]))).toEqual({ customers: full })
  })

  it('a store reading another topic under the same name holds none of the old topic', async () => {
    const stateDir = tempDir()
    await broker.admin().ensureTopics([{ name: 'customers-v2', partitions: 1 }])
    await produce(broker, [{ topic: 'customers-v2', key: Buffer.from('z'), value: Buffer.from('z2'), timestamp: 1, headers: [] }])
    expect(await run(stateDir, topology([{ topic: 'customers', name: 'customers' }]))).toEqual({ customers: full })
    const moved = await run(stateDir, topology([{ topic: 'customers-v2', name: 'customers' }]), new Map([['customers-v2', 1]]))
    expect(moved).toEqual({ customers: { z: 'z2' } })
  })

  it('the same stores again read nothing again: no rebuild at each start', async () => {
    const stateDir = tempDir()
    const t = topology([{ topic: 'customers', name: 'customers' }])
    expect(await run(stateDir, t)).toEqual({ customers: full })
    expect(applied).toBe(3)
    expect(await run(stateDir, t)).toEqual({ customers: full })
    expect(applied).toBe(0)
  })
})
