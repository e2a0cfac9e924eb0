/**
 * Topics and their partition logs: creation, deletion, lookup, and the one way records get into a
 * log (`append`). Loads its state from the KvStore when the broker opens.
 */
import { StreamfoldError } from '../../../errors'
import type { TopicSpec } from '../broker'
import { getValue, scanAll, type KvOp, type KvStore } from './kv-store'
import type { Notifier } from './notifier'
import { PartitionLog, type AbortedTransaction } from './partition-log'
import { BATCH_TRANSACTIONAL, encodeBatch, readBatchHeader, type BatchRecord } from './record-batch'
import { decodeAborted, decodeOffset, encodeOffset, storageKeys } from './storage-keys'
import type { WritePipeline } from './write-pipeline'

export interface TopicState {
  readonly id: number
  readonly name: string
  readonly partitions: readonly PartitionLog[]
  readonly config: Readonly<Record<string, string>>
}

/** One batch to add at the end of a partition's log. */
export interface AppendEntry {
  readonly log: PartitionLog
  /** Written at consecutive offsets (their offsetDelta is ignored). */
  readonly records: readonly BatchRecord[]
  /** Set for a transactional producer's batch. */
  readonly producerId?: number
}

export interface AppendOptions {
  readonly acknowledged: boolean
  /** Written in the same atomic batch as the records (e.g. a transaction's new partition list). */
  readonly extraOps?: readonly KvOp[]
}

export interface LogManagerOptions {
  readonly autoCreateTopics: boolean
  readonly defaultPartitions: number
}

export interface LogManagerDeps {
  readonly store: KvStore
  readonly pipeline: WritePipeline
  readonly notifier: Notifier
  readonly options: LogManagerOptions
}

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/
const NEXT_TOPIC_ID = 'nextTopicId'

export class LogManager {
  private readonly topics = new Map<string, TopicState>()
  private readonly topicListeners = new Set<() => void>()

  private readonly store: KvStore
  private readonly pipeline: WritePipeline
  private readonly notifier: Notifier
  private readonly options: LogManagerOptions

  private constructor(deps: LogManagerDeps, private nextTopicId: number) {
    this.store = deps.store
    this.pipeline = deps.pipeline
    this.notifier = deps.notifier
    this.options = deps.options
  }

  static async open(deps: LogManagerDeps): Promise<LogManager> {
    const { store } = deps
    const next = await getValue(store, storageKeys.meta(NEXT_TOPIC_ID))
    const manager = new LogManager(deps, next === undefined ? 1 : decodeOffset(next))
    const metas: { name: string; id: number; partitions: number; config: Record<string, string> }[] = []
    await scanAll(store, storageKeys.topicRange(), (key, value) => {
      metas.push({ name: key.toString('utf8', 1), ...(JSON.parse(value.toString('utf8')) as Omit<(typeof metas)[number], 'name'>) })
    })
    for (const meta of metas) {
      const partitions: PartitionLog[] = []
      for (let p = 0; p < meta.partitions; p++) partitions.push(await loadPartition(store, { topic: meta.name, topicId: meta.id, partition: p }))
      manager.topics.set(meta.name, Object.freeze({ id: meta.id, name: meta.name, partitions, config: Object.freeze(meta.config) }))
    }
    return manager
  }

  get autoCreateTopics(): boolean {
    return this.options.autoCreateTopics
  }

  topic(name: string): TopicState | undefined {
    return this.topics.get(name)
  }

  allTopics(): IterableIterator<TopicState> {
    return this.topics.values()
  }

  /** The topic, auto-created when allowed; TOPIC_NOT_FOUND otherwise. Creation is stored by the
   *  pipeline before any later acknowledged write resolves. */
  require(name: string): TopicState {
    const topic = this.topics.get(name)
    if (topic !== undefined) return topic
    if (!this.options.autoCreateTopics) throw new StreamfoldError('TOPIC_NOT_FOUND', 'topic does not exist and auto-creation is off', { topic: name })
    void this.create({ name, partitions: this.options.defaultPartitions }).catch(() => undefined)
    return this.topics.get(name)!
  }

  requirePartition(topic: string, partition: number): PartitionLog {
    const log = this.require(topic).partitions[partition]
    if (log === undefined) throw new StreamfoldError('TOPIC_NOT_FOUND', 'partition does not exist', { topic, partition })
    return log
  }

  /** Creates the topics that are absent; resolves once stored. */
  ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    for (const spec of specs) validate(spec)
    return Promise.all(specs.map((spec) => this.create(spec))).then(() => undefined)
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    const doomed = names.map((n) => this.topics.get(n)).filter((t): t is TopicState => t !== undefined)
    if (doomed.length === 0) return
    const ops: KvOp[] = []
    for (const topic of doomed) {
      this.topics.delete(topic.name)
      ops.push({ type: 'del', key: storageKeys.topic(topic.name) })
      for (const log of topic.partitions) ops.push({ type: 'del', key: storageKeys.logStart(topic.id, log.partition) })
    }
    this.emitTopicsChanged()
    await this.pipeline.submit(ops, { acknowledged: true })
    // Topic ids are never reused, so leftovers of an interrupted clear are unreachable.
    for (const topic of doomed) {
      await this.store.clear(storageKeys.topicLogRange(topic.id))
      for (const log of topic.partitions) await this.store.clear(storageKeys.abortedRange(topic.id, log.partition))
    }
  }

  /** Queues batches at the ends of their logs (offsets are assigned now); resolves when stored
   *  and visible. All entries and extra ops land in one atomic write. */
  append(entries: readonly AppendEntry[], options: AppendOptions): Promise<void> {
    const ops: KvOp[] = []
    const ends: [PartitionLog, number, number, Buffer][] = []
    for (const entry of entries) {
      if (entry.records.length === 0) continue
      const { log } = entry
      const base = log.allocate(entry.records.length)
      const transactional = entry.producerId !== undefined
      if (transactional) log.transactionStarted(entry.producerId, base)
      const header = { attributes: transactional ? BATCH_TRANSACTIONAL : 0, producerId: entry.producerId ?? 0, lastOffsetDelta: entry.records.length - 1, cleanedAt: 0 }
      const value = encodeBatch(header, entry.records)
      ops.push({ type: 'put', key: storageKeys.log(log.topicId, log.partition, base), value })
      ends.push([log, base, base + entry.records.length, value])
    }
    if (options.extraOps !== undefined) ops.push(...options.extraOps)
    return this.pipeline.submit(ops, {
      acknowledged: options.acknowledged,
      onDurable: () => {
        for (const [log, base, end, value] of ends) {
          log.cacheBatch(base, end, value)
          log.advanceHighWatermark(end)
        }
        if (ends.length > 0) this.notifier.notify()
      },
    })
  }

  /** Called when the set of topics or their partitions changes (groups rebalance). */
  onTopicsChanged(listener: () => void): () => void {
    this.topicListeners.add(listener)
    return () => this.topicListeners.delete(listener)
  }

  private create(spec: TopicSpec): Promise<void> {
    if (this.topics.has(spec.name)) return Promise.resolve()
    validate(spec)
    const id = this.nextTopicId++
    const config = Object.freeze({ ...(spec.config ?? {}) })
    const partitions = Array.from({ length: spec.partitions }, (_, p) => new PartitionLog(spec.name, id, p, EMPTY_PARTITION))
    this.topics.set(spec.name, Object.freeze({ id, name: spec.name, partitions, config }))
    this.emitTopicsChanged()
    const meta = JSON.stringify({ id, partitions: spec.partitions, config })
    return this.pipeline.submit(
      [
        { type: 'put', key: storageKeys.topic(spec.name), value: Buffer.from(meta, 'utf8') },
        { type: 'put', key: storageKeys.meta(NEXT_TOPIC_ID), value: encodeOffset(this.nextTopicId) },
      ],
      { acknowledged: true },
    )
  }

  private emitTopicsChanged(): void {
    for (const listener of this.topicListeners) listener()
    this.notifier.notify()
  }
}

const EMPTY_PARTITION = { logStartOffset: 0, highWatermark: 0, lastBatchBase: -1, aborted: [] } as const

function validate(spec: TopicSpec): void {
  if (!LEGAL_TOPIC.test(spec.name)) throw new StreamfoldError('CONFIG_INVALID', 'illegal topic name (allowed: 1-249 of [a-zA-Z0-9._-])', { topic: spec.name })
  if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
    throw new StreamfoldError('CONFIG_INVALID', `topic partition count must be a positive integer, got ${spec.partitions}`, { topic: spec.name })
  }
}

async function loadPartition(store: KvStore, where: { topic: string; topicId: number; partition: number }): Promise<PartitionLog> {
  const { topic, topicId, partition } = where
  const start = await getValue(store, storageKeys.logStart(topicId, partition))
  const logStartOffset = start === undefined ? 0 : decodeOffset(start)
  const [last] = await store.range({ ...storageKeys.logRange(topicId, partition), reverse: true }, 1)
  let highWatermark = logStartOffset
  let lastBatchBase = -1
  if (last !== undefined) {
    lastBatchBase = storageKeys.baseOffsetOf(last[0])
    highWatermark = Math.max(highWatermark, lastBatchBase + readBatchHeader(last[1]).lastOffsetDelta + 1)
  }
  const aborted: AbortedTransaction[] = []
  await scanAll(store, storageKeys.abortedRange(topicId, partition), (key, value) => {
    aborted.push(decodeAborted(key, value))
  })
  return new PartitionLog(topic, topicId, partition, { logStartOffset, highWatermark, lastBatchBase, aborted })
}
