import { Serdes, StreamBuilder, SessionWindows, SlidingWindows, Suppressed, TimeWindows, type Topology, type Windowed } from 'streamfold'
import { TopologyTestDriver } from 'streamfold/testing'

const str = Serdes.string()
const num = Serdes.double()
const win = Serdes.windowed(str)

function withDriver(topology: Topology, fn: (d: TopologyTestDriver) => void): void {
  const d = new TopologyTestDriver(topology, { initialWallClockTimeMs: 0 })
  try {
    fn(d)
  } finally {
    d.close()
  }
}

const w = (key: string, start: number, end: number): Windowed<string> => ({ key, window: { start, end } })

describe('grouped stream aggregations', () => {
  test('count, reduce and aggregate per key, with results in the store and as table updates', () => {
    const b = new StreamBuilder()
    const grouped = b.stream('in', { key: str, value: num }).groupByKey()
    grouped.count({ name: 'counts' }).toStream().to('counts-out', { key: str, value: num })
    grouped.reduce((a, v) => a + v, { name: 'sums' }).toStream().to('sums-out', { key: str, value: num })
    grouped
      .aggregate(() => '', (_k, v, agg) => `${agg}${v}`, { name: 'concat', value: str })
      .toStream()
      .to('concat-out', { key: str, value: str })
    withDriver(b.build(), (d) => {
      const input = d.createInputTopic('in', str, num)
      input.pipeInput('a', 1, 10)
      input.pipeInput('b', 5, 20)
      input.pipeInput('a', 2, 5)
      input.pipeInput(null, 9, 30) // null keys are dropped and counted
      expect(d.createOutputTopic('counts-out', str, num).readRecordsToList().map((r) => [r.key, r.value, r.timestamp])).toEqual([
        ['a', 1, 10],
        ['b', 1, 20],
        ['a', 2, 10], // timestamp: max of the records that made the aggregate
      ])
      expect(d.createOutputTopic('sums-out', str, num).readKeyValuesToList()).toEqual([
        { key: 'a', value: 1 },
        { key: 'b', value: 5 },
        { key: 'a', value: 3 },
      ])
      expect(d.createOutputTopic('concat-out', str, str).readKeyValuesToMap()).toEqual(new Map([['a', '12'], ['b', '5']]))
      expect(d.getKeyValueStore<string, number>('counts').get('a')).toBe(2)
      expect(d.getKeyValueStore<string, number>('sums').get('b')).toBe(5)
      expect(d.droppedRecords('null-key')).toBeGreaterThan(0)
    })
  })

  test('groupBy on a new key goes through a repartition topic and produces the same counts as a reference fold', () => {
    const b = new StreamBuilder()
    b.stream('clicks', { key: str, value: str })
      .groupBy((_user, page) => page, { key: str, name: 'by-page' })
      .count({ name: 'page-counts' })
      .toStream()
      .to('page-counts-out', { key: str, value: num })
    const topology = b.build()
    expect(topology.subtopologies).toHaveLength(2)
    expect(topology.describe()).toContain('by-page-repartition')
    withDriver(topology, (d) => {
      const input = d.createInputTopic('clicks', str, str)
      const pages = ['/a', '/b', '/c', '/d']
      const reference = new Map<string, number>()
      let seed = 7
      for (let i = 0; i < 500; i++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31
        const page = pages[seed % pages.length]!
        reference.set(page, (reference.get(page) ?? 0) + 1)
        input.pipeInput(`user-${i % 13}`, page, i)
      }
      expect(d.createOutputTopic('page-counts-out', str, num).readKeyValuesToMap()).toEqual(reference)
      expect(d.producedTopicNames()).toContain('topology-test-driver-by-page-repartition')
    })
  })

  test('a key change before groupByKey repartitions automatically', () => {
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: str })
      .selectKey((_k, v) => v)
      .groupByKey({ key: str, value: str })
      .count({ name: 'by-value' })
    const topology = b.build()
    expect(topology.subtopologies).toHaveLength(2)
    withDriver(topology, (d) => {
      const input = d.createInputTopic('in', str, str)
      input.pipeInput('x', 'v1')
      input.pipeInput('y', 'v1')
      expect(d.getKeyValueStore<string, number>('by-value').get('v1')).toBe(2)
    })
  })

  test('stateful operations after a type change without serdes fail at build time with a clear error', () => {
    const b = new StreamBuilder()
    expect(() => b.stream('in', { key: str, value: str }).mapValues((_k, v) => v.length).groupByKey().reduce((a, v) => a + v)).toThrow(
      expect.objectContaining({ code: 'TOPOLOGY_INVALID' }),
    )
  })
})

describe('tables', () => {
  test('builder.table keeps the latest value per key; a tombstone deletes', () => {
    const b = new StreamBuilder()
    b.table('users', { key: str, value: str, name: 'users-store' }).toStream().to('users-out', { key: str, value: str })
    withDriver(b.build(), (d) => {
      const input = d.createInputTopic('users', str, str)
      input.pipeInput('u1', 'alice')
      input.pipeInput('u1', 'alicia')
      input.pipeInput('u1', null)
      input.pipeInput('u2', 'bob')
      expect(d.createOutputTopic('users-out', str, str).readKeyValuesToList()).toEqual([
        { key: 'u1', value: 'alice' },
        { key: 'u1', value: 'alicia' },
        { key: 'u1', value: null },
        { key: 'u2', value: 'bob' },
      ])
      expect(d.getKeyValueStore<string, string>('users-store').get('u1')).toBeUndefined()
      expect(d.getKeyValueStore<string, string>('users-store').get('u2')).toBe('bob')
    })
  })

  test('KTable filter emits a tombstone when a row stops matching, and nothing for rows that never matched', () => {
    const b = new StreamBuilder()
    b.table('scores', { key: str, value: num, name: 'scores' })
      .filter((_k, v) => v >= 10)
      .toStream()
      .to('high', { key: str, value: num })
    withDriver(b.build(), (d) => {
      const input = d.createInputTopic('scores', str, num)
      input.pipeInput('a', 15)
      input.pipeInput('b', 3) // never matched: nothing
      input.pipeInput('a', 5) // stops matching: tombstone
      input.pipeInput('a', 20)
      expect(d.createOutputTopic('high', str, num).readKeyValuesToList()).toEqual([
        { key: 'a', value: 15 },
        { key: 'a', value: null },
        { key: 'a', value: 20 },
      ])
    })
  })

  test('table aggregate with subtractor: a row that changes group leaves the old group and joins the new one', () => {
    const b = new StreamBuilder()
    b.table('user-regions', { key: str, value: str, name: 'user-regions' })
      .groupBy((_user, region) => [region, 1] as const, { key: str, value: num, name: 'by-region' })
      .aggregate(
        () => 0,
        (_region, v, agg) => agg + v,
        (_region, v, agg) => agg - v,
        { name: 'users-per-region', value: num },
      )
      .toStream()
      .to('region-counts', { key: str, value: num })
    withDriver(b.build(), (d) => {
      const input = d.createInputTopic('user-regions', str, str)
      input.pipeInput('alice', 'eu')
      input.pipeInput('bob', 'eu')
      input.pipeInput('alice', 'us') // moves: eu 2 -> 1, us 0 -> 1
      input.pipeInput('bob', null) // deleted: eu 1 -> 0
      const store = d.getKeyValueStore<string, number>('users-per-region')
      expect(store.get('eu')).toBe(0)
      expect(store.get('us')).toBe(1)
      expect(d.createOutputTopic('region-counts', str, num).readKeyValuesToList()).toEqual([
        { key: 'eu', value: 1 },
        { key: 'eu', value: 2 },
        { key: 'eu', value: 1 },
        { key: 'us', value: 1 },
        { key: 'eu', value: 0 },
      ])
    })
  })

  test('KGroupedTable count and reduce', () => {
    const b = new StreamBuilder()
    const grouped = b.table('t', { key: str, value: str, name: 't' }).groupBy((_k, v) => [v, 1] as const, { key: str, value: num, name: 'g' })
    grouped.count({ name: 'cnt' })
    grouped.reduce((a, v) => a + v, (a, v) => a - v, { name: 'sum' })
    withDriver(b.build(), (d) => {
      const input = d.createInputTopic('t', str, str)
      input.pipeInput('k1', 'x')
      input.pipeInput('k2', 'x')
      input.pipeInput('k1', 'y')
      expect(d.getKeyValueStore<string, number>('cnt').get('x')).toBe(1)
      expect(d.getKeyValueStore<string, number>('cnt').get('y')).toBe(1)
      expect(d.getKeyValueStore<string, number>('sum').get('x')).toBe(1)
    })
  })

  test('KStream.toTable and KTable.mapValues', () => {
    const b = new StreamBuilder()
    b.stream('s', { key: str, value: num }).toTable({ name: 'latest' }).mapValues((_k, v) => v * 10).toStream().to('out', { key: str, value: num })
    withDriver(b.build(), (d) => {
      const input = d.createInputTopic('s', str, num)
      input.pipeInput('a', 1)
      input.pipeInput('a', 2)
      expect(d.createOutputTopic('out', str, num).readValuesToList()).toEqual([10, 20])
      expect(d.getKeyValueStore<string, number>('latest').get('a')).toBe(2)
    })
  })
})

describe('windowed aggregations', () => {
  test('tumbling windows: out-of-order records inside grace are counted, later ones are dropped and counted as late', () => {
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: str })
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeAndGrace(10, 5))
      .count({ name: 'tumbling' })
      .toStream()
      .to('out', { key: win, value: num })
    withDriver(b.build(), (d) => {
      const input = d.createInputTopic('in', str, str)
      input.pipeInput('k', 'a', 1) // [0,10)
      input.pipeInput('k', 'a', 12) // [10,20)
      input.pipeInput('k', 'a', 8) // out of order, [0,10) closes at 10+5=15 > 12: accepted
      input.pipeInput('k', 'a', 16) // stream time 16: [0,10) is now closed
      input.pipeInput('k', 'a', 3) // late: dropped
      expect(d.createOutputTopic('out', win, num).readKeyValuesToList()).toEqual([
        { key: w('k', 0, 10), value: 1 },
        { key: w('k', 10, 20), value: 1 },
        { key: w('k', 0, 10), value: 2 },
        { key: w('k', 10, 20), value: 2 },
      ])
      expect(d.droppedRecords('late-record')).toBe(1)
      const store = d.getWindowStore<string, number>('tumbling')
      expect(store.fetch('k', 0)).toBe(2)
      expect(store.fetch('k', 10)).toBe(2)
    })
  })

  test('hopping windows: a record lands in every window that contains it', () => {
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: str })
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10).advanceBy(5))
      .count({ name: 'hopping' })
      .toStream()
      .to('out', { key: win, value: num })
    withDriver(b.build(), (d) => {
      d.createInputTopic('in', str, str).pipeInput('k', 'a', 7)
      expect(d.createOutputTopic('out', win, num).readKeyValuesToList()).toEqual([
        { key: w('k', 0, 10), value: 1 },
        { key: w('k', 5, 15), value: 1 },
      ])
    })
  })

  test('sliding windows: one window per distinct set of records within the time difference', () => {
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: num })
      .groupByKey()
      .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(10, 100))
      .reduce((a, v) => a + v, { name: 'sliding' })
      .toStream()
      .to('out', { key: win, value: num })
    withDriver(b.build(), (d) => {
      const input = d.createInputTopic('in', str, num)
      input.pipeInput('k', 1, 20)
      input.pipeInput('k', 2, 25)
      input.pipeInput('k', 4, 40)
      input.pipeInput('k', 8, 22) // out of order, within grace
      const finals = new Map<string, number>()
      for (const { key, value } of d.createOutputTopic('out', win, num).readKeyValuesToList()) {
        finals.set(`${key!.window.start}-${key!.window.end}`, value!)
      }
      // Windows (inclusive bounds) and their final sums, as Kafka Streams' algorithm creates them:
      expect(Object.fromEntries(finals)).toEqual({
        '10-20': 1, // left window of 20: {20}
        '21-31': 10, // right window of 20: {22, 25}
        '15-25': 11, // left window of 25: {20, 22, 25}
        '30-40': 4, // left window of 40: {40}
        '12-22': 9, // left window of 22: {20, 22}
        '23-33': 2, // right window of 22: {25}
      })
      // 25's right window [26,36] would hold no record until 40 arrives, so it is never created.
      expect(finals.has('26-36')).toBe(false)
    })
  })

  test('session windows: records within the gap share a session; a bridging record merges two sessions', () => {
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: str })
      .groupByKey()
      .windowedBy(SessionWindows.ofInactivityGapAndGrace(5, 0))
      .count({ name: 'sessions' })
      .toStream()
      .to('out', { key: win, value: num })
    withDriver(b.build(), (d) => {
      const input = d.createInputTopic('in', str, str)
      input.pipeInput('k', 'a', 0) // session [0,0]
      input.pipeInput('k', 'a', 10) // new session [10,10]
      input.pipeInput('k', 'a', 5) // bridges both: merged [0,10] with 3 records
      const sessions = d.getSessionStore<string, number>('sessions').fetch('k')
      expect(sessions.map((s) => [s.key.window.start, s.key.window.end, s.value])).toEqual([[0, 10, 3]])
      input.pipeInput('k', 'a', 30) // new session; closes [0,10] (10 < 30 - 5 - 0)
      input.pipeInput('k', 'a', 9) // late: its merged session [0,10] ended before 25
      expect(d.createOutputTopic('out', win, num).readKeyValuesToList()).toEqual([
        { key: w('k', 0, 0), value: 1 },
        { key: w('k', 10, 10), value: 1 },
        { key: w('k', 0, 0), value: null }, // merged away
        { key: w('k', 10, 10), value: null }, // merged away
        { key: w('k', 0, 10), value: 3 },
        { key: w('k', 30, 30), value: 1 },
      ])
      expect(d.droppedRecords('late-record')).toBe(1)
      // Retention (2 gaps + grace) has expired [0,10] by stream time 30; the new session remains.
      expect(d.getSessionStore<string, number>('sessions').fetch('k').map((s) => [s.key.window.start, s.key.window.end])).toEqual([[30, 30]])
    })
  })

  test('suppress(untilWindowCloses) emits exactly one final result per window', () => {
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: str })
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeAndGrace(10, 2))
      .count({ name: 'final-counts' })
      .suppress(Suppressed.untilWindowCloses())
      .toStream()
      .to('finals', { key: win, value: num })
    withDriver(b.build(), (d) => {
      const input = d.createInputTopic('in', str, str)
      for (const t of [1, 2, 3, 9]) input.pipeInput('a', 'x', t)
      input.pipeInput('b', 'x', 5)
      input.pipeInput('a', 'x', 11) // stream time 11: [0,10) closes at 12, not yet
      const out = d.createOutputTopic('finals', win, num)
      expect(out.isEmpty()).toBe(true)
      input.pipeInput('a', 'x', 12) // now [0,10) is closed for both keys
      expect(out.readKeyValuesToList()).toEqual([
        { key: w('a', 0, 10), value: 4 },
        { key: w('b', 0, 10), value: 1 },
      ])
      input.pipeInput('a', 'x', 30) // closes [10,20)
      expect(out.readKeyValuesToList()).toEqual([{ key: w('a', 10, 20), value: 2 }])
      input.pipeInput('c', 'x', 31)
      expect(out.isEmpty()).toBe(true) // no window closed twice
    })
  })

  test('suppress(untilTimeLimit) emits the latest value per key after the wait, and emits early when its buffer is full', () => {
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: num })
      .toTable({ name: 'latest' })
      .suppress(Suppressed.untilTimeLimit(10, { maxRecords: 2, whenFull: 'emitEarly' }))
      .toStream()
      .to('out', { key: str, value: num })
    withDriver(b.build(), (d) => {
      const input = d.createInputTopic('in', str, num)
      const out = d.createOutputTopic('out', str, num)
      input.pipeInput('a', 1, 0)
      input.pipeInput('a', 2, 5)
      expect(out.isEmpty()).toBe(true)
      input.pipeInput('b', 7, 10) // a has waited 10 since its first held update: emitted with its latest value
      expect(out.readKeyValuesToList()).toEqual([{ key: 'a', value: 2 }])
      input.pipeInput('c', 1, 11)
      input.pipeInput('d', 1, 12) // three held keys > maxRecords 2: the oldest (b) is emitted early
      expect(out.readKeyValuesToList()).toEqual([{ key: 'b', value: 7 }])
    })
  })

  test('a full untilWindowCloses buffer fails instead of emitting early', () => {
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: str })
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
      .count()
      .suppress(Suppressed.untilWindowCloses({ maxRecords: 1, whenFull: 'shutDown' }))
    withDriver(b.build(), (d) => {
      const input = d.createInputTopic('in', str, str)
      input.pipeInput('a', 'x', 1)
      expect(() => input.pipeInput('b', 'x', 2)).toThrow(expect.objectContaining({ code: 'SUPPRESS_BUFFER_FULL' }))
    })
  })
})

describe('stable names', () => {
  test('unnamed stores and repartition topics keep their names when unrelated nodes are added', () => {
    const build = (extra: boolean) => {
      const b = new StreamBuilder()
      if (extra) b.stream('other', { key: str, value: str }).filter(() => true).to('x', { key: str, value: str })
      b.stream('clicks', { key: str, value: str }).groupBy((_k, v) => v, { key: str }).count()
      const t = b.build()
      return { stores: t.stores.map((s) => s.name), repartition: t.repartitionTopics().map((r) => r.topic) }
    }
    expect(build(true)).toEqual(build(false))
    expect(build(false).stores[0]).toMatch(/^clicks-count-[0-9a-f]{8}$/)
  })
})
