/**
 * BrokerAdmin over librdkafka's AdminClient (a producer-type handle underneath, which matters for
 * 'auto' topic creation: its metadata requests for a named topic ask the broker to auto-create it).
 * Group offsets are written through a short-lived consumer of that group, because the binding's
 * node-rdkafka-style admin API has no AlterConsumerGroupOffsets.
 */
import { StreamfoldError } from '../../../errors'
import type { Logger } from '../../../logger'
import type { BrokerAdmin, IsolationLevel, TopicPartition, TopicPartitionOffset, TopicSpec } from '../broker'
import { baseConfig, consumerConfig, type KafkaBrokerConfig } from './kafka-config'
import { asNative, brokerError, call, withTimeout } from './kafka-errors'
import { partitionKey, toNativePartitions } from './kafka-records'
import {
  createNativeAdmin,
  createNativeConsumer,
  ERR,
  ISOLATION,
  OFFSET_SPEC,
  type NativeAdmin,
  type NativeDeletedRecords,
  type NativeGroupOffsets,
  type NativeListedOffset,
  type NativeMetadata,
} from './rdkafka'

/** How long a newly created (or auto-created) topic may take to appear in metadata. */
const TOPIC_VISIBLE_MS = 10_000

export interface KafkaAdminContext {
  readonly config: KafkaBrokerConfig
  readonly clientId: string
  readonly operationTimeoutMs: number
  readonly logger: Logger
}

export class KafkaAdmin implements BrokerAdmin {
  private client: NativeAdmin | undefined
  private readonly log: Logger

  constructor(private readonly ctx: KafkaAdminContext) {
    this.log = ctx.logger.child({ clientId: ctx.clientId })
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    const existing = await this.partitionCounts(specs.map((s) => s.name))
    const missing = specs.filter((s) => !existing.has(s.name))
    for (const s of specs) {
      const count = existing.get(s.name)
      if (count !== undefined && count !== s.partitions) {
        this.log.warn({ topic: s.name, expected: s.partitions, actual: count }, 'topic exists with another partition count; left as it is')
      }
    }
    if (missing.length === 0) return
    if ((this.ctx.config.topicCreation ?? 'admin') === 'admin') await this.createTopics(missing)
    else await this.requestAutoCreation(missing)
    await this.waitVisible(missing)
  }

  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const metadata = await this.metadata()
    const wanted = new Set(topics)
    const counts = new Map<string, number>()
    for (const t of metadata.topics) {
      if (wanted.has(t.name) && t.partitions.length > 0) counts.set(t.name, t.partitions.length)
    }
    return counts
  }

  endOffsets(partitions: readonly TopicPartition[], isolation: IsolationLevel = 'read_uncommitted'): Promise<TopicPartitionOffset[]> {
    return this.listOffsets(partitions, 'latest', isolation)
  }

  beginningOffsets(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    return this.listOffsets(partitions, 'earliest', 'read_uncommitted')
  }

  async committedOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    if (partitions.length === 0) return []
    const admin = this.admin()
    const groups = await call<NativeGroupOffsets[]>((cb) =>
      admin.listConsumerGroupOffsets([{ groupId, partitions: toNativePartitions(partitions) }], { timeout: this.ctx.operationTimeoutMs }, cb),
    ).catch((error: unknown) => {
      throw brokerError(`reading committed offsets of group ${groupId}`, error)
    })
    const out: TopicPartitionOffset[] = []
    for (const group of groups) {
      if (group.error) throw brokerError(`reading committed offsets of group ${groupId}`, group.error)
      for (const p of group.partitions) {
        // -1001 (OFFSET_INVALID) means no commit for that partition.
        if (p.offset !== undefined && p.offset >= 0) out.push({ topic: p.topic, partition: p.partition, offset: p.offset })
      }
    }
    return out
  }

  async setCommittedOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return
    const consumer = createNativeConsumer(
      consumerConfig(this.ctx.config, {
        clientId: `${this.ctx.clientId}-offsets`,
        groupId,
        isolationLevel: 'read_uncommitted',
        autoOffsetReset: 'earliest',
        partitionEof: false,
      }),
    )
    try {
      await call((cb) => consumer.connect({ timeout: this.ctx.operationTimeoutMs }, cb))
      const list = offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset }))
      consumer.commitSync(list)
    } catch (error) {
      throw brokerError(`setting committed offsets of group ${groupId}`, error)
    } finally {
      if (consumer.isConnected()) {
        await withTimeout(call((cb) => consumer.disconnect(cb)), this.ctx.operationTimeoutMs, 'offsets consumer disconnect').catch(() => undefined)
      }
    }
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    const admin = this.admin()
    await Promise.all(
      topics.map((topic) =>
        call((cb) => admin.deleteTopic(topic, this.ctx.operationTimeoutMs, (err) => cb(err, undefined))).catch((error: unknown) => {
          if (asNative(error)?.code === ERR.UNKNOWN_TOPIC_OR_PART) return
          throw brokerError('deleting topic', error, { topic })
        }),
      ),
    )
  }

  async deleteRecords(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return
    const admin = this.admin()
    // One entry per partition (librdkafka rejects duplicates): the highest offset asked for wins.
    const unique = new Map<string, TopicPartitionOffset>()
    for (const o of offsets) if ((unique.get(partitionKey(o))?.offset ?? -1) < o.offset) unique.set(partitionKey(o), o)
    const request = Array.from(unique.values(), ({ topic, partition, offset }) => ({ topic, partition, offset }))
    const timeout = this.ctx.operationTimeoutMs
    const results = await call<NativeDeletedRecords[]>((cb) =>
      admin.deleteRecords(request, { timeout, operationTimeout: timeout }, cb),
    ).catch((error: unknown) => {
      throw brokerError('deleting records', error)
    })
    for (const r of results) {
      if (r.error) throw brokerError('deleting records', r.error, { topic: r.topic, partition: r.partition })
    }
  }

  async listTopics(): Promise<string[]> {
    const metadata = await this.metadata()
    // Kafka's own bookkeeping topics are not the user's.
    return metadata.topics.map((t) => t.name).filter((name) => name !== '__consumer_offsets' && name !== '__transaction_state')
  }

  close(): void {
    try {
      this.client?.disconnect()
    } catch (error) {
      this.log.warn({ reason: (error as Error).message }, 'admin client did not disconnect cleanly')
    }
    this.client = undefined
  }

  private async createTopics(specs: readonly TopicSpec[]): Promise<void> {
    const admin = this.admin()
    const replication = this.ctx.config.replicationFactor ?? -1
    await Promise.all(
      specs.map((s) =>
        call((cb) =>
          admin.createTopic(
            { topic: s.name, num_partitions: s.partitions, replication_factor: replication, ...(s.config ? { config: { ...s.config } } : {}) },
            this.ctx.operationTimeoutMs,
            (err) => cb(err, undefined),
          ),
        ).catch((error: unknown) => {
          // Another instance created it first: fine, that is what ensure means.
          if (asNative(error)?.code === ERR.TOPIC_ALREADY_EXISTS) return
          throw brokerError(`creating topic (set topicCreation: 'auto' if the cluster cannot create topics through the admin API)`, error, { topic: s.name })
        }),
      ),
    )
    this.log.info({ topics: specs.map((s) => s.name) }, 'topics created')
  }

  /** A metadata request naming a topic makes a broker with auto.create.topics.enable create it. */
  private async requestAutoCreation(specs: readonly TopicSpec[]): Promise<void> {
    for (const s of specs) {
      if (s.config !== undefined && Object.keys(s.config).length > 0) {
        // A changelog auto-created without cleanup.policy=compact loses state to retention.
        this.log.warn({ topic: s.name, config: s.config }, "topic configs cannot be applied in topicCreation 'auto': create the topic with them beforehand")
      }
    }
    const client = this.admin()
    await Promise.all(
      specs.map((s) => call((cb) => client.getMetadata({ topic: s.name, allTopics: false, timeout: this.ctx.operationTimeoutMs }, cb)).catch(() => undefined)),
    )
  }

  private async waitVisible(specs: readonly TopicSpec[]): Promise<void> {
    const deadline = Date.now() + TOPIC_VISIBLE_MS
    for (;;) {
      const counts = await this.partitionCounts(specs.map((s) => s.name))
      const absent = specs.filter((s) => !counts.has(s.name))
      if (absent.length === 0) {
        for (const s of specs) {
          if (counts.get(s.name) !== s.partitions) {
            this.log.warn({ topic: s.name, expected: s.partitions, actual: counts.get(s.name) }, 'auto-created topic has the broker default partition count')
          }
        }
        return
      }
      if (Date.now() > deadline) {
        throw new StreamfoldError(
          'TOPIC_NOT_FOUND',
          `topics ${absent.map((s) => s.name).join(', ')} do not exist and were not created (topicCreation: ${this.ctx.config.topicCreation ?? 'admin'})`,
        )
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  private async listOffsets(partitions: readonly TopicPartition[], spec: 'latest' | 'earliest', isolation: IsolationLevel): Promise<TopicPartitionOffset[]> {
    if (partitions.length === 0) return []
    const admin = this.admin()
    // librdkafka rejects a request naming a partition twice.
    const unique = new Map(partitions.map((p) => [partitionKey(p), p]))
    const request = Array.from(unique.values(), (p) => ({ topic: p.topic, partition: p.partition, offset: OFFSET_SPEC[spec] }))
    const result = await call<NativeListedOffset[]>((cb) =>
      admin.listOffsets(request, { timeout: this.ctx.operationTimeoutMs, isolationLevel: ISOLATION[isolation] }, cb),
    ).catch((error: unknown) => {
      throw brokerError(`listing ${spec} offsets`, error)
    })
    const offsets = new Map<string, number>()
    for (const r of result) {
      if (r.error) throw brokerError(`listing ${spec} offsets`, r.error, { topic: r.topic, partition: r.partition })
      offsets.set(partitionKey(r), r.offset)
    }
    return partitions.map((p) => {
      const offset = offsets.get(partitionKey(p))
      if (offset === undefined) throw new StreamfoldError('BROKER_ERROR', `no ${spec} offset returned`, p)
      return { topic: p.topic, partition: p.partition, offset }
    })
  }

  private async metadata(): Promise<NativeMetadata> {
    const client = this.admin()
    return call<NativeMetadata>((cb) => client.getMetadata({ allTopics: true, timeout: this.ctx.operationTimeoutMs }, cb)).catch((error: unknown) => {
      throw brokerError('reading metadata', error)
    })
  }

  private admin(): NativeAdmin {
    this.client ??= createNativeAdmin(baseConfig(this.ctx.config, this.ctx.clientId))
    return this.client
  }
}
