/**
 * Kafka Streams' KStreamKStreamJoinTest.testWindowing, ported: a symmetric 100 ms inner join,
 * records pushed at and around both window edges from either side, in order and out of order.
 * Kafka runs it without grace and joins the out-of-order records; here they would be dropped as
 * late (docs/joins.md), so the port gives a grace that covers them: the results are Kafka's.
 */
import { JoinWindows, Serdes, StreamBuilder } from 'streamfold'
import { TopologyTestDriver } from 'streamfold/testing'

const str = Serdes.string()
const KEYS = ['0', '1', '2', '3']

test('testWindowing: inclusive bounds on both sides, results at the later timestamp', () => {
  const b = new StreamBuilder()
  b.stream('left', { key: str, value: str })
    .join(b.stream('right', { key: str, value: str }), (_k, l, r) => `${l}+${r}`, JoinWindows.ofTimeDifferenceAndGrace(100, 1_000), { name: 'j' })
    .to('out', { key: str, value: str })
  const driver = new TopologyTestDriver(b.build(), { initialWallClockTimeMs: 0 })
  try {
    const inputs = { left: driver.createInputTopic('left', str, str), right: driver.createInputTopic('right', str, str) }
    const out = driver.createOutputTopic('out', str, str)
    /** Pipes `${prefix}${key}` for each key at `time(i)`; returns the output as `key:value@ts`. */
    const push = (side: 'left' | 'right', prefix: string, time: (i: number) => number, keys = KEYS): string[] => {
      keys.forEach((k, i) => inputs[side].pipeInput(k, `${prefix}${k}`, time(i)))
      return out.readRecordsToList().map((r) => `${r.key}:${r.value}@${r.timestamp}`)
    }
    /** Expected results `${l}k+${r}k` of the given keys. */
    const results = (l: string, r: string, ts: (k: number) => number, keys: number[]): string[] => keys.map((k) => `${k}:${l}${k}+${r}${k}@${ts(k)}`)
    const upTo = (n: number): number[] => [0, 1, 2, 3].slice(0, n)
    const from = (n: number): number[] => [0, 1, 2, 3].slice(n)

    expect(push('left', 'A', () => 0, ['0', '1'])).toEqual([])
    expect(push('right', 'a', () => 0, ['0', '1'])).toEqual(results('A', 'a', () => 0, [0, 1]))
    expect(push('left', 'B', (i) => 1_000 + i)).toEqual([])
    // Right records at and past the upper edge of B's windows [1000 + k - 100, 1000 + k + 100].
    expect(push('right', 'b', () => 1_100)).toEqual(results('B', 'b', () => 1_100, from(0)))
    expect(push('right', 'c', () => 1_101)).toEqual(results('B', 'c', () => 1_101, from(1)))
    expect(push('right', 'd', () => 1_102)).toEqual(results('B', 'd', () => 1_102, from(2)))
    expect(push('right', 'e', () => 1_103)).toEqual(results('B', 'e', () => 1_103, from(3)))
    expect(push('right', 'f', () => 1_104)).toEqual([])
    // Out of order, at and past the lower edge: the result takes B's (later) timestamp.
    expect(push('right', 'g', () => 899)).toEqual([])
    expect(push('right', 'h', () => 900)).toEqual(results('B', 'h', (k) => 1_000 + k, upTo(1)))
    expect(push('right', 'i', () => 901)).toEqual(results('B', 'i', (k) => 1_000 + k, upTo(2)))
    expect(push('right', 'j', () => 902)).toEqual(results('B', 'j', (k) => 1_000 + k, upTo(3)))
    expect(push('right', 'k', () => 903)).toEqual(results('B', 'k', (k) => 1_000 + k, upTo(4)))
    // The same from the left side.
    expect(push('right', 'l', (i) => 2_000 + i)).toEqual([])
    expect(push('left', 'C', () => 2_100)).toEqual(results('C', 'l', () => 2_100, from(0)))
    expect(push('left', 'D', () => 2_101)).toEqual(results('D', 'l', () => 2_101, from(1)))
    expect(push('left', 'E', () => 2_102)).toEqual(results('E', 'l', () => 2_102, from(2)))
    expect(push('left', 'F', () => 2_103)).toEqual(results('F', 'l', () => 2_103, from(3)))
    expect(push('left', 'G', () => 2_104)).toEqual([])
    expect(push('left', 'H', () => 1_899)).toEqual([])
    expect(push('left', 'I', () => 1_900)).toEqual(results('I', 'l', (k) => 2_000 + k, upTo(1)))
    expect(push('left', 'J', () => 1_901)).toEqual(results('J', 'l', (k) => 2_000 + k, upTo(2)))
    expect(push('left', 'K', () => 1_902)).toEqual(results('K', 'l', (k) => 2_000 + k, upTo(3)))
    expect(push('left', 'L', () => 1_903)).toEqual(results('L', 'l', (k) => 2_000 + k, upTo(4)))
    expect(driver.droppedRecords('late-record')).toBe(0)
  } finally {
    driver.close()
  }
})
