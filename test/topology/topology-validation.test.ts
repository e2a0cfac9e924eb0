import { Serdes, StreamBuilder, TopologyBuilder, TopologyError, type ErrorCode, type Processor } from 'streamfold'

const str = Serdes.string()
const noop = (): Processor<string, string> => ({ process: () => undefined })

function buildError(fn: () => unknown): TopologyError {
  try {
    fn()
  } catch (error) {
    if (error instanceof TopologyError) return error
    throw error
  }
  throw new Error('expected build() to throw')
}

function expectCode(fn: () => unknown, code: ErrorCode, node?: string): TopologyError {
  const error = buildError(fn)
  expect(error.code).toBe(code)
  if (node !== undefined) expect(error.coordinates.node ?? error.coordinates.store).toBe(node)
  return error
}

describe('topology validation at build time', () => {
  test('an empty topology: neither a source nor a global table', () => {
    const e = expectCode(() => new StreamBuilder().build(), 'TOPOLOGY_EMPTY')
    // Both ways out are named, as Kafka Streams' "must subscribe to at least one source topic or global table".
    expect(e.message).toContain('builder.stream(')
    expect(e.message).toContain('builder.globalTable(')
    expectCode(() => new TopologyBuilder().build(), 'TOPOLOGY_EMPTY')
  })

  test('a topology of global tables only builds: no sub-topology makes tasks', () => {
    const b = new StreamBuilder()
    b.globalTable('customers', { key: str, value: str, name: 'customers-store' })
    const topology = b.build()
    expect(topology.subtopologies).toEqual([])
    expect(topology.sourceTopics).toEqual([])
    expect(topology.globalStores.map((g) => [g.topic, g.store.name])).toEqual([['customers', 'customers-store']])
  })

  test('an unknown parent', () => {
    const e = expectCode(
      () => new TopologyBuilder().addSource('src', 'in', { key: str, value: str }).addProcessor('p', noop, 'missing').build(),
      'TOPOLOGY_UNKNOWN_PARENT',
      'p',
    )
    expect(e.message).toContain('"missing"')
  })

  test('duplicate node names, including sinks and user-named DSL nodes', () => {
    expectCode(
      () =>
        new TopologyBuilder()
          .addSource('src', 'in', { key: str, value: str })
          .addProcessor('p', noop, 'src')
          .addProcessor('p', noop, 'src')
          .build(),
      'TOPOLOGY_DUPLICATE_NAME',
      'p',
    )
    expectCode(
      () =>
        new TopologyBuilder()
          .addSource('src', 'in', { key: str, value: str })
          .addSink('out', 'a', { key: str, value: str }, 'src')
          .addSink('out', 'b', { key: str, value: str }, 'src')
          .build(),
      'TOPOLOGY_DUPLICATE_NAME',
      'out',
    )
    const b = new StreamBuilder()
    const s = b.stream('in', { key: str, value: str })
    s.filter(() => true, { name: 'same' })
    s.mapValues((_k, v) => v, { name: 'same' })
    expectCode(() => b.build(), 'TOPOLOGY_DUPLICATE_NAME', 'same')
  })

  test('duplicate store names', () => {
    expectCode(
      () =>
        new TopologyBuilder()
          .addSource('src', 'in', { key: str, value: str })
          .addProcessor('p', noop, 'src')
          .addStateStore({ name: 'counts' }, 'p')
          .addStateStore({ name: 'counts' }, 'p')
          .build(),
      'TOPOLOGY_DUPLICATE_STORE',
      'counts',
    )
  })

  test('a store not connected to any processor', () => {
    expectCode(
      () => new TopologyBuilder().addSource('src', 'in', { key: str, value: str }).addProcessor('p', noop, 'src').addStateStore({ name: 'lonely' }).build(),
      'TOPOLOGY_UNCONNECTED_STORE',
      'lonely',
    )
    const b = new StreamBuilder().addStateStore({ name: 'lonely' })
    b.stream('in', { key: str, value: str })
    expectCode(() => b.build(), 'TOPOLOGY_UNCONNECTED_STORE', 'lonely')
  })

  test('a processor using a store that was never added', () => {
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: str }).process(noop, { name: 'p', stores: ['ghost'] })
    expectCode(() => b.build(), 'TOPOLOGY_UNKNOWN_STORE', 'p')
  })

  test('a processor with no path from a source', () => {
    expectCode(
      () => new TopologyBuilder().addSource('src', 'in', { key: str, value: str }).addProcessor('orphan', noop).build(),
      'TOPOLOGY_NO_SOURCE_PATH',
      'orphan',
    )
  })

  test('a cycle', () => {
    const e = expectCode(
      () =>
        new TopologyBuilder()
          .addSource('src', 'in', { key: str, value: str })
          .addProcessor('a', noop, 'src', 'c')
          .addProcessor('b', noop, 'a')
          .addProcessor('c', noop, 'b')
          .build(),
      'TOPOLOGY_CYCLE',
    )
    expect(e.message).toMatch(/a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c/)
  })

  test('a cycle unreachable from any source is reported too', () => {
    expectCode(
      () =>
        new TopologyBuilder()
          .addSource('src', 'in', { key: str, value: str })
          .addProcessor('x', noop, 'y')
          .addProcessor('y', noop, 'x')
          .build(),
      'TOPOLOGY_CYCLE',
    )
  })

  test('a topic read by two sources', () => {
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: str })
    b.stream('in', { key: str, value: str }, )
    expectCode(() => b.build(), 'TOPOLOGY_DUPLICATE_TOPIC')
  })

  test('a sink used as a parent', () => {
    expectCode(
      () =>
        new TopologyBuilder()
          .addSource('src', 'in', { key: str, value: str })
          .addSink('out', 'o', { key: str, value: str }, 'src')
          .addProcessor('p', noop, 'out')
          .build(),
      'TOPOLOGY_INVALID',
      'p',
    )
  })

  test('nodes may be added before their parents', () => {
    const topology = new TopologyBuilder()
      .addSink('out', 'o', { key: str, value: str }, 'p')
      .addProcessor('p', noop, 'src')
      .addSource('src', 'in', { key: str, value: str })
      .build()
    expect(topology.children('src')).toEqual(['p'])
  })

  test('a built topology is immutable', () => {
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: str }).to('out', { key: str, value: str })
    const topology = b.build()
    expect(Object.isFrozen(topology)).toBe(true)
    expect(Object.isFrozen(topology.subtopologies)).toBe(true)
    expect(Object.isFrozen(topology.node('KSTREAM-SOURCE-0000000000'))).toBe(true)
    expect(() => (topology.subtopologies as unknown as unknown[]).push({})).toThrow()
  })

  test('generated node names follow Kafka Streams; user names never consume a counter value', () => {
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: str }).filter(() => true, { name: 'keep' }).mapValues((_k, v) => v).to('out', { key: str, value: str })
    expect(b.build().nodeNames).toEqual(['KSTREAM-SOURCE-0000000000', 'keep', 'KSTREAM-MAPVALUES-0000000001', 'KSTREAM-SINK-0000000002'])
  })
})
