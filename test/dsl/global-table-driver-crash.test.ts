/**
 * TopologyTestDriver with a GlobalKTable on a state directory (LevelDB): table rows piped before
 * and after stream records, commits, and simulated crashes (plain, mid-commit, wiped state dir).
 * The global table is not part of the tasks' commits (its topic is its changelog), so a crash
 * loses none of it, while the task's own store goes back to its last commit.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Serdes, StreamBuilder, type Topology } from 'streamfold'
import { TopologyTestDriver } from 'streamfold/testing'

const str = Serdes.string()

/** Orders (value: customer id) joined with customers, then counted per customer name. */
function topology(): Topology {
  const b = new StreamBuilder()
  const customers = b.globalTable('customers', { key: str, value: str, name: 'customers' })
  b.stream('orders', { key: str, value: str })
    .join(customers, (_order, customerId) => customerId, (_order, _customerId, name) => name)
    .selectKey((_order, name) => name)
    .groupByKey({ key: str, value: str })
    .count({ name: 'per-name' })
    .toStream()
    .to('counts', { key: str, value: Serdes.int32() })
  return b.build()
}

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'global-driver-'))
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

test.each([{ crash: {} }, { crash: { midCommit: true } }, { crash: { stateDir: 'wipe' as const } }])(
  'global rows piped before and after stream records survive a simulated crash %o; the task store is back at its commit',
  async ({ crash }) => {
    const d = await TopologyTestDriver.create(topology(), { stateDir: dir, initialWallClockTimeMs: 0 })
    try {
      const customers = d.createInputTopic('customers', str, str)
      const orders = d.createInputTopic('orders', str, str)
      const counts = d.createOutputTopic('counts', str, Serdes.int32())
      customers.pipeInput('c1', 'ann')
      orders.pipeInput('o1', 'c1')
      orders.pipeInput('o2', 'c2') // no customer c2 yet: the inner join drops it
      customers.pipeInput('c2', 'bob')
      orders.pipeInput('o3', 'c2')
      await d.commitAsync()
      customers.pipeInput('c1', 'ann2') // after the commit: the global table has no commit to lose it by
      orders.pipeInput('o4', 'c1') // processed, not committed: lost by the crash, piped again below
      await d.simulateCrash(crash)

      expect(d.getKeyValueStore<string, string>('customers').get('c1')).toBe('ann2')
      expect(d.getKeyValueStore<string, number>('per-name').get('ann2')).toBeUndefined()
      expect(d.getKeyValueStore<string, number>('per-name').get('bob')).toBe(1)
      orders.pipeInput('o4', 'c1')
      customers.pipeInput('c2', null)
      orders.pipeInput('o5', 'c2') // tombstoned: dropped
      customers.pipeInput('c3', 'cy')
      orders.pipeInput('o6', 'c3')
      expect(d.getKeyValueStore<string, string>('customers').get('c2')).toBeUndefined()
      const last = new Map(counts.readKeyValuesToList().map((kv) => [kv.key, kv.value]))
      expect(Object.fromEntries(last)).toEqual({ ann: 1, bob: 1, ann2: 1, cy: 1 })
    } finally {
      await d.closeAsync()
    }
  },
)
