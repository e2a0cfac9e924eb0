/**
 * A derived table read through its value getter must look exactly like the same table
 * materialized by name (Kafka Streams' Materialized.as): both topologies below chain two
 * derivations on each side of table-table joins (outer, inner, left) and of stream-table joins,
 * one reading the chains through getters, the other through the chains' own stores, and they are
 * fed the same random updates. Every output record must agree (value and timestamp), and the
 * outer join's last value per key must be the join of the final source rows computed here.
 */
import { Serdes, StreamBuilder, type Serde, type Topology } from 'streamfold'
import type { TopologyTestDriver } from 'streamfold/testing'
import { rows, seededRandom, withDriver } from './support/driver-kit'

const str = Serdes.string()
const num = Serdes.double()

const keepLeft = (_k: string, v: number): boolean => v % 3 !== 0
const showLeft = (_k: string, v: number): string => `L${v}`
const doubleRight = (_k: string, v: number): number => v * 2
const dropRight = (_k: string, v: number): boolean => v % 5 === 0
const outer = (_k: string, l: string | null, r: number | null): string => `${l ?? '-'}+${r ?? '-'}`

function topology(materialized: boolean): Topology {
  const b = new StreamBuilder()
  // Uncached, so a materialized step forwards each update at once, as the unmaterialized one does.
  const stored = <V>(name: string, value?: Serde<V>) => (materialized ? { name, value, caching: false } : undefined)
  const left = b.table('a', { key: str, value: num }).filter(keepLeft, stored('a-kept')).mapValues(showLeft, stored('a-shown', str))
  const right = b.table('c', { key: str, value: num }).mapValues(doubleRight, stored('c-doubled', num)).filterNot(dropRight, stored('c-kept'))
  left.outerJoin(right, outer).toStream().to('outer', { key: str, value: str })
  left.join(right, (_k, l, r) => `${l}*${r}`).toStream().to('inner', { key: str, value: str })
  right.leftJoin(left, (_k, r, l) => `${r}<${l ?? '-'}`).toStream().to('left', { key: str, value: str })
  const events = b.stream('s', { key: str, value: str })
  events.leftJoin(left, (_k, e, l) => `${e}@${l ?? '-'}`).to('s-left', { key: str, value: str })
  events.join(right, (_k, e, r) => `${e}@${r}`).to('s-right', { key: str, value: str })
  return b.build()
}

const OUTPUTS = ['outer', 'inner', 'left', 's-left', 's-right'] as const

interface Update {
  readonly topic: 'a' | 'c' | 's'
  readonly key: string
  readonly value: number | null
  readonly timestamp: number
}

/** A deterministic stream of updates: a few keys, tombstones, timestamps out of order. */
function updates(seed: number, count: number): Update[] {
  const next = seededRandom(seed)
  return Array.from({ length: count }, (_, i) => ({
    topic: (['a', 'c', 's'] as const)[next(3)]!,
    key: `k${next(4)}`,
    value: next(5) === 0 ? null : next(30),
    timestamp: 30 + i * 10 - next(25),
  }))
}

function run(d: TopologyTestDriver, input: readonly Update[]): Record<string, unknown[][]> {
  const topics = { a: d.createInputTopic('a', str, num), c: d.createInputTopic('c', str, num), s: d.createInputTopic('s', str, str) }
  for (const u of input) {
    if (u.topic === 's') topics.s.pipeInput(u.key, u.value === null ? null : `e${u.value}`, u.timestamp)
    else topics[u.topic].pipeInput(u.key, u.value, u.timestamp)
  }
  return Object.fromEntries(OUTPUTS.map((t) => [t, rows(d.createOutputTopic(t, str, str))]))
}

/** The outer join of the final rows, computed directly from the sources' last values. */
function expectedOuter(input: readonly Update[]): Map<string, string> {
  const last = (topic: 'a' | 'c') => {
    const rowsByKey = new Map<string, number>()
    for (const u of input) if (u.topic === topic) u.value === null ? rowsByKey.delete(u.key) : rowsByKey.set(u.key, u.value)
    return rowsByKey
  }
  const a = last('a')
  const c = last('c')
  const result = new Map<string, string>()
  for (const key of new Set([...a.keys(), ...c.keys()])) {
    const l = a.has(key) && keepLeft(key, a.get(key)!) ? showLeft(key, a.get(key)!) : null
    const doubled = c.has(key) ? doubleRight(key, c.get(key)!) : null
    const r = doubled !== null && !dropRight(key, doubled) ? doubled : null
    if (l !== null || r !== null) result.set(key, outer(key, l, r))
  }
  return result
}

describe('derived tables: value getters agree with materialized stores', () => {
  test.each([1, 2, 3, 4, 5])('chains on both sides of table-table and stream-table joins, random updates (seed %i)', (seed) => {
    const input = updates(seed, 300)
    let throughGetters: Record<string, unknown[][]> = {}
    let throughStores: Record<string, unknown[][]> = {}
    withDriver(topology(false), (d) => (throughGetters = run(d, input)))
    withDriver(topology(true), (d) => (throughStores = run(d, input)))
    for (const t of OUTPUTS) expect(throughGetters[t]).toEqual(throughStores[t])
    expect(throughGetters['outer']!.length).toBeGreaterThan(20) // the input exercised the joins
    const finalOuter = new Map<string, string>()
    for (const [key, value] of throughGetters['outer']! as [string, string | null][]) value === null ? finalOuter.delete(key) : finalOuter.set(key, value)
    expect(finalOuter).toEqual(expectedOuter(input))
  })

  test('an outer join of filter → mapValues with mapValues → filterNot, step by step', () => {
    withDriver(topology(false), (d) => {
      const a = d.createInputTopic('a', str, num)
      const c = d.createInputTopic('c', str, num)
      const out = d.createOutputTopic('outer', str, str)
      a.pipeInput('k', 1, 1) // kept: L1, no right row
      c.pipeInput('k', 4, 2) // doubled 8, kept
      c.pipeInput('k', 5, 3) // doubled 10, dropped: the right row is gone
      a.pipeInput('k', 3, 4) // 3 is filtered out on the left: both gone
      c.pipeInput('k', 6, 5) // doubled 12: the right row alone
      a.pipeInput('k', 7, 1) // L7 joins 12 at the later timestamp
      expect(rows(out)).toEqual([
        ['k', 'L1+-', 1],
        ['k', 'L1+8', 2],
        ['k', 'L1+-', 3],
        ['k', null, 4],
        ['k', '-+12', 5],
        ['k', 'L7+12', 5],
      ])
    })
  })
})
