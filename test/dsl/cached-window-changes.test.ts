/**
 * Old values of the Changes cached window aggregations forward (TopologyTestDriver, which flushes
 * after every record): a downstream table aggregate's subtractor must retract exactly what was
 * forwarded before, so its total equals the sum of the stored window counts.
 */
import { Serdes, SessionWindows, SlidingWindows, StreamBuilder } from 'streamfold'
import { TopologyTestDriver } from 'streamfold/testing'

const str = Serdes.string()
const num = Serdes.double()

test('a record on an existing one-point session: Change(2, 1), so the total over sessions is 2 (Kafka: the old value read at flush)', () => {
  const b = new StreamBuilder()
  b.stream('in', { key: str, value: str })
    .groupByKey()
    .windowedBy(SessionWindows.ofInactivityGapAndGrace(5, 100))
    .count({ name: 'sessions' })
    .groupBy((wk, n) => [wk.key, n] as const, { key: str, value: num, name: 'by-key' })
    .reduce((a, v) => a + v, (a, v) => a - v, { name: 'total' })
  const d = new TopologyTestDriver(b.build(), { initialWallClockTimeMs: 0 })
  try {
    const input = d.createInputTopic('in', str, str)
    input.pipeInput('k', 'a', 1000) // session [1000,1000] = 1, forwarded
    input.pipeInput('k', 'a', 1000) // the same session, now 2
    expect(d.getKeyValueStore<string, number>('total').get('k')).toBe(2)
  } finally {
    d.close()
  }
})

// Cached only: uncached, a window [t-d,t] created twice in one process() (the previous record's
// right window, then this record's left window) is forwarded as Change(1,null) then Change(1,0),
// as Kafka's KStreamSlidingWindowAggregate does, and a subtractor downstream counts it twice.
test('sliding windows, cached: the total over windows equals the stored counts, with early and out-of-order records', () => {
  const b = new StreamBuilder()
  const counts = b.stream('in', { key: str, value: str }).groupByKey().windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(10, 1000)).count({ name: 'w' })
  counts.groupBy((wk, n) => [wk.key, n] as const, { key: str, value: num, name: 'g' }).reduce((a, v) => a + v, (a, v) => a - v, { name: 'total' })
  const d = new TopologyTestDriver(b.build(), { initialWallClockTimeMs: 0 })
  try {
    const input = d.createInputTopic('in', str, str)
    for (const t of [3, 7, 5, 12, 30, 25, 41, 26, 2, 40, 40]) input.pipeInput('k', 'x', t)
    const stored = d.getWindowStore<string, number>('w').fetch('k', 0, 1000) as unknown as Array<{ value: unknown }>
    const sum = stored.reduce((s, e) => s + Number((e.value as { value?: number }).value ?? e.value), 0)
    expect(d.getKeyValueStore<string, number>('total').get('k')).toBe(sum)
  } finally {
    d.close()
  }
})
