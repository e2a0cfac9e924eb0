/**
 * StreamsApp configuration: what users may set, the defaults (Kafka Streams' where it has one),
 * and validation that names the option and what it accepts. docs/configuration.md lists every
 * option; keep the two in step.
 */
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { RestoreListener } from '../changelog/changelog-restorer'
import { StreamfoldError } from '../errors'
import { createLogger, type Logger } from '../logger'
import { StateMemory } from '../state/memory-budget'
import type { Broker, BrokerRecord } from './broker/broker'
import type { StreamsMetrics } from './observability/streams-metrics'
import type { EmbeddedBrokerOptions } from './broker/embedded/embedded-broker'
import type { KafkaBrokerConfig } from './broker/kafka/kafka-config'
import { FAIL_ON_ERRORS, type RecordErrorHandlers } from './task/record-error-handlers'
import type { ProductionErrorHandler } from './errors/error-handlers'

export type ProcessingGuarantee = 'at_least_once' | 'exactly_once'

/** Kafka: any librdkafka property passes through `rdkafka` untouched (SASL, SSL; docs/kafka.md). */
export type KafkaSettings = Omit<KafkaBrokerConfig, 'logger'>
/** The durable embedded broker: a directory, or the directory with broker options. */
export type EmbeddedSettings = Omit<EmbeddedBrokerOptions, 'logger' | 'inMemory'> & { readonly dataDir: string }

export type BrokerConfig =
  | KafkaSettings
  | { readonly embedded: string | EmbeddedSettings }
  /** The embedded broker in memory: gone when the app closes (tests, demos). */
  | { readonly inMemory: true }
  /** A broker the caller created and closes: several apps (or a test) can share it. */
  | { readonly instance: Broker }

/** The record as stored (bytes), since the runtime sees it before any serde. */
export type RawRecord = BrokerRecord

/** An id for the dedup window, or undefined for a record that has none (never dropped). */
export type DedupIdExtractor = (record: RawRecord) => string | Buffer | undefined

/**
 * The dedup id window (DESIGN.md §5): a record whose id was processed within `retentionMs` of
 * stream time is dropped. Per source topic, all read by one sub-topology; the DSL has no stream
 * option for it yet, so it is configured here.
 */
export interface DedupConfig {
  readonly retentionMs: number
  readonly by: Readonly<Record<string, DedupIdExtractor>>
}

/** Failure injection for tests: called before each numbered commit step (src/runtime/checkpoint.ts). */
export interface CommitFaults {
  beforeStep?(step: number, guarantee: ProcessingGuarantee): void
}

export interface StreamsConfig {
  /** Group id, transactional id prefix and topic prefix: 1-200 of [A-Za-z0-9._-]. */
  readonly applicationId: string
  /** Default: the durable embedded broker in `${stateDir}/broker`. */
  readonly broker?: BrokerConfig
  /** Task databases live in `${stateDir}/${applicationId}`; default `${os.tmpdir()}/streamfold`. */
  readonly stateDir?: string
  readonly processingGuarantee?: ProcessingGuarantee
  /** Default 30000 (at_least_once) or 100 (exactly_once), as in Kafka Streams. */
  readonly commitIntervalMs?: number
  /**
   * Kafka Streams' repartition.purge.interval.ms: after a commit, at most this often, the consumed
   * records of repartition topics (up to the committed offsets) are deleted from the broker.
   * Default 30000; 0: after every commit.
   */
  readonly repartitionPurgeIntervalMs?: number
  /** Records fetched per poll and processed per task per loop; default 1000. */
  readonly maxBatchRecords?: number
  /** How long a poll waits for the first record; default 100. */
  readonly maxBatchWaitMs?: number
  /** A partition with more records waiting is paused until it drains; default 1000. */
  readonly maxQueuedRecordsPerPartition?: number
  readonly sessionTimeoutMs?: number
  readonly heartbeatIntervalMs?: number
  /** Kafka's max.poll.interval.ms: the longest pause between polls (restores run between polls). */
  readonly maxPollIntervalMs?: number
  /**
   * Bytes of all state stores' record caches together, over every task (Kafka Streams'
   * statestore.cache.max.bytes); 0 disables caching, and aggregations then forward every update
   * instead of one per key per commit (docs/state.md). Default 10485760 (10 MiB).
   */
  readonly cacheMaxBytes?: number
  /**
   * Kafka Streams' statestore.uncommitted.max.bytes: when the state written since the last commit,
   * over every store of every task, reaches this many bytes (approximately: keys, values and a
   * measured per-entry overhead), a commit starts before `commitIntervalMs` is up. It bounds the
   * memory an app holds between commits (docs/state.md, "Memory"). Infinity: no bound.
   * Default 67108864 (64 MiB).
   */
  readonly maxUncommittedBytes?: number
  /** LevelDB block cache of each task database. Default 262144 (256 KiB). */
  readonly taskDbCacheBytes?: number
  /** LevelDB write buffer (memtable) of each task database; at least 65536. Default 4194304 (4 MiB). */
  readonly taskDbWriteBufferBytes?: number
  /** Default: pino at info on stdout. */
  readonly logger?: Logger
  /** Default: fail on every error (Kafka Streams' default). With a `production` handler (as
   *  createErrorHandlers builds), records the broker refuses for good go to it: 'continue' drops
   *  the record and the commit goes on; without one, or on 'fail', the commit fails. */
  readonly errorHandlers?: RecordErrorHandlers & Partial<ProductionErrorHandler>
  readonly onRestore?: RestoreListener
  readonly dedup?: DedupConfig
  /** Where the app reports processing, commits, lag, restores, tasks and state (the worker's Prometheus registry). */
  readonly metrics?: StreamsMetrics
  /** @internal failure injection for the commit-protocol tests. */
  readonly faults?: CommitFaults
}

export interface ResolvedStreamsConfig {
  readonly applicationId: string
  readonly broker: BrokerConfig
  readonly stateDir: string
  readonly processingGuarantee: ProcessingGuarantee
  readonly commitIntervalMs: number
  readonly repartitionPurgeIntervalMs: number
  readonly maxBatchRecords: number
  readonly maxBatchWaitMs: number
  readonly maxQueuedRecordsPerPartition: number
  readonly sessionTimeoutMs: number | undefined
  readonly heartbeatIntervalMs: number | undefined
  readonly maxPollIntervalMs: number | undefined
  /** The record-cache pool and LevelDB sizes the app's tasks share. */
  readonly stateMemory: StateMemory
  readonly logger: Logger
  readonly errorHandlers: RecordErrorHandlers & Partial<ProductionErrorHandler>
  readonly onRestore: RestoreListener | undefined
  readonly dedup: DedupConfig | undefined
  readonly metrics: StreamsMetrics | undefined
  readonly faults: CommitFaults | undefined
}

const APPLICATION_ID = /^[A-Za-z0-9._-]{1,200}$/
const GUARANTEES: readonly ProcessingGuarantee[] = ['at_least_once', 'exactly_once']
export const DEFAULT_REPARTITION_PURGE_INTERVAL_MS = 30_000
export const DEFAULT_COMMIT_INTERVAL_MS: Readonly<Record<ProcessingGuarantee, number>> = { at_least_once: 30_000, exactly_once: 100 }

export function resolveStreamsConfig(config: StreamsConfig): ResolvedStreamsConfig {
  if (typeof config !== 'object' || config === null) invalid('config', 'an object', config)
  const { applicationId } = config
  if (typeof applicationId !== 'string' || !APPLICATION_ID.test(applicationId)) {
    invalid('applicationId', '1-200 characters of [A-Za-z0-9._-] (it becomes part of topic names)', applicationId)
  }
  const stateDir = config.stateDir ?? path.join(tmpdir(), 'streamfold')
  if (typeof stateDir !== 'string' || stateDir.trim() === '') invalid('stateDir', 'a directory path', stateDir)
  const guarantee = config.processingGuarantee ?? 'at_least_once'
  if (!GUARANTEES.includes(guarantee)) invalid('processingGuarantee', `one of ${GUARANTEES.join(', ')}`, guarantee)
  return {
    applicationId,
    broker: checkBroker(config.broker ?? { embedded: path.join(stateDir, 'broker') }),
    stateDir: path.resolve(stateDir),
    processingGuarantee: guarantee,
    commitIntervalMs: count('commitIntervalMs', config.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS[guarantee], 0),
    repartitionPurgeIntervalMs: count('repartitionPurgeIntervalMs', config.repartitionPurgeIntervalMs ?? DEFAULT_REPARTITION_PURGE_INTERVAL_MS, 0),
    maxBatchRecords: count('maxBatchRecords', config.maxBatchRecords ?? 1000, 1),
    maxBatchWaitMs: count('maxBatchWaitMs', config.maxBatchWaitMs ?? 100, 0),
    maxQueuedRecordsPerPartition: count('maxQueuedRecordsPerPartition', config.maxQueuedRecordsPerPartition ?? 1000, 1),
    sessionTimeoutMs: optionalCount('sessionTimeoutMs', config.sessionTimeoutMs, 1),
    heartbeatIntervalMs: optionalCount('heartbeatIntervalMs', config.heartbeatIntervalMs, 1),
    maxPollIntervalMs: optionalCount('maxPollIntervalMs', config.maxPollIntervalMs, 1),
    stateMemory: new StateMemory({
      cacheMaxBytes: config.cacheMaxBytes,
      maxUncommittedBytes: config.maxUncommittedBytes,
      taskDbCacheBytes: config.taskDbCacheBytes,
      taskDbWriteBufferBytes: config.taskDbWriteBufferBytes,
    }),
    logger: config.logger ?? createLogger({ name: `streamfold:${applicationId}` }),
    errorHandlers: checkHandlers(config.errorHandlers ?? FAIL_ON_ERRORS),
    onRestore: config.onRestore,
    dedup: checkDedup(config.dedup),
    metrics: config.metrics,
    faults: config.faults,
  }
}

function checkBroker(broker: BrokerConfig): BrokerConfig {
  if (typeof broker !== 'object' || broker === null) invalid('broker', 'an object', broker)
  if ('instance' in broker) {
    const b = broker.instance as Partial<Broker> | undefined
    if (typeof b?.consumer !== 'function' || typeof b.producer !== 'function') invalid('broker.instance', 'a Broker', typeof b)
    return broker
  }
  if ('inMemory' in broker) {
    if (broker.inMemory !== true) invalid('broker.inMemory', 'true', broker.inMemory)
    return broker
  }
  if ('embedded' in broker) {
    const dir = typeof broker.embedded === 'string' ? broker.embedded : broker.embedded?.dataDir
    if (typeof dir !== 'string' || dir.trim() === '') invalid('broker.embedded', 'a data directory, or { dataDir, ...options }', dir)
    return broker
  }
  if ('bootstrapServers' in broker) {
    if (typeof broker.bootstrapServers !== 'string' || broker.bootstrapServers.trim() === '') {
      invalid('broker.bootstrapServers', 'host:port[,host:port...]', broker.bootstrapServers)
    }
    return broker
  }
  return invalid('broker', '{ bootstrapServers }, { embedded }, { inMemory: true } or { instance }', Object.keys(broker).join(','))
}

function checkHandlers(handlers: RecordErrorHandlers): RecordErrorHandlers {
  if (typeof handlers?.deserialization !== 'function' || typeof handlers.processing !== 'function') {
    invalid('errorHandlers', '{ deserialization(error, record), processing(error, record) }', typeof handlers)
  }
  return handlers
}

function checkDedup(dedup: DedupConfig | undefined): DedupConfig | undefined {
  if (dedup === undefined) return undefined
  count('dedup.retentionMs', dedup.retentionMs, 1)
  const topics = Object.keys(dedup.by ?? {})
  if (topics.length === 0) invalid('dedup.by', 'an id extractor per source topic', '{}')
  for (const topic of topics) {
    if (typeof dedup.by[topic] !== 'function') invalid(`dedup.by.${topic}`, 'a function (record) => id', typeof dedup.by[topic])
  }
  return dedup
}

function count(option: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) invalid(option, `an integer >= ${min}`, value)
  return value
}

function optionalCount(option: string, value: number | undefined, min: number): number | undefined {
  return value === undefined ? undefined : count(option, value, min)
}

function invalid(option: string, accepted: string, got: unknown): never {
  throw new StreamfoldError('CONFIG_INVALID', `invalid ${option}: expected ${accepted}, got ${String(got)}`)
}
