/**
 * KStream-KStream windowed joins on the TopologyTestDriver. Input sequences and expectations
 * follow Kafka Streams' documented semantics and its own tests (KStreamKStreamJoinTest,
 * KStreamKStreamLeftJoinTest, KStreamKStreamOuterJoinTest); timestamps are explicit everywhere.
 */
import { JoinWindows, Serdes, StreamBuilder, TopologyError, type KStream, type Topology } from 'streamfold'
import { TopologyTestDriver, type TestInputTopic } from 'streamfold/testing'
import { createEmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import { planTopics } from '../../src/runtime/app/topic-plan'

const str = Serdes.string()
const joined = (_k: string, v: string | null, o: string | null): string => `${v}+${o}`

type Kind = 'join' | 'leftJoin' | 'outerJoin'

interface Run {
  readonly left: TestInputTopic<string, string>
  readonly right: TestInputTopic<string, string>
  /** Output since the last call, as [key, value, timestamp]. */
  read(): [string | null, string, number][]
  readonly driver: TopologyTestDriver
}

function joinTopology(kind: Kind, windows: JoinWindows, name?: string): Topology {
  const b = new StreamBuilder()
  const left = b.stream('left', { key: str, value: str })
  const right = b.stream('right', { key: str, value: str })
  const out: KStream<string, string> =
    kind === 'outerJoin'
      ? left.outerJoin(right, joined, windows, { name })
      : kind === 'leftJoin'
        ? left.leftJoin(right, joined, windows, { name })
        : left.join(right, joined, windows, { name })
  out.to('out', { key: str, value: str })
  return b.build()
}

function withJoin(kind: Kind, windows: JoinWindows, fn: (run: Run) => void): void {
  const driver = new TopologyTestDriver(joinTopology(kind, windows, 'j'), { initialWallClockTimeMs: 0 })
  try {
    const out = driver.createOutputTopic('out', str, str)
    fn({
      driver,
      left: driver.createInputTopic('left', str, str),
      right: driver.createInputTopic('right', str, str),
      read: () => out.readRecordsToList().map((r) => [r.key, r.value!, r.timestamp]),
    })
  } finally {
    driver.close()
  }
}

describe('JoinWindows', () => {
  test('validates like Kafka Streams: no negative difference or grace, before + after >= 0', () => {
    const w = JoinWindows.ofTimeDifferenceAndGrace(100, 10)
    expect([w.beforeMs, w.afterMs, w.graceMs, w.sizeMs]).toEqual([100, 100, 10, 200])
    expect(JoinWindows.ofTimeDifferenceWithNoGrace(0).graceMs).toBe(0)
    const shifted = JoinWindows.ofTimeDifferenceWithNoGrace(100).before(-50)
    expect([shifted.beforeMs, shifted.afterMs]).toEqual([-50, 100])
    expect(JoinWindows.ofTimeDifferenceWithNoGrace(100).after(0).afterMs).toBe(0)
    expect(() => JoinWindows.ofTimeDifferenceWithNoGrace(-1)).toThrow(/time difference/)
    expect(() => JoinWindows.ofTimeDifferenceAndGrace(10, -1)).toThrow(/grace/)
    expect(() => JoinWindows.ofTimeDifferenceWithNoGrace(100).before(-101)).toThrow(/before \+ after/)
    expect(() => JoinWindows.ofTimeDifferenceWithNoGrace(100).after(1.5)).toThrow(/whole number/)
  })

  test('a KStream-KStream join without JoinWindows is refused', () => {
    const b = new StreamBuilder()
    const left = b.stream('left', { key: str, value: str })
    const right = b.stream('right', { key: str, value: str })
    expect(() => left.join(right, joined, { beforeMs: 1, afterMs: 1, graceMs: 0 } as unknown as JoinWindows)).toThrow(/needs JoinWindows/)
  })
})

describe('inner join', () => {
  test('joins records of the same key within the window, timestamped with the later one (Kafka testJoin)', () => {
    withJoin('join', JoinWindows.ofTimeDifferenceWithNoGrace(100), ({ left, right, read }) => {
      left.pipeInput('0', 'A0', 0)
      left.pipeInput('1', 'A1', 0)
      expect(read()).toEqual([])
      for (const k of ['0', '1', '2', '3']) right.pipeInput(k, `a${k}`, 0)
      expect(read()).toEqual([
        ['0', 'A0+a0', 0],
        ['1', 'A1+a1', 0],
      ])
      // Every earlier record of the key on the other side joins, the newest ones too.
      left.pipeInput('1', 'B1', 50)
      right.pipeInput('0', 'b0', 60)
      expect(read()).toEqual([
        ['1', 'B1+a1', 50],
        ['0', 'A0+b0', 60],
      ])
    })
  })

  test('the window edges are inclusive: exactly ts - before and ts + after join, one more millisecond does not', () => {
    withJoin('join', JoinWindows.ofTimeDifferenceAndGrace(100, 1_000), ({ left, right, read }) => {
      left.pipeInput('k', 'L', 1_000)
      right.pipeInput('k', 'r899', 899)
      right.pipeInput('k', 'r900', 900)
      right.pipeInput('k', 'r1100', 1_100)
      right.pipeInput('k', 'r1101', 1_101)
      expect(read()).toEqual([
        ['k', 'L+r900', 1_000],
        ['k', 'L+r1100', 1_100],
      ])
      // Seen from the right, the window is mirrored: left records in [t - after, t + before].
      // A left record at 1101 joins right records in [1001, 1201]: r1100 and r1101, not r900.
      left.pipeInput('k', 'L1101', 1_101)
      expect(read()).toEqual([
        ['k', 'L1101+r1100', 1_101],
        ['k', 'L1101+r1101', 1_101],
      ])
    })
  })

  test('asymmetric windows (after(0): the other record must not be later)', () => {
    withJoin('join', JoinWindows.ofTimeDifferenceAndGrace(100, 1_000).after(0), ({ left, right, read }) => {
      left.pipeInput('k', 'L', 1_000)
      right.pipeInput('k', 'r1001', 1_001) // after L: outside [900, 1000]
      right.pipeInput('k', 'r1000', 1_000)
      right.pipeInput('k', 'r900', 900)
      right.pipeInput('k', 'r899', 899)
      expect(read()).toEqual([
        ['k', 'L+r1000', 1_000],
        ['k', 'L+r900', 1_000],
      ])
    })
  })

  test('keeps duplicates: several records of one key at one timestamp all join', () => {
    withJoin('join', JoinWindows.ofTimeDifferenceWithNoGrace(100), ({ left, right, read }) => {
      left.pipeInput('k', 'A', 10)
      left.pipeInput('k', 'A-dup', 10)
      right.pipeInput('k', 'a', 10)
      right.pipeInput('k', 'a-dup', 10)
      expect(read()).toEqual([
        ['k', 'A+a', 10],
        ['k', 'A-dup+a', 10],
        ['k', 'A+a-dup', 10],
        ['k', 'A-dup+a-dup', 10],
      ])
    })
  })

  test('out-of-order records within the grace period join; later ones are dropped, counted and never stored', () => {
    withJoin('join', JoinWindows.ofTimeDifferenceAndGrace(100, 50), ({ left, right, read, driver }) => {
      right.pipeInput('k', 'R', 1_000) // stream time 1000
      left.pipeInput('k', 'L900', 900) // out of order: its window closes at 900 + 100 + 50 = 1050
      expect(read()).toEqual([['k', 'L900+R', 1_000]])
      left.pipeInput('k', 'L849', 849) // 849 + 150 < 1000: late
      expect(read()).toEqual([])
      expect(driver.droppedRecords('late-record')).toBe(1)
      // A right record whose window covers 849 does not find L849: it was not stored.
      right.pipeInput('k', 'r900', 900)
      expect(read()).toEqual([['k', 'L900+r900', 900]])
      expect(driver.droppedRecords('late-record')).toBe(1)
    })
  })

  test('records with a null key or value are dropped and counted', () => {
    withJoin('join', JoinWindows.ofTimeDifferenceWithNoGrace(100), ({ left, right, read, driver }) => {
      left.pipeInput(null, 'A', 0)
      right.pipeInput(null, 'a', 0)
      left.pipeInput('k', null, 0)
      right.pipeInput('k', 'a', 0)
      expect(read()).toEqual([])
      expect(driver.droppedRecords('null-key')).toBe(2)
      expect(driver.droppedRecords('null-value')).toBe(1)
    })
  })

  test('a self-join joins each record with itself once and with each other record of its window from both sides', () => {
    const b = new StreamBuilder()
    const s = b.stream('in', { key: str, value: str })
    s.join(s, joined, JoinWindows.ofTimeDifferenceWithNoGrace(100)).to('out', { key: str, value: str })
    const driver = new TopologyTestDriver(b.build(), { initialWallClockTimeMs: 0 })
    try {
      const input = driver.createInputTopic('in', str, str)
      const out = driver.createOutputTopic('out', str, str)
      input.pipeInput('k', 'A', 0)
      expect(out.readKeyValuesToList()).toEqual([{ key: 'k', value: 'A+A' }])
      input.pipeInput('k', 'B', 50)
      expect(out.readKeyValuesToList()).toEqual([
        { key: 'k', value: 'B+A' },
        { key: 'k', value: 'A+B' },
        { key: 'k', value: 'B+B' },
      ])
    } finally {
      driver.close()
    }
  })
})

describe('topology', () => {
  test('nodes and stores are named from the join name and shown by describe()', () => {
    const topology = joinTopology('leftJoin', JoinWindows.ofTimeDifferenceWithNoGrace(100), 'orders-payments')
    expect(topology.subtopologies).toHaveLength(1)
    const text = topology.describe()
    expect(text).toContain('Processor: orders-payments-this-join (stores: [orders-payments-this-join-store, orders-payments-other-join-store, orders-payments-outer-shared-join-store])')
    expect(text).toContain('Processor: orders-payments-outer-other-join (stores: [orders-payments-this-join-store, orders-payments-other-join-store, orders-payments-outer-shared-join-store])')
    expect(text).toMatch(/Processor: orders-payments-merge \(stores: \[\]\)\n\s+--> .*\n\s+<-- orders-payments-outer-other-join, orders-payments-this-join/)
  })

  test('unnamed stores are named from lineage: adding an unrelated node elsewhere does not rename them', () => {
    const storesOf = (extra: boolean): string[] => {
      const b = new StreamBuilder()
      if (extra) b.stream('other', { key: str, value: str }).filter(() => true).to('x', { key: str, value: str })
      const left = b.stream('left', { key: str, value: str })
      left.join(b.stream('right', { key: str, value: str }), joined, JoinWindows.ofTimeDifferenceWithNoGrace(10)).to('out', { key: str, value: str })
      return b.build().describe().match(/stores: \[([^\]]+)\]/)![1]!.split(', ')
    }
    const names = storesOf(false)
    expect(names).toHaveLength(2)
    expect(new Set(names).size).toBe(2)
    expect(storesOf(true)).toEqual(names)
    expect(names.join()).not.toMatch(/0000/)
  })

  test('a side whose key changed is repartitioned first, and both sides end up in one sub-topology', () => {
    const b = new StreamBuilder()
    const left = b.stream('left', { key: str, value: str }).selectKey((_k, v) => v.split(':')[0]!)
    const right = b.stream('right', { key: str, value: str })
    left.join(right, joined, JoinWindows.ofTimeDifferenceWithNoGrace(100), { name: 'j', key: str, value: str }).to('out', { key: str, value: str })
    const topology = b.build()
    expect(topology.subtopologies).toHaveLength(2)
    expect(topology.describe()).toContain('j-left-repartition')
    const driver = new TopologyTestDriver(topology, { initialWallClockTimeMs: 0 })
    try {
      driver.createInputTopic('left', str, str).pipeInput('ignored', 'k:L', 5)
      driver.createInputTopic('right', str, str).pipeInput('k', 'R', 6)
      expect(driver.createOutputTopic('out', str, str).readKeyValuesToList()).toEqual([{ key: 'k', value: 'k:L+R' }])
    } finally {
      driver.close()
    }
  })

  test('two unnamed joins of one re-keyed stream share its repartition topic (as Kafka Streams)', () => {
    const b = new StreamBuilder()
    const keyed = b.stream('a', { key: str, value: str }).selectKey((_k, v) => v)
    const w = JoinWindows.ofTimeDifferenceWithNoGrace(10)
    keyed.join(b.stream('b', { key: str, value: str }), joined, w, { key: str, value: str }).to('o1', { key: str, value: str })
    keyed.join(b.stream('c', { key: str, value: str }), joined, w, { key: str, value: str }).to('o2', { key: str, value: str })
    const topology = b.build()
    expect(topology.repartitionTopics().map((r) => r.topic)).toHaveLength(1)
    const driver = new TopologyTestDriver(topology, { initialWallClockTimeMs: 0 })
    try {
      driver.createInputTopic('a', str, str).pipeInput('ignored', 'k', 1)
      driver.createInputTopic('b', str, str).pipeInput('k', 'B', 2)
      driver.createInputTopic('c', str, str).pipeInput('k', 'C', 3)
      expect(driver.createOutputTopic('o1', str, str).readValuesToList()).toEqual(['k+B'])
      expect(driver.createOutputTopic('o2', str, str).readValuesToList()).toEqual(['k+C'])
    } finally {
      driver.close()
    }
  })

  test('the same join twice needs a name on one of them: unnamed, their store names collide', () => {
    const twice = (name?: string): (() => unknown) => {
      const b = new StreamBuilder()
      const s = b.stream('in', { key: str, value: str })
      const w = JoinWindows.ofTimeDifferenceWithNoGrace(10)
      s.join(s, joined, w).to('o1', { key: str, value: str })
      s.join(s, joined, w, { name }).to('o2', { key: str, value: str })
      return () => b.build()
    }
    expect(twice()).toThrow(TopologyError)
    expect(twice()).toThrow(/store/)
    expect(twice('second')).not.toThrow()
  })

  test('serdes the join cannot know must be given: the other stream value serde as otherValue', () => {
    const b = new StreamBuilder()
    const left = b.stream('left', { key: str, value: str })
    const right = b.stream('right', { key: str, value: str }).mapValues((_k, v) => v.length)
    const w = JoinWindows.ofTimeDifferenceWithNoGrace(10)
    expect(() => left.join(right, (_k, v, n) => `${v}${n}`, w)).toThrow(/pass \{ otherValue: Serdes/)
    expect(() => left.join(right, (_k, v, n) => `${v}${n}`, w, { otherValue: Serdes.double() })).not.toThrow()
  })

  test('the topic plan refuses to join topics with different partition counts', async () => {
    const broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0, autoCreateTopics: false })
    try {
      await broker.admin().ensureTopics([
        { name: 'left', partitions: 2 },
        { name: 'right', partitions: 3 },
      ])
      const topology = joinTopology('join', JoinWindows.ofTimeDifferenceWithNoGrace(100), 'j')
      await expect(planTopics({ topology, applicationId: 'app', admin: broker.admin(), dedup: undefined })).rejects.toThrow('must have the same partition count: left (2), right (3)')
    } finally {
      await broker.close()
    }
  })
})

describe('left join', () => {
  test('unmatched left records are emitted with null once stream time passes their window and grace, duplicates included (Kafka testLeftJoinDuplicates)', () => {
    withJoin('leftJoin', JoinWindows.ofTimeDifferenceAndGrace(100, 10), ({ left, right, read, driver }) => {
      left.pipeInput('0', 'A0', 0)
      left.pipeInput('0', 'A0-0', 0)
      right.pipeInput('1', 'a0', 110)
      expect(read()).toEqual([]) // 0 + 100 + 10 is not < 110: the window has not closed yet
      right.pipeInput('1', 'a0', 111)
      expect(read()).toEqual([
        ['0', 'A0+null', 0],
        ['0', 'A0-0+null', 0],
      ])
      right.pipeInput('2', 'dummy', 500)
      expect(read()).toEqual([])
      left.pipeInput('2', 'A2', 1_000)
      left.pipeInput('2', 'A2-0', 1_000)
      right.pipeInput('2', 'a2', 1_001)
      expect(read()).toEqual([
        ['2', 'A2+a2', 1_001],
        ['2', 'A2-0+a2', 1_001],
      ])
      right.pipeInput('3', 'a3', 315) // past its grace period: dropped
      right.pipeInput('9', 'bump', 2_000)
      expect(read()).toEqual([]) // A2 and A2-0 found their match: never emitted unmatched
      expect(driver.droppedRecords('late-record')).toBe(1)
    })
  })

  test('unmatched left records are emitted by whichever side advances stream time; right records never are', () => {
    for (const bumpSide of ['left', 'right'] as const) {
      withJoin('leftJoin', JoinWindows.ofTimeDifferenceWithNoGrace(100), (run) => {
        const { left, right, read } = run
        left.pipeInput('0', 'A0', 1)
        left.pipeInput('1', 'A1', 2)
        left.pipeInput('0', 'A0-0', 3)
        right.pipeInput('5', 'b5', 3) // unmatched right record: a left join never emits it
        expect(read()).toEqual([])
        right.pipeInput('1', 'a1', 3)
        expect(read()).toEqual([['1', 'A1+a1', 3]])
        run[bumpSide].pipeInput('2', 'dummy', 401)
        expect(read()).toEqual([
          ['0', 'A0+null', 1],
          ['0', 'A0-0+null', 3],
        ])
        run[bumpSide === 'left' ? 'right' : 'left'].pipeInput('2', 'dummy', 402)
        expect(read()).toEqual([['2', 'dummy+dummy', 402]])
      })
    }
  })

  test('a match inside the window, even at its very edge, means the record is never emitted unmatched', () => {
    withJoin('leftJoin', JoinWindows.ofTimeDifferenceWithNoGrace(100), ({ left, right, read }) => {
      left.pipeInput('k', 'L', 0)
      right.pipeInput('x', 'other', 100) // stream time 100: L's window [.., 100] is not closed yet
      expect(read()).toEqual([])
      right.pipeInput('k', 'R', 100)
      right.pipeInput('x', 'later', 1_000)
      expect(read()).toEqual([['k', 'L+R', 100]])
    })
  })

  test('the window closes at exactly timestamp + after + grace: one millisecond later emits (Kafka testGracePeriod)', () => {
    withJoin('leftJoin', JoinWindows.ofTimeDifferenceAndGrace(100, 10), ({ left, right, read }) => {
      left.pipeInput('0', 'A0', 0)
      left.pipeInput('1', 'A1', 0)
      for (const k of ['0', '1', '2', '3']) right.pipeInput(k, `a${k}`, 101) // outside the window: no join
      right.pipeInput('9', 'x', 110)
      expect(read()).toEqual([])
      right.pipeInput('9', 'y', 111)
      expect(read()).toEqual([
        ['0', 'A0+null', 0],
        ['1', 'A1+null', 0],
      ])
    })
  })

  test('unmatched records come before the join result of the record that closed their window (Kafka testOrdering)', () => {
    withJoin('leftJoin', JoinWindows.ofTimeDifferenceWithNoGrace(100), ({ left, right, read }) => {
      left.pipeInput('0', 'A0', 0)
      left.pipeInput('1', 'A1', 100)
      right.pipeInput('1', 'a1', 110)
      expect(read()).toEqual([
        ['0', 'A0+null', 0],
        ['1', 'A1+a1', 110],
      ])
    })
  })

  test('an out-of-order record within grace is held too, and comes out in timestamp order', () => {
    withJoin('leftJoin', JoinWindows.ofTimeDifferenceAndGrace(100, 50), ({ left, right, read }) => {
      left.pipeInput('k1', 'L1', 1_000)
      left.pipeInput('k2', 'L2', 960) // out of order, but its window is open until 960 + 150
      right.pipeInput('x', 'bump', 1_151)
      expect(read()).toEqual([
        ['k2', 'L2+null', 960],
        ['k1', 'L1+null', 1_000],
      ])
    })
  })

  test('a record past its window end but within grace is held, not emitted at once, so a match within grace still suppresses it', () => {
    withJoin('leftJoin', JoinWindows.ofTimeDifferenceAndGrace(100, 50), ({ left, right, read }) => {
      right.pipeInput('x', 'X', 1_000)
      left.pipeInput('k', 'L', 880) // 880 + 100 < 1000 <= 880 + 150
      expect(read()).toEqual([])
      right.pipeInput('k', 'r', 900)
      right.pipeInput('x', 'bump', 5_000)
      expect(read()).toEqual([['k', 'L+r', 900]])
    })
  })

  test('after(0): a record whose window closed is emitted unmatched, and a right record still in its own window joins it later (Kafka testLeftJoinedRecordsWithZeroAfterAreEmitted)', () => {
    withJoin('leftJoin', JoinWindows.ofTimeDifferenceWithNoGrace(100).after(0), ({ left, right, read }) => {
      const keys = ['0', '1', '2', '3']
      keys.forEach((k, i) => left.pipeInput(k, `A${k}`, 1_000 + i))
      expect(read()).toEqual([
        ['0', 'A0+null', 1_000],
        ['1', 'A1+null', 1_001],
        ['2', 'A2+null', 1_002],
      ])
      const push = (prefix: string, time: number): void => keys.forEach((k) => right.pipeInput(k, `${prefix}${k}`, time))
      push('a', 999)
      expect(read()).toEqual(keys.map((k, i) => [k, `A${k}+a${k}`, 1_000 + i]))
      push('b', 1_000)
      expect(read()).toEqual(keys.map((k, i) => [k, `A${k}+b${k}`, 1_000 + i]))
      push('c', 1_001)
      expect(read()).toEqual(keys.slice(1).map((k, i) => [k, `A${k}+c${k}`, 1_001 + i]))
      push('d', 1_002)
      expect(read()).toEqual(keys.slice(2).map((k, i) => [k, `A${k}+d${k}`, 1_002 + i]))
      push('e', 1_003)
      expect(read()).toEqual([['3', 'A3+e3', 1_003]])
      push('f', 1_100)
      expect(read()).toEqual([]) // A3 found matches: it is never emitted unmatched
    })
  })

  test('before(0): only later right records join; an unmatched record is emitted once after has passed (Kafka shouldNotEmitLeftJoinResultForAsymmetricWindow)', () => {
    withJoin('leftJoin', JoinWindows.ofTimeDifferenceWithNoGrace(100).before(0), ({ left, right, read }) => {
      left.pipeInput('0', 'A0', 0)
      left.pipeInput('1', 'A1', 1)
      right.pipeInput('0', 'a0', 100)
      expect(read()).toEqual([['0', 'A0+a0', 100]])
      right.pipeInput('1', 'a1', 102)
      expect(read()).toEqual([['1', 'A1+null', 1]])
    })
  })

  test('a late left record is dropped, not emitted unmatched (the join window closed before it arrived)', () => {
    withJoin('leftJoin', JoinWindows.ofTimeDifferenceWithNoGrace(100), ({ left, right, read, driver }) => {
      right.pipeInput('k', 'R', 1_000)
      left.pipeInput('k', 'G', 899) // 899 + 100 < 1000
      left.pipeInput('k', 'H', 900) // 900 + 100 = 1000: still open, and R is at its window's edge
      right.pipeInput('x', 'bump', 5_000)
      expect(read()).toEqual([['k', 'H+R', 1_000]])
      expect(driver.droppedRecords('late-record')).toBe(1)
    })
  })

  test('null keys (KIP-962): a left record is emitted at once joined with null, a right one dropped; null values are dropped', () => {
    withJoin('leftJoin', JoinWindows.ofTimeDifferenceWithNoGrace(100), ({ left, right, read, driver }) => {
      left.pipeInput(null, 'N', 5)
      right.pipeInput(null, 'n', 6)
      left.pipeInput('k', null, 7)
      expect(read()).toEqual([[null, 'N+null', 5]])
      expect(driver.droppedRecords('null-key')).toBe(1)
      expect(driver.droppedRecords('null-value')).toBe(1)
    })
  })
})

describe('outer join', () => {
  test('unmatched records of both sides, duplicates included, are emitted once their windows close; matched ones never (Kafka testOuterJoinDuplicates)', () => {
    withJoin('outerJoin', JoinWindows.ofTimeDifferenceAndGrace(100, 10), ({ left, right, read }) => {
      left.pipeInput('0', 'A0', 0)
      left.pipeInput('0', 'A0-0', 0)
      right.pipeInput('1', '11', 0)
      right.pipeInput('1', '12', 0)
      right.pipeInput('1', '10', 111)
      right.pipeInput('3', '100', 211)
      // Same time: right records before left ones, as Kafka Streams orders its outer store.
      expect(read()).toEqual([
        ['1', 'null+11', 0],
        ['1', 'null+12', 0],
        ['0', 'A0+null', 0],
        ['0', 'A0-0+null', 0],
      ])
      left.pipeInput('2', 'A2', 200)
      left.pipeInput('2', 'A2-0', 200)
      right.pipeInput('2', '13', 201)
      right.pipeInput('2', '14', 201)
      expect(read()).toEqual([
        ['2', 'A2+13', 201],
        ['2', 'A2-0+13', 201],
        ['2', 'A2+14', 201],
        ['2', 'A2-0+14', 201],
      ])
      right.pipeInput('3', '100', 1_500)
      expect(read()).toEqual([
        ['1', 'null+10', 111],
        ['3', 'null+100', 211],
      ])
    })
  })

  test('a window ended but not closed (grace) emits nothing; once closed, both sides are emitted in time order (Kafka testGracePeriod)', () => {
    withJoin('outerJoin', JoinWindows.ofTimeDifferenceAndGrace(100, 10), ({ left, right, read }) => {
      left.pipeInput('0', 'A0', 0)
      right.pipeInput('1', '11', 0)
      left.pipeInput('1', 'A1', 101)
      right.pipeInput('0', '10', 101)
      expect(read()).toEqual([])
      right.pipeInput('0', '100', 112)
      expect(read()).toEqual([
        ['1', 'null+11', 0],
        ['0', 'A0+null', 0],
      ])
    })
  })

  test('asymmetric windows close at different times per side (Kafka testEmitAllNonJoinedResultsForAsymmetricWindow)', () => {
    withJoin('outerJoin', JoinWindows.ofTimeDifferenceWithNoGrace(5).after(20), ({ left, right, read }) => {
      left.pipeInput('0', 'A0', 29)
      left.pipeInput('1', 'A1', 30)
      right.pipeInput('2', '12', 31)
      right.pipeInput('3', '13', 36)
      expect(read()).toEqual([])
      right.pipeInput('4', '14', 37) // a right record's window closes 5 ms (before) after it
      expect(read()).toEqual([['2', 'null+12', 31]])
      right.pipeInput('5', '15', 50) // a left record's 20 ms (after) later
      expect(read()).toEqual([
        ['0', 'A0+null', 29],
        ['3', 'null+13', 36],
        ['4', 'null+14', 37],
      ])
    })
  })

  test('results carry the headers of the record being processed, unmatched ones those of the record that closed their window (Kafka testShouldForwardCurrentHeaders)', () => {
    withJoin('outerJoin', JoinWindows.ofTimeDifferenceWithNoGrace(100), ({ left, right, driver }) => {
      const out = driver.createOutputTopic('out', str, str)
      left.pipeRecord({ key: 'k', value: 'A', timestamp: 0, headers: { h: 'left' } })
      right.pipeRecord({ key: 'k', value: 'a', timestamp: 50, headers: { h: 'right' } })
      left.pipeRecord({ key: 'x', value: 'X', timestamp: 60, headers: { h: 'x' } })
      right.pipeRecord({ key: 'y', value: 'bump', timestamp: 500, headers: { h: 'bump' } })
      expect(out.readRecordsToList().map((r) => [r.value, r.headers.get('h')?.toString()])).toEqual([
        ['A+a', 'right'],
        ['X+null', 'bump'],
      ])
    })
  })

  test('null keys (KIP-962): records of either side are emitted at once joined with null', () => {
    withJoin('outerJoin', JoinWindows.ofTimeDifferenceWithNoGrace(100), ({ left, right, read, driver }) => {
      left.pipeInput(null, 'N', 5)
      right.pipeInput(null, 'n', 6)
      expect(read()).toEqual([
        [null, 'N+null', 5],
        [null, 'null+n', 6],
      ])
      expect(driver.droppedRecords('null-key')).toBe(0)
    })
  })
})

describe('state after a crash (TopologyTestDriver.simulateCrash)', () => {
  test('an outer join comes back to its last commit: held records, stored records and stream time', async () => {
    const driver = new TopologyTestDriver(joinTopology('outerJoin', JoinWindows.ofTimeDifferenceWithNoGrace(100), 'j'), { initialWallClockTimeMs: 0, autoCommit: false })
    try {
      const left = driver.createInputTopic('left', str, str)
      const right = driver.createInputTopic('right', str, str)
      const out = driver.createOutputTopic('out', str, str)
      const read = (): [string | null, string, number][] => out.readRecordsToList().map((r) => [r.key, r.value!, r.timestamp])
      left.pipeInput('k0', 'L0', 0)
      right.pipeInput('k1', 'R1', 0)
      left.pipeInput('k2', 'L2', 10)
      driver.commit()
      right.pipeInput('k2', 'R2', 20) // not committed: lost in the crash, redelivered below
      expect(read()).toEqual([['k2', 'L2+R2', 20]])
      await driver.simulateCrash()
      right.pipeInput('k2', 'R2', 20)
      expect(read()).toEqual([['k2', 'L2+R2', 20]])
      left.pipeInput('k9', 'bump', 1_000)
      expect(read()).toEqual([
        ['k1', 'null+R1', 0],
        ['k0', 'L0+null', 0],
      ])
    } finally {
      driver.close()
    }
  })
})
