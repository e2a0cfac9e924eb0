/**
 * Joins of derived (unmaterialized) tables, read through value getters as in Kafka Streams:
 * filter, filterNot and mapValues results, chains of them, and unnamed join results, on either
 * side of stream-table and table-table joins; and derived tables materialized by name.
 */
import { Serdes, StreamBuilder, Suppressed, TimeWindows, type Topology } from 'streamfold'
import { rows, withDriver } from './support/driver-kit'

const str = Serdes.string()
const num = Serdes.double()

const active = (_k: string, v: string): boolean => !v.startsWith('inactive')

describe('KStream-KTable join with a derived table', () => {
  function ordersJoinActiveCustomers(left: boolean): Topology {
    const b = new StreamBuilder()
    const customers = b.table('customers', { key: str, value: str }).filter(active)
    const orders = b.stream('orders', { key: str, value: str })
    const joined = left ? orders.leftJoin(customers, (_k, o, c) => `${o}@${c ?? 'null'}`) : orders.join(customers, (_k, o, c) => `${o}@${c}`)
    joined.to('out', { key: str, value: str })
    return b.build()
  }

  test.each([
    ['leftJoin', true, [['c1', 'o1@ada', 2], ['c1', 'o2@null', 4], ['c2', 'o3@null', 5]]],
    ['join', false, [['c1', 'o1@ada', 2]]],
  ])('%s with a filtered table: a row that stops matching reads as absent', (_kind, left, expected) => {
    withDriver(ordersJoinActiveCustomers(left as boolean), (d) => {
      const customers = d.createInputTopic('customers', str, str)
      const orders = d.createInputTopic('orders', str, str)
      const out = d.createOutputTopic('out', str, str)
      customers.pipeInput('c1', 'ada', 1)
      orders.pipeInput('c1', 'o1', 2)
      customers.pipeInput('c1', 'inactive-ada', 3) // still in the source store, filtered out
      orders.pipeInput('c1', 'o2', 4)
      customers.pipeInput('c2', 'inactive-bob', 4)
      orders.pipeInput('c2', 'o3', 5)
      expect(rows(out)).toEqual(expected)
    })
  })

  test('with a mapValues table, and a chain filter → mapValues → filterNot (each step applied per lookup)', () => {
    const b = new StreamBuilder()
    const customers = b.table('customers', { key: str, value: str })
    const orders = b.stream('orders', { key: str, value: str })
    orders.join(customers.mapValues((_k, v) => v.length), (_k, o, len) => `${o}:${len}`).to('lengths', { key: str, value: str })
    const chained = customers
      .filter(active)
      .mapValues((_k, v) => v.toUpperCase())
      .filterNot((_k, v) => v.startsWith('X'))
    orders.leftJoin(chained, (_k, o, c) => `${o}:${c ?? 'null'}`).to('chained', { key: str, value: str })
    withDriver(b.build(), (d) => {
      const c = d.createInputTopic('customers', str, str)
      const o = d.createInputTopic('orders', str, str)
      const lengths = d.createOutputTopic('lengths', str, str)
      const chainedOut = d.createOutputTopic('chained', str, str)
      c.pipeInput('k1', 'ada', 1)
      c.pipeInput('k2', 'xena', 1)
      c.pipeInput('k3', 'inactive', 1)
      for (const k of ['k1', 'k2', 'k3', 'k4']) o.pipeInput(k, 'o', 2)
      expect(rows(lengths)).toEqual([['k1', 'o:3', 2], ['k2', 'o:4', 2], ['k3', 'o:8', 2]])
      expect(rows(chainedOut)).toEqual([['k1', 'o:ADA', 2], ['k2', 'o:null', 2], ['k3', 'o:null', 2], ['k4', 'o:null', 2]])
    })
  })

  test('describe(): the materialized ancestor\'s store is connected to the join node, in one sub-topology with the stream', () => {
    const description = ordersJoinActiveCustomers(false).describe().toString()
    expect(description).toMatch(/Processor: KSTREAM-JOIN-\d+ \(stores: \[customers-table-[0-9a-f]+\]\)/)
    expect(description.split('Sub-topology')).toHaveLength(2) // one sub-topology holding both sources
  })
})

describe('KTable-KTable join with derived tables', () => {
  test('inner join with a filtered table: a row filtered out retracts the result (tombstone)', () => {
    const b = new StreamBuilder()
    const users = b.table('users', { key: str, value: str })
    const addresses = b.table('addresses', { key: str, value: str }).filter(active)
    users.join(addresses, (_k, u, a) => `${u}|${a}`).toStream().to('out', { key: str, value: str })
    withDriver(b.build(), (d) => {
      const u = d.createInputTopic('users', str, str)
      const a = d.createInputTopic('addresses', str, str)
      const out = d.createOutputTopic('out', str, str)
      a.pipeInput('k', 'street', 1)
      u.pipeInput('k', 'ada', 2) // the left side reads the right through the filter's getter
      a.pipeInput('k', 'inactive-street', 3) // filtered out: retraction
      u.pipeInput('k', 'ada2', 4) // right side reads as absent: nothing
      a.pipeInput('k', 'road', 5)
      expect(rows(out)).toEqual([['k', 'ada|street', 2], ['k', null, 3], ['k', 'ada2|road', 5]])
    })
  })

  test('outer join of two derived tables: each side reads the other\'s derivation; timestamps are the later row\'s', () => {
    const b = new StreamBuilder()
    const left = b.table('left', { key: str, value: str }).mapValues((_k, v) => v.toUpperCase())
    const right = b.table('right', { key: str, value: num }).filter((_k, v) => v > 0)
    left.outerJoin(right, (_k, l, r) => `${l ?? 'null'}+${r ?? 'null'}`).toStream().to('out', { key: str, value: str })
    withDriver(b.build(), (d) => {
      const l = d.createInputTopic('left', str, str)
      const r = d.createInputTopic('right', str, num)
      const out = d.createOutputTopic('out', str, str)
      r.pipeInput('k', 5, 10)
      l.pipeInput('k', 'x', 3) // joins right's row: timestamp 10
      r.pipeInput('k', -1, 11) // filtered out: left joins null
      l.pipeInput('k', 'y', 12) // right still filtered out
      r.pipeInput('k', 7, 4) // reads left's mapped row at 12
      l.pipeInput('k', null, 13)
      r.pipeInput('k', null, 14) // both gone: deleted
      expect(rows(out)).toEqual([
        ['k', 'null+5', 10],
        ['k', 'X+5', 10],
        ['k', 'X+null', 11],
        ['k', 'Y+null', 12],
        ['k', 'Y+7', 12],
        ['k', 'null+7', 13],
        ['k', null, 14],
      ])
    })
  })

  test('an unnamed join result is read by a later join through both parents\' getters', () => {
    const b = new StreamBuilder()
    const users = b.table('users', { key: str, value: str })
    const addresses = b.table('addresses', { key: str, value: str })
    const profiles = users.leftJoin(addresses, (_k, u, a) => `${u}|${a ?? '-'}`)
    b.stream('orders', { key: str, value: str })
      .leftJoin(profiles, (_k, o, p) => `${o}@${p ?? 'null'}`)
      .to('out', { key: str, value: str })
    const topology = b.build()
    expect(topology.describe().toString()).toMatch(/Processor: KSTREAM-JOIN-\d+ \(stores: \[users-table-[0-9a-f]+, addresses-table-[0-9a-f]+\]\)/)
    withDriver(topology, (d) => {
      const u = d.createInputTopic('users', str, str)
      const a = d.createInputTopic('addresses', str, str)
      const o = d.createInputTopic('orders', str, str)
      const out = d.createOutputTopic('out', str, str)
      o.pipeInput('k', 'o1', 1) // no user: the left join result has no row
      a.pipeInput('k', 'street', 2)
      o.pipeInput('k', 'o2', 3) // an address alone does not make a left-join row
      u.pipeInput('k', 'ada', 4)
      o.pipeInput('k', 'o3', 5)
      a.pipeInput('k', null, 6)
      o.pipeInput('k', 'o4', 7)
      expect(rows(out)).toEqual([['k', 'o1@null', 1], ['k', 'o2@null', 3], ['k', 'o3@ada|street', 5], ['k', 'o4@ada|-', 7]])
    })
  })

  test('a three-way join: an unnamed join result on one side, each update retracting the old result', () => {
    const b = new StreamBuilder()
    const users = b.table('users', { key: str, value: str })
    const addresses = b.table('addresses', { key: str, value: str })
    const phones = b.table('phones', { key: str, value: str })
    users
      .join(addresses, (_k, u, a) => `${u}|${a}`)
      .join(phones.filter(active), (_k, ua, p) => `${ua}|${p}`)
      .toStream()
      .to('out', { key: str, value: str })
    withDriver(b.build(), (d) => {
      const [u, a, p] = ['users', 'addresses', 'phones'].map((t) => d.createInputTopic(t, str, str))
      const out = d.createOutputTopic('out', str, str)
      p!.pipeInput('k', '555', 1)
      u!.pipeInput('k', 'ada', 2) // no address: the first join has no row, nothing reaches the second
      a!.pipeInput('k', 'street', 3) // the first join's update reads phones through the filter
      p!.pipeInput('k', '556', 4) // phones' side reads the first join's getter (users ⋈ addresses)
      a!.pipeInput('k', null, 5) // the first join's row is gone: retracted all the way
      p!.pipeInput('k', 'inactive', 6) // nothing joined any more: nothing to retract
      expect(rows(out)).toEqual([['k', 'ada|street|555', 3], ['k', 'ada|street|556', 4], ['k', null, 5]])
    })
  })

  test('joining a table with a table derived from the same store is refused', () => {
    const b = new StreamBuilder()
    const t = b.table('t', { key: str, value: str })
    expect(() => t.join(t.filter(active), (_k, x, y) => x + y)).toThrow(/derived from the same store/)
  })
})

describe('materialized derived tables', () => {
  test('filter({ name }) is kept in a queryable store and joined through it', () => {
    const b = new StreamBuilder()
    const activeCustomers = b.table('customers', { key: str, value: str }).filter(active, { name: 'active-customers' })
    b.stream('orders', { key: str, value: str }).join(activeCustomers, (_k, o, c) => `${o}@${c}`).to('out', { key: str, value: str })
    const topology = b.build()
    expect(activeCustomers.queryableStoreName).toBe('active-customers')
    expect(topology.describe().toString()).toMatch(/Processor: KSTREAM-JOIN-\d+ \(stores: \[active-customers\]\)/)
    withDriver(topology, (d) => {
      const c = d.createInputTopic('customers', str, str)
      c.pipeInput('c1', 'ada', 1)
      c.pipeInput('c2', 'inactive-bob', 2)
      const store = d.getKeyValueStore<string, string>('active-customers')
      expect([store.get('c1'), store.get('c2')]).toEqual(['ada', undefined])
      c.pipeInput('c1', 'inactive-ada', 3)
      expect(store.get('c1')).toBeUndefined()
      c.pipeInput('c2', 'bob', 4)
      d.createInputTopic('orders', str, str).pipeInput('c2', 'o', 5)
      expect(rows(d.createOutputTopic('out', str, str))).toEqual([['c2', 'o@bob', 5]])
    })
  })

  test('mapValues({ name }) to a new type needs its value serde', () => {
    const b = new StreamBuilder()
    const t = b.table('t', { key: str, value: str })
    expect(() => t.mapValues((_k, v) => v.length, { name: 'lengths' })).toThrow(/needs a value serde/)
    t.mapValues((_k, v) => v.length, { name: 'lengths', value: num })
    withDriver(b.build(), (d) => {
      d.createInputTopic('t', str, str).pipeInput('k', 'abcd', 1)
      expect(d.getKeyValueStore<string, number>('lengths').get('k')).toBe(4)
    })
  })
})

describe('tables refused as join inputs', () => {
  test('a windowed table, and one suppressed untilWindowCloses, with the reason', () => {
    const b = new StreamBuilder()
    const counts = b.stream('s', { key: str, value: str }).groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count()
    const finals = counts.suppress(Suppressed.untilWindowCloses())
    expect(() => finals.join(counts.filter(() => true), (_k, x, y) => x + y)).toThrow(/cannot read a windowed table .* materialize it with toStream\(\)\.toTable\(\{ name \}\)/)
  })

  test('the hinted fix: windowed results materialized by their windowed key join window by window', () => {
    const b = new StreamBuilder()
    const grouped = b.stream('s', { key: str, value: str }).groupByKey()
    const counts = grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count().toStream().toTable({ name: 'counts' })
    const lengths = grouped
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
      .aggregate(() => 0, (_k, v, total) => total + v.length, { value: Serdes.double() })
      .toStream()
      .toTable({ name: 'lengths' })
    counts.join(lengths, (_k, n, len) => `${n}/${len}`).toStream().to('out', { key: Serdes.windowed(str), value: str })
    withDriver(b.build(), (d) => {
      const s = d.createInputTopic('s', str, str)
      s.pipeInput('k', 'ab', 1)
      s.pipeInput('k', 'x', 12) // the next window: joined on its own
      const out = d.createOutputTopic('out', Serdes.windowed(str), str).readRecordsToList()
      expect(out.map((r) => [r.key?.window.start, r.value])).toEqual([[0, '1/2'], [10, '1/1']])
    })
  })
})
