/**
 * KStream-KStream join scenarios ported from Kafka Streams' own tests (KStreamKStreamJoinTest,
 * KStreamKStreamOuterJoinTest, KStreamKStreamSelfJoinTest): their inputs and expected outputs on
 * the TopologyTestDriver, plus what stays bounded in the join's stores. Where our documented
 * semantics differ (docs/joins.md: records past their window's grace are dropped), the port adds
 * enough grace to compare with Kafka's outputs and a second test pins our behaviour.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { JoinWindows, Serdes, StreamBuilder, type Topology } from 'streamfold'
import { TopologyTestDriver } from 'streamfold/testing'
import { rows, withDriver } from './support/driver-kit'

const str = Serdes.string()
const joined = (_k: string, v: string | null, o: string | null): string => `${v}+${o}`
const KEYS = ['0', '1', '2', '3']

function twoStreams(kind: 'join' | 'leftJoin' | 'outerJoin', windows: JoinWindows, inMemory = false): Topology {
  const b = new StreamBuilder()
  const left = b.stream('left', { key: str, value: str })
  const right = b.stream('right', { key: str, value: str })
  const options = { name: 'j', inMemory }
  const out = kind === 'outerJoin' ? left.outerJoin(right, joined, windows, options) : kind === 'leftJoin' ? left.leftJoin(right, joined, windows, options) : left.join(right, joined, windows, options)
  out.to('out', { key: str, value: str })
  return b.build()
}

interface Io {
  left(key: string, value: string, timestamp: number): void
  right(key: string, value: string, timestamp: number): void
  read(): unknown[][]
  readonly driver: TopologyTestDriver
}

function withJoin(kind: 'join' | 'leftJoin' | 'outerJoin', windows: JoinWindows, fn: (io: Io) => void, inMemory = false): void {
  withDriver(twoStreams(kind, windows, inMemory), (driver) => {
    const left = driver.createInputTopic('left', str, str)
    const right = driver.createInputTopic('right', str, str)
    const out = driver.createOutputTopic('out', str, str)
    fn({ left: (k, v, t) => left.pipeInput(k, v, t), right: (k, v, t) => right.pipeInput(k, v, t), read: () => rows(out), driver })
  })
}

/** Kafka's asymmetric-window tests: A0..A3 on the left at 1000..1003, then rounds of a0..a3, b0..b3, ... on the right. */
function asymmetricRounds(io: Io, rounds: readonly (readonly [letter: string, time: number])[]): unknown[][][] {
  KEYS.forEach((k, i) => io.left(k, `A${k}`, 1_000 + i))
  const outputs = [io.read()]
  for (const [letter, time] of rounds) {
    for (const k of KEYS) io.right(k, `${letter}${k}`, time)
    outputs.push(io.read())
  }
  return outputs
}

const joins = (letter: string, pairs: readonly (readonly [key: string, time: number])[]): unknown[][] => pairs.map(([k, t]) => [k, `A${k}+${letter}${k}`, t])

describe('asymmetric windows (Kafka KStreamKStreamJoinTest)', () => {
  const afterRounds = [['a', 999], ['b', 1_000], ['c', 1_001], ['d', 1_002], ['e', 1_003], ['f', 1_100], ['g', 1_101], ['h', 1_102], ['i', 1_103], ['j', 1_104]] as const

  test('testAsymmetricWindowingAfter: before 0, after 100 (grace added so nothing is late: Kafka joins late records)', () => {
    withJoin('join', JoinWindows.ofTimeDifferenceAndGrace(0, 1_000).after(100), (io) => {
      expect(asymmetricRounds(io, afterRounds)).toEqual([
        [],
        [],
        joins('b', [['0', 1_000]]),
        joins('c', [['0', 1_001], ['1', 1_001]]),
        joins('d', [['0', 1_002], ['1', 1_002], ['2', 1_002]]),
        joins('e', KEYS.map((k) => [k, 1_003])),
        joins('f', KEYS.map((k) => [k, 1_100])),
        joins('g', [['1', 1_101], ['2', 1_101], ['3', 1_101]]),
        joins('h', [['2', 1_102], ['3', 1_102]]),
        joins('i', [['3', 1_103]]),
        [],
      ])
      expect(io.driver.droppedRecords()).toBe(0)
    })
  })

  test('the same without grace: right records whose window already closed are dropped, where Kafka Streams still joins them (documented)', () => {
    withJoin('join', JoinWindows.ofTimeDifferenceWithNoGrace(0).after(100), (io) => {
      const outputs = asymmetricRounds(io, afterRounds)
      // Stream time is 1003: a right record at t looks at left records in [t - 100, t], its window
      // closes at t + before (0) + grace (0), so rounds a..d (999..1002) are late.
      expect(outputs.slice(1, 5)).toEqual([[], [], [], []])
      expect(io.driver.droppedRecords('late-record')).toBe(16)
      expect(outputs[5]).toEqual(joins('e', KEYS.map((k) => [k, 1_003])))
      expect(outputs[9]).toEqual(joins('i', [['3', 1_103]]))
    })
  })

  test('testAsymmetricWindowingBefore: before 100, after 0; results take the later timestamp', () => {
    const rounds = [['a', 899], ['b', 900], ['c', 901], ['d', 902], ['e', 903], ['f', 1_000], ['g', 1_001], ['h', 1_002], ['i', 1_003], ['j', 1_004]] as const
    const own = (letter: string, keys: readonly string[]): unknown[][] => joins(letter, keys.map((k) => [k, 1_000 + Number(k)]))
    withJoin('join', JoinWindows.ofTimeDifferenceAndGrace(0, 1_000).before(100), (io) => {
      expect(asymmetricRounds(io, rounds)).toEqual([
        [],
        [],
        own('b', ['0']),
        own('c', ['0', '1']),
        own('d', ['0', '1', '2']),
        own('e', KEYS),
        own('f', KEYS),
        own('g', ['1', '2', '3']),
        own('h', ['2', '3']),
        own('i', ['3']),
        [],
      ])
    })
  })
})

describe('outer join: unmatched right records (Kafka KStreamKStreamOuterJoinTest)', () => {
  const rightRecords = (io: Io): void => {
    io.right('0', '10', 1)
    io.right('1', '11', 2)
    io.right('0', '12', 3)
    expect(io.read()).toEqual([])
    io.left('1', 'A1', 3)
    expect(io.read()).toEqual([['1', 'A1+11', 3]])
  }

  // The unmatched right records come out when either side's record moves stream time past them.
  test.each(['left', 'right'] as const)('testRightExpiredNonJoinedRecordsAreEmittedByThe%sProcessor', (closer) => {
    const other = closer === 'left' ? 'right' : 'left'
    withJoin('outerJoin', JoinWindows.ofTimeDifferenceWithNoGrace(100), (io) => {
      rightRecords(io)
      io[closer]('2', closer === 'left' ? 'dummy' : '100', 401)
      expect(io.read()).toEqual([
        ['0', 'null+10', 1],
        ['0', 'null+12', 3],
      ])
      io[other]('2', other === 'left' ? 'dummy' : '100', 402)
      expect(io.read()).toEqual([['2', 'dummy+100', 402]])
      // Neither matched record (11, A1) nor the later pair ever comes out unmatched.
      io.left('9', 'bump', 10_000)
      expect(io.read()).toEqual([])
    })
  })
})

describe('outer join: asymmetric windows (Kafka KStreamKStreamOuterJoinTest)', () => {
  test('testShouldNotEmitLeftJoinResultForAsymmetricBeforeWindow: before 0', () => {
    withJoin('outerJoin', JoinWindows.ofTimeDifferenceWithNoGrace(100).before(0), (io) => {
      io.left('0', 'A0', 0)
      io.left('1', 'A1', 1)
      expect(io.read()).toEqual([])
      io.right('0', '10', 100)
      expect(io.read()).toEqual([['0', 'A0+10', 100]])
      io.right('1', '11', 102) // its window [2, 102] misses A1; A1's [1, 101] has closed
      expect(io.read()).toEqual([['1', 'A1+null', 1]])
      io.right('2', '12', 103)
      expect(io.read()).toEqual([['1', 'null+11', 102]])
      io.left('2', 'A2', 103)
      expect(io.read()).toEqual([['2', 'A2+12', 103]])
    })
  })

  // Also with in-memory window stores (Kafka's testOuterJoinWithInMemoryCustomSuppliers).
  test.each([false, true])('testShouldNotEmitLeftJoinResultForAsymmetricAfterWindow: after 0 (inMemory: %s)', (inMemory) => {
    withJoin('outerJoin', JoinWindows.ofTimeDifferenceWithNoGrace(100).after(0), (io) => {
      io.left('0', 'A0', 0)
      io.left('1', 'A1', 1)
      expect(io.read()).toEqual([['0', 'A0+null', 0]])
      io.right('1', '11', 1)
      expect(io.read()).toEqual([['1', 'A1+11', 1]])
      io.right('2', '12', 101)
      io.right('3', '13', 101)
      expect(io.read()).toEqual([])
      io.left('2', 'A2', 201) // 12's window [101, 201] is still open at 201
      expect(io.read()).toEqual([['2', 'A2+12', 201]])
    }, inMemory)
  })
})

describe('self-joins (Kafka KStreamKStreamSelfJoinTest)', () => {
  const input: readonly [string, string, number][] = [
    ['k', 'A', 0],
    ['k', 'B', 50],
    ['k', 'C', 20], // out of order, within grace
    ['j', 'D', 30],
    ['k', 'E', 150], // its window [50, 250] holds B, at its very edge
    ['k', 'F', 0], // late: 0 + 100 + 40 < 150
  ]
  const windows = JoinWindows.ofTimeDifferenceAndGrace(100, 40)

  function selfJoin(): unknown[][] {
    const b = new StreamBuilder()
    const s = b.stream('in', { key: str, value: str })
    s.join(s, joined, windows).to('out', { key: str, value: str })
    let out: unknown[][] = []
    withDriver(b.build(), (driver) => {
      const topic = driver.createInputTopic('in', str, str)
      for (const [k, v, t] of input) topic.pipeInput(k, v, t)
      out = rows(driver.createOutputTopic('out', str, str))
      expect(driver.droppedRecords('late-record')).toBe(2) // F, dropped (and counted) by each side's node
    })
    return out
  }

  test('out-of-order records: the same results as joining two streams that each get every record', () => {
    let twoStreamResults: unknown[][] = []
    withJoin('join', windows, (io) => {
      for (const [k, v, t] of input) {
        io.left(k, v, t)
        io.right(k, v, t)
      }
      twoStreamResults = io.read()
    })
    expect(selfJoin()).toEqual(twoStreamResults)
    expect(twoStreamResults).toEqual([
      ['k', 'A+A', 0],
      ['k', 'B+A', 50],
      ['k', 'A+B', 50],
      ['k', 'B+B', 50],
      ['k', 'C+A', 20],
      ['k', 'C+B', 50],
      ['k', 'A+C', 20], // matches come in timestamp order: A (0), C (20), B (50)
      ['k', 'C+C', 20],
      ['k', 'B+C', 50],
      ['j', 'D+D', 30],
      ['k', 'E+B', 150],
      ['k', 'B+E', 150],
      ['k', 'E+E', 150],
    ])
  })

  test('a re-keyed stream joined with itself: both sides repartitioned, every pair found', () => {
    const b = new StreamBuilder()
    const s = b.stream('in', { key: str, value: str }).selectKey((_k, v) => v.split(':')[0]!)
    s.join(s, joined, windows, { name: 'sj', key: str, value: str, otherValue: str }).to('out', { key: str, value: str })
    const topology = b.build()
    expect(topology.repartitionTopics().map((r) => r.topic).sort()).toEqual(['sj-left-repartition', 'sj-right-repartition'].map((t) => expect.stringContaining(t)))
    withDriver(topology, (driver) => {
      const topic = driver.createInputTopic('in', str, str)
      topic.pipeInput('x', 'k:A', 0)
      topic.pipeInput('y', 'k:B', 50)
      topic.pipeInput('z', 'j:C', 60)
      const out = rows(driver.createOutputTopic('out', str, str)).map((r) => JSON.stringify(r))
      expect(out.sort()).toEqual(
        [
          ['k', 'k:A+k:A', 0],
          ['k', 'k:B+k:A', 50],
          ['k', 'k:A+k:B', 50],
          ['k', 'k:B+k:B', 50],
          ['j', 'j:C+j:C', 60],
        ]
          .map((r) => JSON.stringify(r))
          .sort(),
      )
    })
  })

  test('two re-keyed streams: both sides go through their repartition topics and meet in one task', () => {
    const b = new StreamBuilder()
    const left = b.stream('left', { key: str, value: str }).selectKey((_k, v) => v.split(':')[0]!)
    const right = b.stream('right', { key: str, value: str }).map((_k, v) => [v.split(':')[0]!, v] as const)
    left.leftJoin(right, joined, windows, { name: 'rk', key: str, value: str, otherValue: str }).to('out', { key: str, value: str })
    const topology = b.build()
    expect(topology.repartitionTopics()).toHaveLength(2)
    withDriver(topology, (driver) => {
      driver.createInputTopic('left', str, str).pipeInput('a', 'k:L', 10)
      driver.createInputTopic('right', str, str).pipeInput('b', 'k:R', 20)
      driver.createInputTopic('left', str, str).pipeInput('c', 'm:L2', 30)
      driver.createInputTopic('left', str, str).pipeInput('d', 'n:bump', 500)
      expect(rows(driver.createOutputTopic('out', str, str))).toEqual([
        ['k', 'k:L+k:R', 20],
        ['m', 'm:L2+null', 30],
      ])
    })
  })
})

describe('the stores stay bounded', () => {
  test('window-store records and waiting unmatched records are deleted once stream time passes retention (LevelDB)', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'stream-join-purge-'))
    try {
      const driver = await TopologyTestDriver.create(twoStreams('leftJoin', JoinWindows.ofTimeDifferenceAndGrace(10, 5)), { stateDir, initialWallClockTimeMs: 0 })
      const left = driver.createInputTopic('left', str, str)
      const right = driver.createInputTopic('right', str, str)
      const out = driver.createOutputTopic('out', str, str)
      const n = 600
      for (let i = 0; i < n; i++) {
        // A distinct key per record, so only the purge (not the key's own index rewrite) deletes it.
        left.pipeInput(`key-${i}`, 'L', i * 100)
        if (i % 2 === 0) right.pipeInput(`key-${i}`, 'R', i * 100 + 1)
        if (i % 50 === 49) await driver.commitAsync()
      }
      await driver.commitAsync()
      const results = out.readRecordsToList()
      expect(results.filter((r) => r.value === 'L+R')).toHaveLength(n / 2)
      // Every unmatched record but the last (still in its window) came out, and left the store.
      expect(results.filter((r) => r.value === 'L+null')).toHaveLength(n / 2 - 1)
      expect(await driver.getKeyValueStore('j-outer-shared-join-store').approximateNumEntries()).toBe(1)
      await driver.closeAsync()
      // Count what is physically left in the task's LevelDB: a few live records, not 900.
      const db = new ClassicLevel<Buffer, Buffer>(join(stateDir, 'topology-test-driver', '0_0'), { keyEncoding: 'buffer', valueEncoding: 'buffer' })
      try {
        let joinKeys = 0
        for await (const key of db.keys()) if (key.toString('latin1').includes('key-')) joinKeys++
        expect(joinKeys).toBeLessThan(10)
      } finally {
        await db.close()
      }
    } finally {
      await rm(stateDir, { recursive: true, force: true })
    }
  })
})
