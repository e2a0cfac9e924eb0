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
