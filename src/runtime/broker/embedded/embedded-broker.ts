/**
 * The embedded broker: Kafka's log, consumer groups and transactions inside this process,
 * persisted in one classic-level database under `dataDir` (or in memory for tests and the
 * TopologyTestDriver: the same code over a sorted map). docs/embedded-broker.md describes the
 * storage layout, durability, transactions and compaction.
 */
import { mkdir } from 'node:fs/promises'
import { StreamfoldError } from '../../../errors'
import { silentLogger, type Logger } from '../../../logger'
import type { Broker, GroupConsumerOptions, ProducerOptions } from '../broker'
import type { BrokerCore } from './broker-core'
import { EmbeddedAdmin } from './embedded-admin'
import { EmbeddedConsumer } from './embedded-consumer'
import { EmbeddedProducer } from './embedded-producer'
import { EmbeddedReader } from './embedded-reader'
import { GroupCoordinator } from './group-coordinator'
import { GroupOffsets } from './group-offsets'
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES } from './kafka-record-size'
import type { KvStore } from './kv-store'
import { LevelKvStore } from './level-kv-store'
import { LogCleaner, type CleanerStats } from './log-cleaner'
import { LogManager } from './log-manager'
import { MemoryKvStore } from './memory-kv-store'
import { Notifier } from './notifier'
import { TransactionCoordinator } from './transaction-coordinator'
import { WritePipeline } from './write-pipeline'

export interface EmbeddedBrokerOptions {
  /** Durable mode: the database lives in this directory (created if missing). */
  readonly dataDir?: string
  /** In-memory mode; give either this or `dataDir`. */
  readonly inMemory?: boolean
  /** Kafka's auto.create.topics.enable (default true): producing to or subscribing to a missing
   *  topic creates it with `defaultPartitions`; when false, TOPIC_NOT_FOUND. */
  readonly autoCreateTopics?: boolean
  /** Partitions of auto-created topics (default 1, Kafka's num.partitions). */
  readonly defaultPartitions?: number
  /** fsync acknowledged writes (flush, transaction commit/abort, offset commit, topic creation);
   *  default true. Without it an acknowledged write survives a killed process but not a power cut. */
  readonly syncAcknowledgedWrites?: boolean
  /** Kafka's message.max.bytes (default 1048588, Kafka's default): a producer refuses a larger
   *  record with PRODUCTION_FAILED, its size measured as Kafka does (the record alone in a v2
   *  record batch), and hands it to its `onRecordFailure`. */
  readonly maxMessageBytes?: number
  /** How often compaction and retention run in the background (default 30 s; 0: never). */
  readonly cleanerIntervalMs?: number
  /** Kafka's transaction.timeout.ms (default 60 s): a transaction open longer is aborted and its
   *  producer fenced. Checked every min(timeout, 10 s). */
  readonly transactionTimeoutMs?: number
  readonly logger?: Logger
}

export async function createEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  if ((options.dataDir === undefined) === (options.inMemory !== true)) {
    throw new StreamfoldError('CONFIG_INVALID', 'the embedded broker needs exactly one of dataDir or inMemory: true')
  }
  const defaultPartitions = options.defaultPartitions ?? 1
  if (!Number.isInteger(defaultPartitions) || defaultPartitions < 1) {
    throw new StreamfoldError('CONFIG_INVALID', `defaultPartitions must be a positive integer, got ${defaultPartitions}`)
  }
  const maxMessageBytes = options.maxMessageBytes ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES
  if (!Number.isInteger(maxMessageBytes) || maxMessageBytes < 1) {
    throw new StreamfoldError('CONFIG_INVALID', `maxMessageBytes must be a positive integer, got ${maxMessageBytes}`)
  }
  const transactionTimeoutMs = options.transactionTimeoutMs ?? 60_000
  if (!(transactionTimeoutMs > 0)) throw new StreamfoldError('CONFIG_INVALID', `transactionTimeoutMs must be positive, got ${transactionTimeoutMs}`)
  let store: KvStore
  if (options.dataDir !== undefined) {
    await mkdir(options.dataDir, { recursive: true })
    store = await LevelKvStore.open(options.dataDir)
  } else {
    store = new MemoryKvStore()
  }
  const logger = (options.logger ?? silentLogger()).child({ component: 'embedded-broker' })
  try {
    const pipeline = new WritePipeline(store, options.syncAcknowledgedWrites ?? true)
    const notifier = new Notifier()
    const logs = await LogManager.open({ store, pipeline, notifier, options: { autoCreateTopics: options.autoCreateTopics ?? true, defaultPartitions } })
    const offsets = await GroupOffsets.load(store, pipeline)
    const transactions = await TransactionCoordinator.open(store, { logs, offsets, pipeline, notifier })
    const groups = new GroupCoordinator(logs)
    const broker = new EmbeddedBroker(
      { store, pipeline, notifier, logs, offsets, transactions, groups, logger, maxMessageBytes },
      { cleanerIntervalMs: options.cleanerIntervalMs ?? 30_000, transactionTimeoutMs },
    )
    logger.info({ dataDir: options.dataDir ?? null, topics: [...logs.allTopics()].length, abortedOnOpen: transactions.recoveredAborts }, 'embedded broker open')
    return broker
  } catch (error) {
    await store.close().catch(() => undefined)
    throw error
  }
}

export class EmbeddedBroker implements Broker {
  readonly kind = 'embedded' as const
  private readonly core: BrokerCore
  private readonly cleaner: LogCleaner
  private readonly clients = new Set<{ close(): Promise<void> }>()
  private readonly timers: NodeJS.Timeout[] = []
  private closing: Promise<void> | undefined
  private closed = false

  /** Use createEmbeddedBroker(). */
  constructor(
    parts: Omit<BrokerCore, 'assertOpen' | 'closed' | 'untrack'>,
    intervals: { readonly cleanerIntervalMs: number; readonly transactionTimeoutMs: number },
  ) {
    const broker = this
    this.core = {
      ...parts,
      get closed(): boolean {
        return broker.closed
      },
      untrack(client: object): void {
        broker.clients.delete(client as { close(): Promise<void> })
      },
      assertOpen(): void {
        if (broker.closed) throw new StreamfoldError('ILLEGAL_STATE', 'embedded broker is closed')
        const failure = parts.pipeline.failed
        if (failure !== undefined) throw failure
      },
    }
    this.cleaner = new LogCleaner(parts)
    if (intervals.cleanerIntervalMs > 0) {
      this.every(intervals.cleanerIntervalMs, () => this.cleaner.run(false).then(() => undefined), 'log cleaner pass failed')
    }
    const { transactionTimeoutMs } = intervals
    this.every(Math.min(transactionTimeoutMs, 10_000), async () => {
      const expired = await parts.transactions.abortExpired(Date.now(), transactionTimeoutMs)
      if (expired.length > 0) parts.logger.warn({ transactionalIds: expired, transactionTimeoutMs }, 'aborted transactions open past the transaction timeout')
    }, 'aborting expired transactions failed')
  }

  admin(): EmbeddedAdmin {
    this.core.assertOpen()
    return new EmbeddedAdmin(this.core, this.cleaner)
  }

  consumer(options: GroupConsumerOptions): EmbeddedConsumer {
    this.core.assertOpen()
    return this.track(new EmbeddedConsumer(this.core, options))
  }

  producer(options: ProducerOptions = {}): EmbeddedProducer {
    this.core.assertOpen()
    return this.track(new EmbeddedProducer(this.core, options))
  }

  reader(): EmbeddedReader {
    this.core.assertOpen()
    return this.track(new EmbeddedReader(this.core))
  }

  /** Runs compaction and retention now on every topic (tests, operations). */
  compactNow(): Promise<CleanerStats> {
    this.core.assertOpen()
    return this.cleaner.run(true)
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer)
    // Closing the clients flushes plain producers, aborts open transactions and leaves groups.
    for (const client of [...this.clients]) await client.close().catch(() => undefined)
    this.closed = true
    this.core.notifier.notify()
    await this.cleaner.idle()
    await this.core.pipeline.drain().catch(() => undefined)
    await this.core.store.close()
    this.core.logger.info({}, 'embedded broker closed')
  }

  /** A background task that never keeps the process alive and never overlaps itself. */
  private every(ms: number, task: () => Promise<void>, failure: string): void {
    let running = false
    const timer = setInterval(() => {
      if (running || this.closed) return
      running = true
      task()
        .catch((error: unknown) => this.core.logger.error({ err: error }, failure))
        .finally(() => (running = false))
    }, ms)
    timer.unref()
    this.timers.push(timer)
  }

  private track<T extends { close(): Promise<void> }>(client: T): T {
    this.clients.add(client)
    return client
  }
}
