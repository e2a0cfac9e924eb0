/** A regrouping count topology (groupBy, so a repartition topic) and its input, for the repartition-purge tests. */
import { Serdes, StreamBuilder } from 'streamfold'
import type { OutgoingRecord } from '../../../src/runtime/broker/broker'
import type { Topology } from '../../../src/topology/topology'
import { keyedInput } from './count-fixtures'

/**
 * `input` (key: user, value: page) regrouped by page through `${applicationId}-by-page-repartition`,
 * counted into `output`. `readDelayMs` slows the count's reading of the repartition topic, so its
 * commits trail the topic's end while the input is worked off. Caching off: every update goes
 * out, so the tests can check that each was written exactly once.
 */
export function pageCounts({ input = 'in', output = 'counts', readDelayMs = 0 } = {}): Topology {
  const builder = new StreamBuilder()
  const text = Serdes.string()
  const slowText = { ...text, deserialize: (data: Buffer, topic: string) => (spin(readDelayMs), text.deserialize(data, topic)) }
  builder
    .stream(input, { key: Serdes.string(), value: Serdes.string() })
    .groupBy((_user, page) => page, { key: Serdes.string(), value: slowText, name: 'by-page' })
    .count({ name: 'page-counts', caching: false })
    .toStream()
    .to(output, { key: Serdes.string(), value: Serdes.double() })
  return builder.build()
}

/** Page views: keys are users, values are pages (the count's key after the regroup). */
export function views(count: number, seed: number, topic = 'in'): OutgoingRecord[] {
  return keyedInput(topic, count, 30, seed).map((r, i) => ({ ...r, value: Buffer.from(`/p${(i * 7 + seed) % 9}`) }))
}

export function referencePageCounts(records: readonly OutgoingRecord[]): Map<string, number> {
  const out = new Map<string, number>()
  for (const r of records) out.set(r.value!.toString(), (out.get(r.value!.toString()) ?? 0) + 1)
  return out
}

export function sameCounts(actual: ReadonlyMap<string, number>, expected: ReadonlyMap<string, number>): boolean {
  return actual.size === expected.size && [...expected].every(([k, v]) => actual.get(k) === v)
}

function spin(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until);
}

