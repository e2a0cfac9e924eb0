import { Serdes, StreamBuilder, Suppressed, TimeWindows, type Topology } from 'streamfold'
import { rows, withDriver } from './support/driver-kit'
import { planTopics } from '../../src/runtime/app/topic-plan'
import { createEmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'

const str = Serdes.string()

/** Stream `left` joined with table `right` (Kafka's KStreamKTableJoinTest shape: joiner "v+t"). */
function streamJoinTable(left: boolean, rekey = false): Topology {
  const b = new StreamBuilder()
  const table = b.table('right', { key: str, value: str })
  let stream = b.stream('left', { key: str, value: str })
  if (rekey) stream = stream.selectKey((_k, v) => v.split(':')[0]!)
  const joined = left ? stream.leftJoin(table, (_k, v, t) => `${v}+${t ?? 'null'}`) : stream.join(table, (_k, v, t) => `${v}+${t}`)
  joined.to('out', { key: str, value: str })
  return b.build()
}

describe('KStream-KTable join', () => {
  test('inner: stream records join the table value current at their arrival; table updates emit nothing; misses emit nothing', () => {
    withDriver(streamJoinTable(false), (d) => {
      const stream = d.createInputTopic('left', str, str)
      const table = d.createInputTopic('right', str, str)
      const out = d.createOutputTopic('out', str, str)
      stream.pipeInput('0', 'X0', 0) // table empty: no match
      stream.pipeInput('1', 'X1', 1)
      expect(rows(out)).toEqual([])
      table.pipeInput('0', 'Y0', 5) // table updates alone emit nothing
      table.pipeInput('1', 'Y1', 6)
      expect(rows(out)).toEqual([])
      stream.pipeInput('0', 'X0', 2) // output timestamp is the stream record's, not the table's
      stream.pipeInput('1', 'X1', 3)
      stream.pipeInput('2', 'X2', 4) // no row for key 2
      expect(rows(out)).toEqual([['0', 'X0+Y0', 2], ['1', 'X1+Y1', 3]])
      table.pipeInput('0', 'YY0', 7) // the next lookup sees the update
      table.pipeInput('1', null, 8) // and a deleted row no longer matches
      stream.pipeInput('0', 'X0', 9)
      stream.pipeInput('1', 'X1', 10)
      expect(rows(out)).toEqual([['0', 'X0+YY0', 9]])
    })
  })

  test('left: a record without a match is joined with null', () => {
    withDriver(streamJoinTable(true), (d) => {
      const stream = d.createInputTopic('left', str, str)
      const table = d.createInputTopic('right', str, str)
      const out = d.createOutputTopic('out', str, str)
      stream.pipeInput('0', 'X0', 0)
      table.pipeInput('0', 'Y0', 1)
      stream.pipeInput('0', 'X0', 2)
      table.pipeInput('0', null, 3)
      stream.pipeInput('0', 'X0', 4)
      expect(rows(out)).toEqual([['0', 'X0+null', 0], ['0', 'X0+Y0', 2], ['0', 'X0+null', 4]])
    })
  })

  test('null values are dropped by both kinds; null keys are dropped by inner and joined with null by left (KIP-962)', () => {
    withDriver(streamJoinTable(false), (d) => {
      const stream = d.createInputTopic('left', str, str)
      d.createInputTopic('right', str, str).pipeInput('0', 'Y0', 0)
      const out = d.createOutputTopic('out', str, str)
      stream.pipeInput('0', null, 1)
      stream.pipeInput(null, 'X', 2)
      expect(rows(out)).toEqual([])
      expect(d.droppedRecords('null-value')).toBe(1)
      expect(d.droppedRecords('null-key')).toBe(1)
    })
    withDriver(streamJoinTable(true), (d) => {
      const stream = d.createInputTopic('left', str, str)
      const out = d.createOutputTopic('out', str, str)
      stream.pipeInput('0', null, 1)
      stream.pipeInput(null, 'X', 2)
      expect(rows(out)).toEqual([[null, 'X+null', 2]])
      expect(d.droppedRecords('null-value')).toBe(1)
      expect(d.droppedRecords('null-key')).toBe(0)
    })
  })

  test('a re-keyed stream is repartitioned before the join; the join node reads the table store in one sub-topology', () => {
    const topology = streamJoinTable(false, true)
    const description = topology.describe().toString()
    expect(description).toMatch(/Processor: KSTREAM-JOIN-\d+ \(stores: \[right-table-[0-9a-f]+\]\)/)
    const joinSubTopology = description.split('Sub-topology').find((part) => part.includes('KSTREAM-JOIN-'))!
    expect(joinSubTopology).toMatch(/Source: left-join-[0-9a-f]+-repartition-source/)
    expect(joinSubTopology).toContain('(topics: [right])')
    withDriver(topology, (d) => {
      d.createInputTopic('right', str, str).pipeInput('c1', 'Ada', 0)
      d.createInputTopic('left', str, str).pipeInput('o1', 'c1:book', 5)
      expect(rows(d.createOutputTopic('out', str, str))).toEqual([['c1', 'c1:book+Ada', 5]])
    })
  })

  test('unmaterialized tables (a filter result, a suppressed table) are read through their value getters; a windowed one is refused with a clear error', () => {
    const b = new StreamBuilder()
    const table = b.table('right', { key: str, value: str })
    const stream = b.stream('left', { key: str, value: str })
    expect(() => stream.join(table.filter(() => true), (_k, v, t) => `${v}${t}`)).not.toThrow()
    expect(() => stream.join(table.suppress(Suppressed.untilTimeLimit(1)), (_k, v, t) => `${v}${t}`)).not.toThrow()
    const windowed = stream.groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(10)).count()
    expect(() => windowed.join(windowed.mapValues((_k, n) => n + 1), (_k, x, y) => x + y)).toThrow(/cannot read a windowed table/)
  })

  test('the topic plan refuses a stream and a table with different partition counts; a re-keyed stream is repartitioned to the table\'s count', async () => {
    const broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0, autoCreateTopics: false })
    try {
      await broker.admin().ensureTopics([
        { name: 'left', partitions: 2 },
        { name: 'right', partitions: 3 },
      ])
      const admin = broker.admin()
      await expect(planTopics({ topology: streamJoinTable(false), applicationId: 'app', admin, dedup: undefined })).rejects.toThrow(
        'must have the same partition count: right (3), left (2)',
      )
      const plan = await planTopics({ topology: streamJoinTable(false, true), applicationId: 'app', admin, dedup: undefined })
      expect(plan.internalTopics.find((t) => t.name.endsWith('-repartition'))?.partitions).toBe(3)
    } finally {
      await broker.close()
    }
  })
})
