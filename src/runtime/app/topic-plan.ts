/**
 * What the app checks and creates before it joins the group: source topics exist, each
 * sub-topology's inputs agree on their partition count (its tasks are numbered by partition),
 * repartition topics get a count (the user's, the reader's other inputs' for co-partitioning, else
 * the largest of the writing sub-topologies', resolved in dependency order, as Kafka Streams does)
 * and changelog topics one partition per task.
 */
import { changelogTopicSpec } from '../../changelog/changelog-topic'
import { StreamfoldError } from '../../errors'
import { DEDUP_STORE_NAME } from '../../state/key-space'
import type { StoreSpec } from '../../state/store-spec'
import type { Subtopology, Topology } from '../../topology/topology'
import { resolveTopicName } from '../../topology/internal-topic-name'
import type { BrokerAdmin, TopicSpec } from '../broker/broker'
import type { DedupConfig } from '../streams-config'

/**
 * Kafka Streams' repartition topic overrides: no retention, because the app deletes what it has
 * committed (repartition-purger.ts); a broker's default retention (7 days) would otherwise drop
 * records an app stopped for longer had not read yet. 50 MB segments let a purge free disk early.
 * Applied when the app creates the topic; an existing topic keeps its configs.
 */
export const REPARTITION_TOPIC_CONFIG: Readonly<Record<string, string>> = Object.freeze({
  'cleanup.policy': 'delete',
  'retention.ms': '-1',
  'segment.bytes': '52428800',
})

export interface TopicPlan {
  /** Partition count (= task count) of each sub-topology, by id. */
  readonly partitions: ReadonlyMap<number, number>
  /** Every topic the group consumer subscribes to, repartition topics included. */
  readonly inputTopics: readonly string[]
  /** The sub-topology reading each input topic. */
  readonly readerOf: ReadonlyMap<string, Subtopology>
  /** The sub-topology whose tasks keep the dedup id window, if one is configured. */
  readonly dedupSubtopology: number | undefined
  /** Repartition and changelog topics, as ensured on the broker. */
  readonly internalTopics: readonly TopicSpec[]
}

export interface TopicPlanOptions {
  readonly topology: Topology
  readonly applicationId: string
  readonly admin: BrokerAdmin
  readonly dedup: DedupConfig | undefined
}

export async function planTopics(options: TopicPlanOptions): Promise<TopicPlan> {
  const { topology, applicationId, admin } = options
  const readerOf = new Map<string, Subtopology>()
  for (const sub of topology.subtopologies) for (const topic of topology.inputTopics(sub, applicationId)) readerOf.set(topic, sub)
  const repartition = topology.repartitionTopics().map((r) => ({ ...r, name: resolveTopicName(r.topic, true, applicationId) }))
  const internalNames = new Set(repartition.map((r) => r.name))
  const external = [...readerOf.keys()].filter((t) => !internalNames.has(t))

  const existing = await admin.partitionCounts([...external, ...internalNames])
  const missing = external.filter((t) => !existing.has(t))
  if (missing.length > 0) throw new StreamfoldError('TOPIC_NOT_FOUND', `source topics do not exist: ${missing.join(', ')}`)

  const partitions = new Map<number, number>()
  for (const sub of topology.subtopologies) {
    const inputs = topology.inputTopics(sub, applicationId).filter((t) => !internalNames.has(t))
    if (inputs.length > 0) partitions.set(sub.id, agreed(sub, inputs.map((t) => [t, existing.get(t)!])))
  }

  // Repartition topics in dependency order: a writer's count may itself come from a repartition topic.
  const repartitionCounts = new Map<string, number>()
  // A reader fed only by repartition topics (a join of two re-keyed streams) co-partitions them:
  // one fixed count among them (given or existing) wins, else the largest of their writers' counts,
  // once all are known (Kafka Streams' CopartitionedTopicsEnforcer). Each topic alone would take its
  // own writers' count, and differing counts would fail the reader's check below.
  const coPartitionedCount = (reader: number): number | undefined => {
    const group = repartition.filter((g) => g.reader === reader)
    const fixed = group.map((g) => g.partitions ?? existing.get(g.name)).find((n) => n !== undefined)
    if (fixed !== undefined) return fixed
    return maxOf(group.map((g) => maxOf(g.writers.map((w) => partitions.get(w)))))
  }
  for (let progress = true; progress; ) {
    progress = false
    for (const r of repartition) {
      if (repartitionCounts.has(r.name)) continue
      const count = r.partitions ?? existing.get(r.name) ?? partitions.get(r.reader) ?? coPartitionedCount(r.reader)
      if (count === undefined) continue
      if (r.partitions !== undefined && existing.has(r.name) && existing.get(r.name) !== r.partitions) {
        throw mismatch(`repartition topic ${r.name} exists with ${existing.get(r.name)} partitions, the topology asks for ${r.partitions}`)
      }
      repartitionCounts.set(r.name, count)
      const reader = topology.subtopologies.find((s) => s.id === r.reader)!
      const inputs = topology.inputTopics(reader, applicationId)
      if (inputs.every((t) => !internalNames.has(t) || repartitionCounts.has(t))) {
        partitions.set(reader.id, agreed(reader, inputs.map((t) => [t, repartitionCounts.get(t) ?? existing.get(t)!])))
      }
      progress = true
    }
  }
  const unresolved = topology.subtopologies.filter((s) => !partitions.has(s.id))
  if (unresolved.length > 0) {
    throw new StreamfoldError('TOPOLOGY_INVALID', `cannot derive partition counts for sub-topologies ${unresolved.map((s) => s.id).join(', ')}`)
  }

  const dedupSubtopology = dedupReader(options.dedup, readerOf, internalNames)
  const internalTopics: TopicSpec[] = repartition.map((r) => ({ name: r.name, partitions: repartitionCounts.get(r.name)!, config: REPARTITION_TOPIC_CONFIG }))
  for (const sub of topology.subtopologies) {
    const count = partitions.get(sub.id)!
    for (const name of sub.stores) {
      const spec = topology.store(name) as StoreSpec | undefined
      if (spec === undefined || !spec.logging.enabled) continue
      const retentionMs = spec.kind === 'keyValue' ? undefined : spec.retentionMs
      internalTopics.push(changelogTopicSpec({ applicationId, storeName: name, partitions: count, retentionMs, config: spec.logging.topicConfig }))
    }
    if (sub.id === dedupSubtopology) {
      internalTopics.push(changelogTopicSpec({ applicationId, storeName: DEDUP_STORE_NAME, partitions: count, retentionMs: options.dedup!.retentionMs }))
    }
  }
  await admin.ensureTopics(internalTopics)
  await checkCreated(admin, internalTopics)
  return { partitions, inputTopics: [...readerOf.keys()], readerOf, dedupSubtopology, internalTopics }
}

/** The dedup window lives in the tasks of one sub-topology (its changelog has one partition per task). */
function dedupReader(dedup: DedupConfig | undefined, readerOf: ReadonlyMap<string, Subtopology>, internal: ReadonlySet<string>): number | undefined {
  if (dedup === undefined) return undefined
  const readers = new Set<number>()
  for (const topic of Object.keys(dedup.by)) {
    const reader = readerOf.get(topic)
    if (reader === undefined || internal.has(topic)) {
      throw new StreamfoldError('CONFIG_INVALID', `invalid dedup.by: ${topic} is not a source topic of the topology`)
    }
    readers.add(reader.id)
  }
  if (readers.size > 1) {
    throw new StreamfoldError('CONFIG_INVALID', `invalid dedup.by: its topics must all be read by one sub-topology, got ${[...readers].join(', ')}`)
  }
  return [...readers][0]
}

/** Changelog topics must have exactly one partition per task, or restore reads another task's data. */
async function checkCreated(admin: BrokerAdmin, specs: readonly TopicSpec[]): Promise<void> {
  const counts = await admin.partitionCounts(specs.map((s) => s.name))
  const wrong = specs.filter((s) => counts.has(s.name) && counts.get(s.name) !== s.partitions)
  if (wrong.length > 0) {
    throw mismatch(`internal topics have other partition counts than the topology needs: ${wrong.map((s) => `${s.name} has ${counts.get(s.name)}, needs ${s.partitions}`).join('; ')}`)
  }
}

function agreed(sub: Subtopology, counts: ReadonlyArray<readonly [string, number]>): number {
  const distinct = new Set(counts.map(([, n]) => n))
  if (distinct.size > 1) {
    throw mismatch(`the input topics of sub-topology ${sub.id} must have the same partition count: ${counts.map(([t, n]) => `${t} (${n})`).join(', ')}`)
  }
  return counts[0]![1]
}

function maxOf(values: ReadonlyArray<number | undefined>): number | undefined {
  if (values.length === 0 || values.some((v) => v === undefined)) return undefined
  return Math.max(...(values as number[]))
}

function mismatch(message: string): StreamfoldError {
  return new StreamfoldError('PARTITION_MISMATCH', message)
}
