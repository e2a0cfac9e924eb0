import { Serdes, StreamBuilder, TopologyBuilder, type Processor } from 'streamfold'

const str = Serdes.string()
const noop = (): Processor<string, string, string, string> => ({ process: () => undefined })

function twoSubtopologies() {
  const b = new StreamBuilder()
  const s = b.stream('input', { key: str, value: str })
  s.filter(() => true).to('middle', { key: str, value: str })
  s.mapValues((_k, v) => v).to('side', { key: str, value: str })
  b.stream(['middle', 'other'], { key: str, value: str }).process(noop, { name: 'proc' }).to((k) => `out-${k}`, { key: str, value: str, name: 'routed' })
  return b.build()
}

describe('describe() and toMermaid()', () => {
  test('describe() prints Kafka Streams TopologyDescription text for several sub-topologies', () => {
    expect(twoSubtopologies().describe()).toBe(
      [
        'Topologies:',
        '   Sub-topology: 0',
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [input])',
        '      --> KSTREAM-FILTER-0000000001, KSTREAM-MAPVALUES-0000000003',
        '    Processor: KSTREAM-FILTER-0000000001 (stores: [])',
        '      --> KSTREAM-SINK-0000000002',
        '      <-- KSTREAM-SOURCE-0000000000',
        '    Processor: KSTREAM-MAPVALUES-0000000003 (stores: [])',
        '      --> KSTREAM-SINK-0000000004',
        '      <-- KSTREAM-SOURCE-0000000000',
        '    Sink: KSTREAM-SINK-0000000002 (topic: middle)',
        '      <-- KSTREAM-FILTER-0000000001',
        '    Sink: KSTREAM-SINK-0000000004 (topic: side)',
        '      <-- KSTREAM-MAPVALUES-0000000003',
        '',
        // Kafka Streams indents every sub-topology after the first by two spaces, not three.
        '  Sub-topology: 1',
        '    Source: KSTREAM-SOURCE-0000000005 (topics: [middle, other])',
        '      --> proc',
        '    Processor: proc (stores: [])',
        '      --> routed',
        '      <-- KSTREAM-SOURCE-0000000005',
        '    Sink: routed (extractor: anonymous)',
        '      <-- proc',
        '',
        '',
      ].join('\n'),
    )
  })

  test('nodes with larger sub-trees come first, ties by name; stores are listed', () => {
    const topology = new TopologyBuilder()
      .addSource('src', 'in', { key: str, value: str })
      .addProcessor('b-short', noop, 'src')
      .addProcessor('a-long', noop, 'src')
      .addProcessor('a-long-child', noop, 'a-long')
      .addProcessor('c-short', noop, 'src')
      .addStateStore({ name: 'store-1' }, 'c-short', 'b-short')
      .build()
    expect(topology.subtopologies).toHaveLength(1)
    expect(topology.describe()).toBe(
      [
        'Topologies:',
        '   Sub-topology: 0',
        '    Source: src (topics: [in])',
        '      --> a-long, b-short, c-short',
        '    Processor: a-long (stores: [])',
        '      --> a-long-child',
        '      <-- src',
        '    Processor: a-long-child (stores: [])',
        '      --> none',
        '      <-- a-long',
        '    Processor: b-short (stores: [store-1])',
        '      --> none',
        '      <-- src',
        '    Processor: c-short (stores: [store-1])',
        '      --> none',
        '      <-- src',
        '',
        '',
      ].join('\n'),
    )
  })

  test('describe() of a global-only topology: one global store sub-topology, as Kafka Streams prints it', () => {
    const b = new StreamBuilder()
    b.globalTable('topic', { key: str, value: str, name: 'store' })
    // Kafka's GlobalStore.toString ends after the processor's line, with no blank line as a sub-topology has.
    expect(b.build().describe()).toBe(
      [
        'Topologies:',
        '   Sub-topology: 0 for global store (will not generate tasks)',
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])',
        '      --> KTABLE-SOURCE-0000000001',
        '    Processor: KTABLE-SOURCE-0000000001 (stores: [store])',
        '      --> none',
        '      <-- KSTREAM-SOURCE-0000000000',
        '',
      ].join('\n'),
    )
  })

  test('a shared store joins two otherwise separate graphs into one sub-topology', () => {
    const topology = new TopologyBuilder()
      .addSource('s1', 'a', { key: str, value: str })
      .addSource('s2', 'b', { key: str, value: str })
      .addProcessor('p1', noop, 's1')
      .addProcessor('p2', noop, 's2')
      .addSource('s3', 'c', { key: str, value: str })
      .addStateStore({ name: 'shared' }, 'p1', 'p2')
      .build()
    expect(topology.subtopologies.map((s) => [s.id, s.sourceTopics, s.stores])).toEqual([
      [0, ['a', 'b'], ['shared']],
      [1, ['c'], []],
    ])
  })

  test('toMermaid() draws sub-topologies as subgraphs with topics and stores', () => {
    const b = new StreamBuilder().addStateStore({ name: 'st"ore' })
    b.stream('input', { key: str, value: str }).process(noop, { name: 'p', stores: ['st"ore'] }).to('output', { key: str, value: str, name: 'sink' })
    expect(b.build().toMermaid()).toBe(
      [
        'flowchart TD',
        '  subgraph sub0["Sub-topology: 0"]',
        '    n0[/"source: KSTREAM-SOURCE-0000000000"/]',
        '    n1["processor: p"]',
        '    n2[/"sink: sink"/]',
        '  end',
        '  t3 --> n0',
        '  n0 --> n1',
        '  n1 -.- s4[("st#quot;ore")]',
        '  n1 --> n2',
        '  n2 --> t5',
        '  t3(["input"])',
        '  t5(["output"])',
        '',
      ].join('\n'),
    )
  })
})
