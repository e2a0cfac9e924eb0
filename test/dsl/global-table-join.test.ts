import { GlobalKTable, Serdes, StreamBuilder, keyValueStoreSpec, type Topology } from 'streamfold'
import { TopologyTestDriver } from 'streamfold/testing'

const str = Serdes.string()

/** orders (key: order id, value: "customerId:item") joined with customers (key: customer id). */
function ordersJoinCustomers(left: boolean): Topology {
  const b = new StreamBuilder()
  const customers = b.globalTable('customers', { key: str, value: str, name: 'customers-store' })
  const orders = b.stream('orders', { key: str, value: str })
  const byCustomer = (_order: string, value: string): string | null => (value.includes(':') ? value.split(':')[0]! : null)
  const joined = left
    ? orders.leftJoin(customers, byCustomer, (order, value, customer) => `${order}/${value}/${customer ?? 'unknown'}`)
    : orders.join(customers, byCustomer, (order, value, customer) => `${order}/${value}/${customer}`)
  joined.to('enriched', { key: str, value: str })
  return b.build()
}

function withDriver(topology: Topology, fn: (d: TopologyTestDriver) => void): void {
  const d = new TopologyTestDriver(topology, { initialWallClockTimeMs: 0 })
  try {
    fn(d)
  } finally {
    d.close()
  }
}

describe('KStream-GlobalKTable join', () => {
  test('inner join looks up the key the selector picks; misses, null selector results and null values emit nothing', () => {
    withDriver(ordersJoinCustomers(false), (d) => {
      const customers = d.createInputTopic('customers', str, str)
      const orders = d.createInputTopic('orders', str, str)
      const out = d.createOutputTopic('enriched', str, str)
      customers.pipeInput('c1', 'Ada', 1)
      orders.pipeInput('o1', 'c1:book', 10)
      orders.pipeInput('o2', 'c2:pen', 11) // no customer c2 yet
      orders.pipeInput('o3', 'nocolon', 12) // selector returns null
      orders.pipeInput('o4', null, 13) // null value
      expect(out.readRecordsToList().map((r) => [r.key, r.value, r.timestamp])).toEqual([['o1', 'o1/c1:book/Ada', 10]])
      expect(d.droppedRecords('null-key')).toBe(1)
      expect(d.droppedRecords('null-value')).toBe(1)
    })
  })

  test('table updates emit nothing but later stream records see them; a tombstone removes the row', () => {
    withDriver(ordersJoinCustomers(false), (d) => {
      const customers = d.createInputTopic('customers', str, str)
      const orders = d.createInputTopic('orders', str, str)
      const out = d.createOutputTopic('enriched', str, str)
      orders.pipeInput('o1', 'c1:book', 10)
      customers.pipeInput('c1', 'Ada', 11)
      expect(out.readValuesToList()).toEqual([])
      orders.pipeInput('o2', 'c1:pen', 12)
      customers.pipeInput('c1', 'Ada L.', 13)
      orders.pipeInput('o3', 'c1:ink', 14)
      customers.pipeInput('c1', null, 15)
      orders.pipeInput('o4', 'c1:cap', 16)
      expect(out.readValuesToList()).toEqual(['o2/c1:pen/Ada', 'o3/c1:ink/Ada L.'])
      expect(d.getKeyValueStore<string, string>('customers-store').get('c1')).toBeUndefined()
    })
  })

  test('left join calls the joiner with null for a miss, and joins a null-keyed record (KIP-962)', () => {
    withDriver(ordersJoinCustomers(true), (d) => {
      d.createInputTopic('customers', str, str).pipeInput('c1', 'Ada', 1)
      const orders = d.createInputTopic('orders', str, str)
      const out = d.createOutputTopic('enriched', str, str)
      orders.pipeInput('o1', 'c1:book', 10)
      orders.pipeInput('o2', 'c9:pen', 11)
      orders.pipeInput(null, 'c1:ink', 12)
      orders.pipeInput('o3', 'nocolon', 13) // selector null: dropped even in a left join
      expect(out.readKeyValuesToList()).toEqual([
        { key: 'o1', value: 'o1/c1:book/Ada' },
        { key: 'o2', value: 'o2/c9:pen/unknown' },
        { key: null, value: 'null/c1:ink/Ada' },
      ])
      expect(d.droppedRecords('null-key')).toBe(1)
    })
  })

  test('the global store is readable, not writable, from any processor, and queryable from the driver', () => {
    const b = new StreamBuilder()
    const table = b.globalTable('rates', { key: str, value: Serdes.double() })
    expect(table).toBeInstanceOf(GlobalKTable)
    const seen: Array<number | undefined> = []
    const writeErrors: string[] = []
    b.stream('events', { key: str, value: str }).process(() => {
      let store: { get(k: string): { value: number } | undefined; put(k: string, v: unknown): void }
      return {
        init: (ctx) => {
          store = ctx.getStateStore(table.queryableStoreName)
        },
        process: (record) => {
          seen.push(store.get(record.key)?.value)
          try {
            store.put(record.key, null)
          } catch (error) {
            writeErrors.push((error as Error).message)
          }
        },
      }
    })
    withDriver(b.build(), (d) => {
      d.createInputTopic('rates', str, Serdes.double()).pipeInput('eur', 1.1, 1)
      d.createInputTopic('events', str, str).pipeInput('eur', 'x', 2)
      expect(seen).toEqual([1.1])
      expect(writeErrors).toEqual([expect.stringContaining('read-only')])
      expect(d.getKeyValueStore<string, number>(table.queryableStoreName).get('eur')).toBe(1.1)
    })
  })

  test('a global table makes no task: describe() lists it as a global store sub-topology', () => {
    const topology = ordersJoinCustomers(false)
    expect(topology.subtopologies).toHaveLength(1)
    expect(topology.subtopologies[0]!.sourceTopics).toEqual(['orders'])
    expect(topology.describe()).toContain('Sub-topology: 1 for global store (will not generate tasks)')
    expect(topology.describe()).toContain('(topics: [customers])')
    expect(topology.describe()).toContain('(stores: [customers-store])')
  })

  test('building fails for a topic read both as a stream and as a global table, or a global store connected to a processor', () => {
    const b = new StreamBuilder()
    b.globalTable('t', { key: str, value: str })
    b.stream('t', { key: str, value: str }).to('out', { key: str, value: str })
    expect(() => b.build()).toThrow(/Topic "t" is read by two sources/)

    const b2 = new StreamBuilder()
    const g = b2.globalTable('g', { key: str, value: str, name: 'g-store' })
    b2.stream('s', { key: str, value: str }).process(() => ({ process: () => undefined }), { stores: [g.queryableStoreName] })
    expect(() => b2.build()).toThrow(/global store "g-store"/)

    // A name shared by a global store and a task store is refused like any duplicate store.
    const b3 = new StreamBuilder()
    b3.globalTable('g', { key: str, value: str, name: 'dup' })
    b3.addStateStore(keyValueStoreSpec({ name: 'dup', keySerde: str, valueSerde: str }))
    b3.stream('s', { key: str, value: str }).process(() => ({ process: () => undefined }), { stores: ['dup'] })
    expect(() => b3.build()).toThrow(/Two state stores are named "dup"/)
  })
})
