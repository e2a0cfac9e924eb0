/**
 * Count-topology fixtures without jest or module aliases, so child processes (crash tests) can
 * import them too. app-test-kit.ts re-exports them for the tests.
 */
import { Serdes } from '../../../src/serdes/serdes'
import { StreamBuilder } from '../../../src/topology/stream-builder'
import type { Topology } from '../../../src/topology/topology'
import type { StoreSpec } from '../../../src/state/store-spec'
import { TaskStores } from '../../../src/state/task-stores'
import type { BrokerAdmin, BrokerRecord, OutgoingRecord, TopicPartition } from '../../../src/runtime/broker/broker'

/**
 * `stream(input).groupByKey().count({ name: store }).toStream().to(output)`: string keys, double
 * counts. `onRecord` runs for every input record first (crash tests slow processing down with it).
 * Caching is off unless asked for: every update goes out, so exactly-once shows as each of a
 * key's counts 1..n exactly once (`expectedResults`). A cached count forwards one update per key
 * per commit; check it with `cachedResultsInvalid`.
 */
export function countTopology(input = 'in', output = 'counts', store = 'counts-store', onRecord?: () => void, caching = false): Topology {
  const builder = new StreamBuilder()
  let stream = builder.stream(input, { key: Serdes.string(), value: Serdes.string() })
  if (onRecord !== undefined) stream = stream.peek(() => onRecord())
  stream
    .groupByKey()
    .count({ name: store, caching })
    .toStream()
    .to(output, { key: Serdes.string(), value: Serdes.double() })
  return builder.build()
}

/** Deterministic input: `count` records over `keys` keys, spread by key over the topic's partitions. */
export function keyedInput(topic: string, count: number, keys: number, seed = 1): OutgoingRecord[] {
  let state = seed
  const out: OutgoingRecord[] = []
  for (let i = 0; i < count; i++) {
    state = (state * 1103515245 + 12345) % 2147483648
    out.push({ topic, key: Buffer.from(`k${state % keys}`), value: Buffer.from(`v${i}`), timestamp: 1_000_000 + i, headers: [] })
  }
  return out
}

/** The reference fold of a count topology: key -> number of records. */
export function referenceCounts(records: readonly OutgoingRecord[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const r of records) {
    const key = r.key!.toString()
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return counts
}

/** The last value per key of a count output topic (offset order within each partition). */
export function latestCounts(records: readonly BrokerRecord[]): Map<string, number> {
  const latest = new Map<string, number>()
  const double = Serdes.double()
  for (const r of records) latest.set(r.key!.toString(), double.deserialize(r.value!, r.topic))
  return latest
}

/** Every (key, count) pair of a count output topic, for exactly-once checks. */
export function countResults(records: readonly BrokerRecord[]): string[] {
  const double = Serdes.double()
  return records.map((r) => `${r.key!.toString()}=${double.deserialize(r.value!, r.topic)}`)
}

/** What an exactly-once count output must hold: every key's 1..n, once each. */
export function expectedResults(reference: ReadonlyMap<string, number>): string[] {
  const out: string[] = []
  for (const [key, n] of reference) for (let i = 1; i <= n; i++) out.push(`${key}=${i}`)
  return out
}

/**
 * What a cached count's committed output must show under exactly_once: per key, counts that only
 * grow (a repeated or smaller count would be an update applied twice or lost), ending at the
 * reference. Returns the keys that break it, with their counts.
 */
export function cachedResultsInvalid(records: readonly BrokerRecord[], reference: ReadonlyMap<string, number>): Record<string, number[]> {
  const byKey = new Map<string, number[]>()
  const double = Serdes.double()
  for (const r of records) {
    const key = r.key!.toString()
    byKey.set(key, [...(byKey.get(key) ?? []), double.deserialize(r.value!, r.topic)])
  }
  const invalid: Record<string, number[]> = {}
  for (const [key, n] of reference) {
    const counts = byKey.get(key) ?? []
    if (counts.at(-1) !== n || counts.some((c, i) => i > 0 && c <= counts[i - 1]!)) invalid[key] = counts
  }
  for (const [key, counts] of byKey) if (!reference.has(key)) invalid[key] = counts
  return invalid
}

/** True once the group has committed every input partition up to its end. */
export async function caughtUp(admin: BrokerAdmin, groupId: string, topic: string, partitions: number): Promise<boolean> {
  const tps: TopicPartition[] = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }))
  const [ends, committed] = await Promise.all([admin.endOffsets(tps), admin.committedOffsets(groupId, tps)])
  return ends.every((end) => end.offset === 0 || committed.some((c) => c.partition === end.partition && c.offset >= end.offset))
}

/** The count store's contents over every task of sub-topology 0, read from the task databases. */
export async function storeCounts(topology: Topology, applicationId: string, stateDir: string, partitions: number, store = 'counts-store'): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  for (let partition = 0; partition < partitions; partition++) {
    const stores = await TaskStores.open({ applicationId, taskId: `0_${partition}`, stateDir, changelogPartition: partition, stores: topology.stores as StoreSpec[] })
    try {
      for await (const { key, value } of stores.getKeyValueStore<string, { value: number }>(store).all()) out.set(key, value.value)
    } finally {
      await stores.close()
    }
  }
  return out
}
