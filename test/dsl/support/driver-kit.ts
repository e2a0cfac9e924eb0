import type { Topology } from 'streamfold'
import { TopologyTestDriver } from 'streamfold/testing'

/** Runs `fn` on a fresh driver over `topology` (wall clock at 0), closing it afterwards. */
export function withDriver(topology: Topology, fn: (d: TopologyTestDriver) => void): void {
  const d = new TopologyTestDriver(topology, { initialWallClockTimeMs: 0 })
  try {
    fn(d)
  } finally {
    d.close()
  }
}

/** An output topic's records read so far, as [key, value, timestamp] rows. */
export const rows = (out: { readRecordsToList(): { key: unknown; value: unknown; timestamp: number }[] }): unknown[][] =>
  out.readRecordsToList().map((r) => [r.key, r.value, r.timestamp])

/** A deterministic random source for generated inputs: next(n) is an integer in [0, n). */
export function seededRandom(seed: number): (n: number) => number {
  let state = seed
  return (n) => {
    state = (state * 1103515245 + 12345) % 2 ** 31
    return state % n
  }
}
