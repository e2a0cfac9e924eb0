/**
 * A topology of one GlobalKTable and nothing else (a local, queryable replica of a topic) in the
 * TopologyTestDriver: it has no task, and a record piped to the table's topic updates the store.
 */
import { Serdes, StreamBuilder } from 'streamfold'
import { TopologyTestDriver } from 'streamfold/testing'

const str = Serdes.string()

function globalOnly() {
  const b = new StreamBuilder()
  b.globalTable('customers', { key: str, value: Serdes.json<{ name: string }>(), name: 'customers-store' })
  return b.build()
}

test('piping into the global topic updates the store; a tombstone deletes the row; no output topic is written', () => {
  const driver = new TopologyTestDriver(globalOnly(), { initialWallClockTimeMs: 0 })
  try {
    const customers = driver.createInputTopic('customers', str, Serdes.json<{ name: string }>())
    customers.pipeInput('c1', { name: 'Ada' }, 1)
    customers.pipeInput('c2', { name: 'Bob' }, 2)
    customers.pipeInput('c1', { name: 'Ada L.' }, 3)
    customers.pipeInput('c2', null, 4)
    const store = driver.getKeyValueStore<string, { name: string }>('customers-store')
    expect(store.get('c1')).toEqual({ name: 'Ada L.' })
    expect(store.get('c2')).toBeUndefined()
    expect(driver.producedTopicNames()).toEqual([])
    // Only the global topic is an input.
    expect(() => driver.createInputTopic('orders', str, str)).toThrow(/reads no topic named orders \(it reads: customers\)/)
  } finally {
    driver.close()
  }
})
