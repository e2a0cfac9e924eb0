/**
 * The topologies measured, after Kafka Streams' own benchmark shapes: stateless (filter +
 * mapValues to a sink), count (KV store + changelog) and windowed count (tumbling 1 min, grace
 * 10 s). Keys and values are strings, as most users' are; counts go out as doubles.
 */
import { Serdes, StreamBuilder, TimeWindows, type Topology } from '../../src/index'
import type { Dataset } from './data'

export type TopologyName = 'stateless' | 'count' | 'windowed' | 'join-global' | 'join-table'

export const COUNT_STORE = 'counts'
export const WINDOWED_STORE = 'windowed-counts'
export const WINDOW_SIZE_MS = 60_000
export const WINDOW_GRACE_MS = 10_000

/** The stateless topology's filter and mapValues (shared with the hand-written serde pipes). */
export const statelessFilter = (_key: string, value: string): boolean => value.charCodeAt(0) !== 0x30
export const statelessMapValue = (_key: string, value: string): string => value.toUpperCase()

/** The join cases' joiner (shared with the hand-written join loop): half of each side, 100 bytes. */
export const joinValues = (_key: string, value: string, row: string | null): string => (row === null ? value : value.slice(0, 50) + row.slice(0, 50))
export const TABLE_STORE = 'table-rows'

/**
 * `caching` (count and windowed; default true, Kafka Streams' default): the aggregation forwards
 * one update per key per commit instead of one per record (docs/state.md).
 */
export function buildTopology(name: TopologyName, input: string, output: string, options: { readonly caching?: boolean; readonly tableTopic?: string } = {}): Topology {
  const caching = options.caching ?? true
  const builder = new StreamBuilder()
  const stream = builder.stream(input, { key: Serdes.string(), value: Serdes.string() })
  if (name === 'stateless') {
    stream
      .filter(statelessFilter)
      .mapValues(statelessMapValue)
      .to(output, { key: Serdes.string(), value: Serdes.string() })
  } else if (name === 'join-global' || name === 'join-table') {
    const tableTopic = options.tableTopic ?? 'table'
    const rows = { key: Serdes.string(), value: Serdes.string(), name: TABLE_STORE }
    const joined =
      name === 'join-global'
        ? stream.leftJoin(builder.globalTable(tableTopic, rows), (key) => key, joinValues)
        : stream.leftJoin(builder.table(tableTopic, { ...rows, caching: caching }), joinValues)
    joined.to(output, { key: Serdes.string(), value: Serdes.string() })
  } else if (name === 'count') {
    stream.groupByKey().count({ name: COUNT_STORE, caching }).toStream().to(output, { key: Serdes.string(), value: Serdes.double() })
  } else {
    stream
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeAndGrace(WINDOW_SIZE_MS, WINDOW_GRACE_MS))
      .count({ name: WINDOWED_STORE, caching })
      .toStream()
      .to(output, { key: Serdes.windowed(Serdes.string()), value: Serdes.double() })
  }
  return builder.build()
}

/**
 * Output records the topology makes from the dataset (timestamps are in order: nothing is late);
 * undefined for a cached aggregation, whose output depends on how many keys each commit saw.
 */
export function expectedOutputs(name: TopologyName, data: Dataset, caching = true): number | undefined {
  if (name === 'stateless' || name === 'join-global' || name === 'join-table') return name === 'stateless' ? data.passingFilter() : data.count
  return caching ? undefined : data.count
}

/** Store names of a topology, for the changelog topics a mock-cluster run needs created up front. */
export function storesOf(name: TopologyName): string[] {
  if (name === 'join-table') return [TABLE_STORE]
  return name === 'stateless' || name === 'join-global' ? [] : name === 'count' ? [COUNT_STORE] : [WINDOWED_STORE]
}
