import { Serdes, StreamBuilder, type KTable, type Topology } from 'streamfold'
import { TopologyTestDriver, type TestInputTopic } from 'streamfold/testing'

const str = Serdes.string()
const num = Serdes.double()
type Kind = 'join' | 'leftJoin' | 'outerJoin'

/** Tables `left` and `right` joined with "l+r" (null shown as "null"), the result's updates sent to `out`. */
function joinTopology(kind: Kind, name?: string): Topology {
  const b = new StreamBuilder()
  const left = b.table('left', { key: str, value: str })
  const right = b.table('right', { key: str, value: str })
  const joiner = (_k: string, l: string | null, r: string | null): string => `${l ?? 'null'}+${r ?? 'null'}`
  const options = name === undefined ? undefined : { name, value: str, caching: false }
  const joined: KTable<string, string> = kind === 'join' ? left.join(right, joiner, options) : kind === 'leftJoin' ? left.leftJoin(right, joiner, options) : left.outerJoin(right, joiner, options)
  joined.toStream().to('out', { key: str, value: str })
  return b.build()
}

interface Sides {
  left: TestInputTopic<string, string>
  right: TestInputTopic<string, string>
  read: () => unknown[][]
  driver: TopologyTestDriver
}

function withJoin(topology: Topology, fn: (s: Sides) => void): void {
  const driver = new TopologyTestDriver(topology, { initialWallClockTimeMs: 0 })
  try {
    const out = driver.createOutputTopic('out', str, str)
    fn({
      left: driver.createInputTopic('left', str, str),
      right: driver.createInputTopic('right', str, str),
      read: () => out.readRecordsToList().map((r) => [r.key, r.value, r.timestamp]),
      driver,
    })
  } finally {
    driver.close()
  }
}

describe('KTable-KTable join', () => {
  test('inner: either side\'s update joins the other\'s current value at the later timestamp; a lost match is a tombstone', () => {
    withJoin(joinTopology('join'), ({ left, right, read }) => {
      left.pipeInput('0', 'X0', 5)
      left.pipeInput('1', 'X1', 6)
      expect(read()).toEqual([]) // no right values yet
      right.pipeInput('0', 'Y0', 10)
      right.pipeInput('1', 'Y1', 2)
      expect(read()).toEqual([['0', 'X0+Y0', 10], ['1', 'X1+Y1', 6]])
      left.pipeInput('0', 'XX0', 7)
      left.pipeInput('0', null, 8)
      right.pipeInput('1', null, 9)
      expect(read()).toEqual([['0', 'XX0+Y0', 10], ['0', null, 10], ['1', null, 9]])
      left.pipeInput('1', null, 11) // right 1 gone: nothing to retract
      right.pipeInput('2', 'Y2', 12) // no left 2
      expect(read()).toEqual([])
    })
  })

  test('left: a left row without a right row joins null; right updates join only existing left rows', () => {
    withJoin(joinTopology('leftJoin'), ({ left, right, read }) => {
      left.pipeInput('0', 'X0', 5)
      right.pipeInput('0', 'Y0', 10)
      right.pipeInput('0', null, 11)
      right.pipeInput('1', 'Y1', 3)
      left.pipeInput('0', null, 12)
      expect(read()).toEqual([['0', 'X0+null', 5], ['0', 'X0+Y0', 10], ['0', 'X0+null', 11], ['0', null, 12]])
    })
  })

  test('outer: a row of either side joins null until matched; the result goes when both rows are gone', () => {
    withJoin(joinTopology('outerJoin'), ({ left, right, read }) => {
      right.pipeInput('1', 'Y1', 3)
      left.pipeInput('1', 'X1', 4)
      left.pipeInput('1', null, 5)
      right.pipeInput('1', null, 6)
      expect(read()).toEqual([['1', 'null+Y1', 3], ['1', 'X1+Y1', 4], ['1', 'null+Y1', 5], ['1', null, 6]])
    })
  })

  test('a named result is materialized in a queryable store: rows follow the joins and a lost match deletes the row', () => {
    withJoin(joinTopology('join', 'joined'), ({ left, right, read, driver }) => {
      left.pipeInput('0', 'X0', 1)
      right.pipeInput('0', 'Y0', 2)
      left.pipeInput('1', 'X1', 3)
      expect(driver.getKeyValueStore<string, string>('joined').get('0')).toBe('X0+Y0')
      expect(driver.getKeyValueStore<string, string>('joined').get('1')).toBeUndefined()
      left.pipeInput('0', null, 4)
      expect(driver.getKeyValueStore<string, string>('joined').get('0')).toBeUndefined()
      expect(read()).toEqual([['0', 'X0+Y0', 2], ['0', null, 4]])
    })
  })

  test('downstream groupBy aggregation retracts old join results (users by region, summing scores)', () => {
    const b = new StreamBuilder()
    const regions = b.table('regions', { key: str, value: str })
    const scores = b.table('scores', { key: str, value: num })
    regions
      .join(scores, (_user, region, score) => `${region}:${score}`)
      .groupBy((_user, v) => [v.split(':')[0]!, Number(v.split(':')[1])] as const, { key: str, value: num })
      .aggregate(() => 0, (_r, score, sum) => sum + score, (_r, score, sum) => sum - score, { name: 'by-region', value: num, caching: false })
      .toStream()
      .to('sums', { key: str, value: num })
    const driver = new TopologyTestDriver(b.build(), { initialWallClockTimeMs: 0 })
    try {
      const region = driver.createInputTopic('regions', str, str)
      const score = driver.createInputTopic('scores', str, num)
      const sums = driver.createOutputTopic('sums', str, num)
      region.pipeInput('u1', 'east', 1)
      score.pipeInput('u1', 10, 2)
      region.pipeInput('u2', 'east', 3)
      score.pipeInput('u2', 5, 4)
      region.pipeInput('u1', 'west', 5) // u1 moves: east loses 10, west gains it
      score.pipeInput('u1', 20, 6)
      score.pipeInput('u2', null, 7) // u2's result disappears: east loses 5
      const store = driver.getKeyValueStore<string, number>('by-region')
      expect([store.get('east'), store.get('west')]).toEqual([0, 20])
      const last = new Map(sums.readRecordsToList().map((r) => [r.key, r.value]))
      expect(Object.fromEntries(last)).toEqual({ east: 0, west: 20 })
    } finally {
      driver.close()
    }
  })
})
