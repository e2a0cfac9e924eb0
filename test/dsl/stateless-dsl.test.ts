import { RecordHeaders, Serdes, StreamBuilder, type Topology } from 'streamfold'
import { TopologyTestDriver } from 'streamfold/testing'

const str = Serdes.string()
const json = Serdes.json<number>()

function run(topology: Topology, fn: (driver: TopologyTestDriver) => void): void {
  const driver = new TopologyTestDriver(topology, { initialWallClockTimeMs: 1_000 })
  try {
    fn(driver)
  } finally {
    driver.close()
  }
}

describe('stateless DSL through the TopologyTestDriver', () => {
  test('filter and filterNot keep and drop by predicate, records unchanged', () => {
    const b = new StreamBuilder()
    const s = b.stream('in', { key: str, value: json })
    s.filter((_k, v) => v > 10).to('big', { key: str, value: json })
    s.filterNot((_k, v) => v > 10).to('small', { key: str, value: json })
    run(b.build(), (d) => {
      const input = d.createInputTopic('in', str, json)
      input.pipeInput('a', 5, 100)
      input.pipeInput('b', 50, 200)
      input.pipeInput('c', 11, 300)
      expect(d.createOutputTopic('big', str, json).readRecordsToList().map((r) => [r.key, r.value, r.timestamp])).toEqual([
        ['b', 50, 200],
        ['c', 11, 300],
      ])
      expect(d.createOutputTopic('small', str, json).readKeyValuesToList()).toEqual([{ key: 'a', value: 5 }])
    })
  })

  test('map changes key and value; mapValues keeps the key; selectKey keeps the value', () => {
    const b = new StreamBuilder()
    const s = b.stream('in', { key: str, value: json })
    s.map((k, v) => [`${k}!`, String(v * 2)] as const).to('mapped', { key: str, value: str })
    s.mapValues((k, v) => `${k}=${v}`).to('values', { key: str, value: str })
    s.selectKey((_k, v) => v % 2).to('rekeyed', { key: Serdes.int32(), value: json })
    run(b.build(), (d) => {
      d.createInputTopic('in', str, json).pipeInput('x', 21, 5)
      expect(d.createOutputTopic('mapped', str, str).readKeyValue()).toEqual({ key: 'x!', value: '42' })
      expect(d.createOutputTopic('values', str, str).readKeyValue()).toEqual({ key: 'x', value: 'x=21' })
      expect(d.createOutputTopic('rekeyed', Serdes.int32(), json).readKeyValue()).toEqual({ key: 1, value: 21 })
    })
  })

  test('flatMap and flatMapValues fan out in order, each output with the input timestamp and headers', () => {
    const b = new StreamBuilder()
    const s = b.stream('in', { key: str, value: str })
    s.flatMap((k, v) => v.split(' ').map((w, i) => [`${k}${i}`, w] as const)).to('words', { key: str, value: str })
    s.flatMapValues((_k, v) => v.split(' ').filter((w) => w.length > 1)).to('long-words', { key: str, value: str })
    run(b.build(), (d) => {
      d.createInputTopic('in', str, str).pipeRecord({ key: 'k', value: 'a bb ccc', timestamp: 77, headers: { trace: 't-1' } })
      const words = d.createOutputTopic('words', str, str).readRecordsToList()
      expect(words.map((r) => [r.key, r.value])).toEqual([
        ['k0', 'a'],
        ['k1', 'bb'],
        ['k2', 'ccc'],
      ])
      for (const r of words) {
        expect(r.timestamp).toBe(77)
        expect(r.headers.getString('trace')).toBe('t-1')
      }
      expect(d.createOutputTopic('long-words', str, str).readKeyValuesToList()).toEqual([
        { key: 'k', value: 'bb' },
        { key: 'k', value: 'ccc' },
      ])
      // An empty fan-out writes nothing.
      d.createInputTopic('in', str, str).pipeInput('k', 'z', 1)
      expect(d.createOutputTopic('long-words', str, str).isEmpty()).toBe(true)
    })
  })

  test('peek sees every record and forwards it; foreach is terminal', () => {
    const peeked: string[] = []
    const each: string[] = []
    const b = new StreamBuilder()
    const s = b.stream('in', { key: str, value: str }).peek((k, v) => peeked.push(`${k}:${v}`))
    s.to('out', { key: str, value: str })
    s.foreach((k) => each.push(k))
    run(b.build(), (d) => {
      const input = d.createInputTopic('in', str, str)
      input.pipeInput('a', '1')
      input.pipeInput('b', '2')
      expect(peeked).toEqual(['a:1', 'b:2'])
      expect(each).toEqual(['a', 'b'])
      expect(d.createOutputTopic('out', str, str).getQueueSize()).toBe(2)
    })
  })

  test('split: the first matching branch wins, then the default branch; unmatched records are dropped without one', () => {
    const b = new StreamBuilder()
    const branches = b
      .stream('in', { key: str, value: json })
      .split({ name: 'size-' })
      .branch((_k, v) => v > 100, { name: 'huge' })
      .branch((_k, v) => v > 10, { name: 'big' }) // 500 also matches this, but 'huge' comes first
      .defaultBranch({ name: 'rest' })
    expect(Object.keys(branches).sort()).toEqual(['size-big', 'size-huge', 'size-rest'])
    branches['size-huge'].to('huge', { key: str, value: json })
    branches['size-big'].to('big', { key: str, value: json })
    branches['size-rest'].to('rest', { key: str, value: json })

    const b2 = new StreamBuilder()
    const noDefault = b2
      .stream('in', { key: str, value: json })
      .split()
      .branch((_k, v) => v > 10)
      .noDefaultBranch()
    const [only] = Object.values(noDefault)
    only!.to('big', { key: str, value: json })

    run(b.build(), (d) => {
      const input = d.createInputTopic('in', str, json)
      for (const [k, v] of [['a', 500], ['b', 50], ['c', 5], ['d', 101]] as const) input.pipeInput(k, v)
      expect(d.createOutputTopic('huge', str, json).readValuesToList()).toEqual([500, 101])
      expect(d.createOutputTopic('big', str, json).readValuesToList()).toEqual([50])
      expect(d.createOutputTopic('rest', str, json).readValuesToList()).toEqual([5])
    })
    run(b2.build(), (d) => {
      const input = d.createInputTopic('in', str, json)
      input.pipeInput('a', 5)
      input.pipeInput('b', 50)
      expect(d.createOutputTopic('big', str, json).readValuesToList()).toEqual([50])
    })
  })

  test('split: withConsumer branches are not in the map; withFunction results are', () => {
    const b = new StreamBuilder()
    const branches = b
      .stream('in', { key: str, value: json })
      .split({ name: 's-' })
      .branch((_k, v) => v < 0, { name: 'neg', withConsumer: (ks) => ks.to('negative', { key: str, value: json }) })
      .branch((_k, v) => v === 0, { name: 'zero', withFunction: (ks) => ks.mapValues((_k, v) => v + 1000) })
      .noDefaultBranch()
    expect(Object.keys(branches)).toEqual(['s-zero'])
    branches['s-zero'].to('zero', { key: str, value: json })
    run(b.build(), (d) => {
      const input = d.createInputTopic('in', str, json)
      input.pipeInput('a', -1)
      input.pipeInput('b', 0)
      input.pipeInput('c', 1)
      expect(d.createOutputTopic('negative', str, json).readValuesToList()).toEqual([-1])
      expect(d.createOutputTopic('zero', str, json).readValuesToList()).toEqual([1000])
    })
  })

  test('merge interleaves both inputs in processing order', () => {
    const b = new StreamBuilder()
    const left = b.stream('left', { key: str, value: str })
    const right = b.stream('right', { key: str, value: str })
    left.merge(right).to('merged', { key: str, value: str })
    run(b.build(), (d) => {
      const l = d.createInputTopic('left', str, str)
      const r = d.createInputTopic('right', str, str)
      l.pipeInput('l', '1', 10)
      r.pipeInput('r', '2', 5)
      l.pipeInput('l', '3', 20)
      expect(d.createOutputTopic('merged', str, str).readValuesToList()).toEqual(['1', '2', '3'])
    })
  })

  test('stream() over several topics reads them all', () => {
    const b = new StreamBuilder()
    b.stream(['t1', 't2'], { key: str, value: str }).to('out', { key: str, value: str })
    run(b.build(), (d) => {
      d.createInputTopic('t1', str, str).pipeInput('a', 'x')
      d.createInputTopic('t2', str, str).pipeInput('b', 'y')
      expect(d.createOutputTopic('out', str, str).readKeyValuesToList()).toEqual([
        { key: 'a', value: 'x' },
        { key: 'b', value: 'y' },
      ])
    })
  })

  test('to() with a topic extractor routes each record by its content and input coordinates', () => {
    const seen: Array<string | undefined> = []
    const b = new StreamBuilder()
    b.stream('events', { key: str, value: str }).to(
      (key, _value, ctx) => {
        seen.push(ctx.topic)
        return `events-${key}`
      },
      { key: str, value: str },
    )
    run(b.build(), (d) => {
      const input = d.createInputTopic('events', str, str)
      input.pipeInput('eu', '1')
      input.pipeInput('us', '2')
      input.pipeInput('eu', '3')
      expect(d.createOutputTopic('events-eu', str, str).readValuesToList()).toEqual(['1', '3'])
      expect(d.createOutputTopic('events-us', str, str).readValuesToList()).toEqual(['2'])
      expect(seen).toEqual(['events', 'events', 'events'])
      expect(d.producedTopicNames().sort()).toEqual(['events-eu', 'events-us'])
    })
  })

  test('timestamps and headers propagate through a chain; null keys and values pass through', () => {
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: str })
      .mapValues((_k, v) => (v === null ? null : v.toUpperCase()))
      .filter(() => true)
      .to('out', { key: str, value: str })
    run(b.build(), (d) => {
      const input = d.createInputTopic('in', str, str)
      input.pipeRecord({ key: 'k', value: 'v', timestamp: 1234, headers: RecordHeaders.from({ a: '1' }).with('a', '2') })
      input.pipeRecord({ key: null, value: null, timestamp: 99 })
      const out = d.createOutputTopic('out', str, str)
      const first = out.readRecord()
      expect(first).toMatchObject({ key: 'k', value: 'V', timestamp: 1234 })
      expect(first.headers.getAll('a').map(String)).toEqual(['1', '2'])
      expect(out.readRecord()).toMatchObject({ key: null, value: null, timestamp: 99 })
    })
  })

  test('input timestamps default to the start timestamp and auto-advance', () => {
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: str }).to('out', { key: str, value: str })
    run(b.build(), (d) => {
      const input = d.createInputTopic('in', str, str, { startTimestamp: 500, autoAdvanceMs: 10 })
      input.pipeKeyValueList([
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
      ])
      input.pipeInput('c', '3', 7)
      input.pipeRecordList([{ value: '4' }])
      expect(d.createOutputTopic('out', str, str).readRecordsToList().map((r) => [r.key, r.timestamp])).toEqual([
        ['a', 500],
        ['b', 510],
        ['c', 7],
        [null, 520],
      ])
    })
  })

  test('custom partitioner output is range-checked; a record is written to another sub-topology and read back', () => {
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: str }).mapValues((_k, v) => `${v}+`).to('middle', { key: str, value: str, partitioner: () => 0 })
    b.stream('middle', { key: str, value: str }).mapValues((_k, v) => `${v}+`).to('out', { key: str, value: str })
    const topology = b.build()
    expect(topology.subtopologies).toHaveLength(2)
    run(topology, (d) => {
      d.createInputTopic('in', str, str).pipeInput('k', 'v')
      expect(d.createOutputTopic('out', str, str).readValue()).toBe('v++')
      expect(d.createOutputTopic('middle', str, str).readValue()).toBe('v+')
    })
  })

  test('reading an empty output topic throws NO_OUTPUT_RECORD', () => {
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: str }).to('out', { key: str, value: str })
    run(b.build(), (d) => {
      expect(() => d.createOutputTopic('out', str, str).readRecord()).toThrow(expect.objectContaining({ code: 'NO_OUTPUT_RECORD' }))
    })
  })
})
