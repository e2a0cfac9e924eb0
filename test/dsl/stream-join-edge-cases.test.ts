/**
 * KStream-KStream join edge cases found in review: windows shifted to one side (a negative
 * before or after), where a record's own window may end before the record itself.
 */
import { JoinWindows, Serdes, StreamBuilder } from 'streamfold'
import { TopologyTestDriver } from 'streamfold/testing'

const str = Serdes.string()
const joined = (_k: string, v: string | null, o: string | null): string => `${v}+${o}`

function run(kind: 'join' | 'outerJoin', windows: JoinWindows, fn: (io: { left: (k: string, v: string, t: number) => void; right: (k: string, v: string, t: number) => void; read: () => [string, string, number][]; dropped: () => number }) => void): void {
  const b = new StreamBuilder()
  const l = b.stream('left', { key: str, value: str })
  const r = b.stream('right', { key: str, value: str })
  ;(kind === 'join' ? l.join(r, joined, windows, { name: 'j' }) : l.outerJoin(r, joined, windows, { name: 'j' })).to('out', { key: str, value: str })
  const driver = new TopologyTestDriver(b.build(), { initialWallClockTimeMs: 0 })
  try {
    const li = driver.createInputTopic('left', str, str)
    const ri = driver.createInputTopic('right', str, str)
    const out = driver.createOutputTopic('out', str, str)
    fn({
      left: (k, v, t) => li.pipeInput(k, v, t),
      right: (k, v, t) => ri.pipeInput(k, v, t),
      read: () => out.readRecordsToList().map((x) => [x.key!, x.value!, x.timestamp]),
      dropped: () => driver.droppedRecords('late-record'),
    })
  } finally {
    driver.close()
  }
}

describe('windows shifted to one side (negative before)', () => {
  // A left record at t joins right records in [t + 50, t + 100]; a right record at t joins left
  // records in [t - 100, t - 50]: its window ends 50 ms before it.
  const shifted = JoinWindows.ofTimeDifferenceWithNoGrace(100).before(-50)

  test('a right record arriving in order joins the earlier left records of its window (not dropped as late)', () => {
    run('join', shifted, ({ left, right, read, dropped }) => {
      left('k', 'L0', 0)
      right('k', 'R49', 49) // before L0's window [50, 100]
      right('k', 'R50', 50)
      right('k', 'R100', 100)
      right('k', 'R101', 101)
      expect(read()).toEqual([
        ['k', 'L0+R50', 50],
        ['k', 'L0+R100', 100],
      ])
      expect(dropped()).toBe(0)
    })
  })
})

describe('windows shifted to one side: more cases', () => {
  test('after(-50): left records arriving in order join the right records 50 to 100 ms earlier', () => {
    run('join', JoinWindows.ofTimeDifferenceWithNoGrace(100).after(-50), ({ left, right, read, dropped }) => {
      right('k', 'R0', 0)
      right('k', 'R10', 10)
      left('k', 'L49', 49) // [-51, -1]: nothing (Kafka Streams clamps it to [0, 0] and joins R0)
      left('k', 'L50', 50)
      left('k', 'L100', 100)
      left('k', 'L101', 101)
      expect(read()).toEqual([
        ['k', 'L50+R0', 50],
        ['k', 'L100+R0', 100],
        ['k', 'L100+R10', 100],
        ['k', 'L101+R10', 101],
      ])
      expect(dropped()).toBe(0)
    })
  })

  test('the store keeps the records a right record looks back to (retention covers max(before, after), not before + after)', () => {
    // before + after = 50: records 100 ms old must still be found.
    run('join', JoinWindows.ofTimeDifferenceWithNoGrace(100).before(-50), ({ left, right, read }) => {
      left('k', 'L0', 0)
      left('x', 'bump', 60) // stream time 60: 0 is past before + after
      right('k', 'R100', 100)
      expect(read()).toEqual([['k', 'L0+R100', 100]])
    })
  })

  test('outer join: an unmatched right record whose window ended before it arrived is emitted at once; a later right record past grace is dropped', () => {
    run('outerJoin', JoinWindows.ofTimeDifferenceAndGrace(100, 20).before(-50), ({ left, right, read, dropped }) => {
      left('k', 'L0', 0)
      right('k', 'R30', 30) // window [-70, -20] (Kafka Streams clamps it to [0, 0] and joins L0): nothing, and closed (30 - 50 + 20 < 30)
      expect(read()).toEqual([['k', 'null+R30', 30]])
      right('k', 'R60', 60) // joins L0
      expect(read()).toEqual([['k', 'L0+R60', 60]])
      right('k', 'R51', 51) // out of order, within grace of 60: kept, window [-49, 1] holds L0
      expect(read()).toEqual([['k', 'L0+R51', 51]])
      right('k', 'R45', 45) // window [-55, -5]: nothing, emitted at once
      expect(read()).toEqual([['k', 'null+R45', 45]])
      right('k', 'R39', 39) // 39 + 20 < 60: late
      expect(read()).toEqual([])
      expect(dropped()).toBe(1)
      left('x', 'bump', 1_000) // L0 was matched: nothing else comes out but the bump's own window
      expect(read()).toEqual([])
    })
  })
})

describe('null keys from a re-keyed side (KIP-962)', () => {
  test('a left join of a repartitioned stream still emits a left record whose new key is null (Kafka keeps null keys in repartition topics feeding left/outer joins)', () => {
    const b = new StreamBuilder()
    const left = b.stream('left', { key: str, value: str }).selectKey((_k, v) => (v.startsWith('n') ? null : v) as string) // typed as the right stream's keys
    const right = b.stream('right', { key: str, value: str })
    left.leftJoin(right, joined, JoinWindows.ofTimeDifferenceWithNoGrace(100), { name: 'j', key: str, value: str }).to('out', { key: str, value: str })
    const driver = new TopologyTestDriver(b.build(), { initialWallClockTimeMs: 0 })
    try {
      driver.createInputTopic('left', str, str).pipeInput('x', 'nothing', 5)
      const out = driver.createOutputTopic('out', str, str)
      expect(out.readRecordsToList().map((r) => [r.key, r.value, r.timestamp])).toEqual([[null, 'nothing+null', 5]])
    } finally {
      driver.close()
    }
  })
})

describe('self-joins of left and outer joins', () => {
  test.each(['leftJoin', 'outerJoin'] as const)('s.%s(s): every record matches itself, so nothing is ever emitted unmatched', (kind) => {
    const b = new StreamBuilder()
    const s = b.stream('in', { key: str, value: str })
    const w = JoinWindows.ofTimeDifferenceAndGrace(100, 20)
    ;(kind === 'leftJoin' ? s.leftJoin(s, joined, w) : s.outerJoin(s, joined, w)).to('out', { key: str, value: str })
    const driver = new TopologyTestDriver(b.build(), { initialWallClockTimeMs: 0 })
    try {
      const input = driver.createInputTopic('in', str, str)
      const out = driver.createOutputTopic('out', str, str)
      input.pipeInput('k', 'A', 0)
      input.pipeInput('k', 'B', 150) // outside A's window
      input.pipeInput('j', 'C', 140) // out of order, within grace
      input.pipeInput('x', 'bump', 1_000) // closes every window
      expect(out.readRecordsToList().map((r) => `${r.key}:${r.value}@${r.timestamp}`)).toEqual(['k:A+A@0', 'k:B+B@150', 'j:C+C@140', 'x:bump+bump@1000'])
    } finally {
      driver.close()
    }
  })
})
