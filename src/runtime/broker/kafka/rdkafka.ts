/**
 * The one file in streamfold that imports @confluentinc/kafka-javascript. It exposes the
 * node-rdkafka-style clients through narrow interfaces of only what the adapter calls, because the
 * package's typings lack several methods we need (incremental assignment, assignmentLost,
 * setDefaultIsTimeoutOnlyForFirstMessage) and nothing outside this folder may see a
 * client type. The KafkaJS-style API is not used: it has no assign() and is slower.
 */
import * as Kafka from '@confluentinc/kafka-javascript'
import { StreamfoldError } from '../../../errors'

export type RdkafkaValue = string | number | boolean
/** A librdkafka configuration, plus the binding's callback settings (rebalance_cb, dr_msg_cb). */
export type RdkafkaConfig = Record<string, RdkafkaValue | ((...args: never[]) => void)>

/** The error object the binding hands to callbacks (`LibrdKafkaError`). */
export interface NativeError extends Error {
  readonly code: number
  readonly isFatal?: boolean
  readonly isRetriable?: boolean
  readonly isTxnRequiresAbort?: boolean
}

export interface NativeTopicPartition {
  readonly topic: string
  readonly partition: number
  readonly offset?: number
  readonly error?: NativeError
}

export interface NativeMessage {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly value: Buffer | null
  readonly key?: Buffer | string | null
  readonly timestamp?: number
  readonly headers?: ReadonlyArray<Readonly<Record<string, Buffer | string>>>
}

export interface NativeDeliveryReport {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  /** Copies of the record's key and (with dr_msg_cb) value; absent timestamp when it had none. */
  readonly key: Buffer | null
  readonly value?: Buffer | null
  readonly timestamp?: number
}

export type Callback<T = void> = (err: NativeError | null | undefined, value: T) => void

interface NativeClient {
  connect(options: { timeout?: number }, cb: Callback<unknown>): void
  disconnect(cb: Callback<unknown>): void
  isConnected(): boolean
  getMetadata(options: { allTopics?: boolean; timeout?: number }, cb: Callback<NativeMetadata>): void
  queryWatermarkOffsets(topic: string, partition: number, timeout: number, cb: Callback<{ lowOffset: number; highOffset: number }>): void
  on(event: 'event.error', listener: (err: NativeError) => void): void
  on(event: 'event.log', listener: (log: { severity: number; fac: string; message: string }) => void): void
}

export interface NativeMetadata {
  readonly topics: ReadonlyArray<{ readonly name: string; readonly partitions: readonly unknown[] }>
}

export interface NativeConsumer extends NativeClient {
  subscribe(topics: string[]): void
  assign(partitions: NativeTopicPartition[]): void
  unassign(): void
  incrementalAssign(partitions: NativeTopicPartition[]): void
  incrementalUnassign(partitions: NativeTopicPartition[]): void
  assignmentLost(): boolean
  rebalanceProtocol(): 'NONE' | 'EAGER' | 'COOPERATIVE'
  consume(max: number, cb: Callback<NativeMessage[]>): void
  setDefaultConsumeTimeout(ms: number): void
  setDefaultIsTimeoutOnlyForFirstMessage(on: boolean): void
  pause(partitions: NativeTopicPartition[]): void
  resume(partitions: NativeTopicPartition[]): void
  seek(position: NativeTopicPartition, timeoutMs: number, cb: (err?: NativeError) => void): void
  /** Blocks the calling thread until the broker answers. The binding's commitCb only enqueues an
   *  async commit (its callback fires before the broker has answered), and commit callbacks are
   *  served only from inside consume(), so this is the one call that confirms a commit. */
  commitSync(offsets: NativeTopicPartition[]): void
  committed(partitions: NativeTopicPartition[], timeoutMs: number, cb: Callback<NativeTopicPartition[]>): void
  on(event: 'partition.eof', listener: (eof: Required<Omit<NativeTopicPartition, 'error'>>) => void): void
  on(event: 'event.error', listener: (err: NativeError) => void): void
  on(event: 'event.log', listener: (log: { severity: number; fac: string; message: string }) => void): void
}

export interface NativeProducer extends NativeClient {
  produce(
    topic: string,
    partition: number,
    value: Buffer | null,
    key: Buffer | null,
    timestamp: number,
    /** Never passed: the binding frees an opaque only with its record's delivery report. */
    opaque: undefined,
    headers: Array<Record<string, Buffer>> | undefined,
  ): void
  setPollInterval(ms: number): void
  poll(): void
  flush(timeoutMs: number, cb: (err: NativeError | null) => void): void
  initTransactions(timeoutMs: number, cb: (err: NativeError | null) => void): void
  beginTransaction(cb: (err: NativeError | null) => void): void
  commitTransaction(timeoutMs: number, cb: (err: NativeError | null) => void): void
  abortTransaction(timeoutMs: number, cb: (err: NativeError | null) => void): void
  sendOffsetsToTransaction(offsets: NativeTopicPartition[], consumer: NativeConsumer, timeoutMs: number, cb: (err: NativeError | null) => void): void
  on(event: 'delivery-report', listener: (err: NativeError | null | undefined, report: NativeDeliveryReport) => void): void
  on(event: 'event.error', listener: (err: NativeError) => void): void
  on(event: 'event.log', listener: (log: { severity: number; fac: string; message: string }) => void): void
}

export interface NativeGroupOffsets {
  readonly groupId: string
  readonly error?: NativeError
  readonly partitions: readonly NativeTopicPartition[]
}

export interface NativeListedOffset {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly error?: NativeError
}

export interface NativeAdmin {
  /** From the binding's Client base class; a named topic with `allTopics: false` asks for auto-creation. */
  getMetadata(options: { topic?: string; allTopics?: boolean; timeout?: number }, cb: Callback<NativeMetadata>): void
  createTopic(topic: { topic: string; num_partitions: number; replication_factor: number; config?: Record<string, string> }, timeoutMs: number, cb: (err: NativeError | null) => void): void
  deleteTopic(topic: string, timeoutMs: number, cb: (err: NativeError | null) => void): void
  listTopics(options: { timeout: number }, cb: Callback<string[]>): void
  listOffsets(
    partitions: Array<{ topic: string; partition: number; offset: unknown }>,
    options: { timeout: number; isolationLevel: unknown },
    cb: Callback<NativeListedOffset[]>,
  ): void
  listConsumerGroupOffsets(
    groups: Array<{ groupId: string; partitions: NativeTopicPartition[] }>,
    options: { timeout: number },
    cb: Callback<NativeGroupOffsets[]>,
  ): void
  /** lib/admin.js: moves each partition's log start up to `offset` (Kafka's DeleteRecords). */
  deleteRecords(
    offsets: Array<{ topic: string; partition: number; offset: number }>,
    options: { timeout: number; operationTimeout: number },
    cb: Callback<NativeDeletedRecords[]>,
  ): void
  disconnect(): void
}

export interface NativeDeletedRecords {
  readonly topic: string
  readonly partition: number
  readonly lowWatermark: number
  readonly error?: NativeError
}

export function createNativeConsumer(config: RdkafkaConfig): NativeConsumer {
  // Never pass the second (topic config) argument, not even {}: it drops topic-level settings such
  // as auto.offset.reset from the main config.
  return validated(() => new Kafka.KafkaConsumer(config as Kafka.ConsumerGlobalConfig) as unknown as NativeConsumer)
}

export function createNativeProducer(config: RdkafkaConfig): NativeProducer {
  return validated(() => new Kafka.Producer(config as Kafka.ProducerGlobalConfig) as unknown as NativeProducer)
}

/** Connects at once (the binding's admin client has no separate connect step). */
export function createNativeAdmin(config: RdkafkaConfig): NativeAdmin {
  return validated(() => Kafka.AdminClient.create(config as Kafka.GlobalConfig) as unknown as NativeAdmin)
}

/** librdkafka checks every property when a client is constructed and throws for unknown names
 *  and invalid values. */
function validated<T>(create: () => T): T {
  try {
    return create()
  } catch (error) {
    throw new StreamfoldError('CONFIG_INVALID', `librdkafka rejected the configuration: ${(error as Error).message}`, { cause: error })
  }
}

export const OFFSET_SPEC = { earliest: Kafka.OffsetSpec.EARLIEST, latest: Kafka.OffsetSpec.LATEST } as const
export const ISOLATION = { read_committed: Kafka.IsolationLevel.READ_COMMITTED, read_uncommitted: Kafka.IsolationLevel.READ_UNCOMMITTED } as const

/** The librdkafka error codes the adapter reacts to. */
export const ERR = {
  ASSIGN_PARTITIONS: Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS,
  REVOKE_PARTITIONS: Kafka.CODES.ERRORS.ERR__REVOKE_PARTITIONS,
  QUEUE_FULL: Kafka.CODES.ERRORS.ERR__QUEUE_FULL,
  PURGE_QUEUE: Kafka.CODES.ERRORS.ERR__PURGE_QUEUE,
  PURGE_INFLIGHT: Kafka.CODES.ERRORS.ERR__PURGE_INFLIGHT,
  TIMED_OUT: Kafka.CODES.ERRORS.ERR__TIMED_OUT,
  FENCED: Kafka.CODES.ERRORS.ERR__FENCED,
  PRODUCER_FENCED: Kafka.CODES.ERRORS.ERR_PRODUCER_FENCED,
  INVALID_PRODUCER_EPOCH: Kafka.CODES.ERRORS.ERR_INVALID_PRODUCER_EPOCH,
  TRANSACTION_COORDINATOR_FENCED: Kafka.CODES.ERRORS.ERR_TRANSACTION_COORDINATOR_FENCED,
  ILLEGAL_GENERATION: Kafka.CODES.ERRORS.ERR_ILLEGAL_GENERATION,
  UNKNOWN_MEMBER_ID: Kafka.CODES.ERRORS.ERR_UNKNOWN_MEMBER_ID,
  REBALANCE_IN_PROGRESS: Kafka.CODES.ERRORS.ERR_REBALANCE_IN_PROGRESS,
  FENCED_INSTANCE_ID: Kafka.CODES.ERRORS.ERR_FENCED_INSTANCE_ID,
  UNKNOWN_TOPIC_OR_PART: Kafka.CODES.ERRORS.ERR_UNKNOWN_TOPIC_OR_PART,
  MSG_SIZE_TOO_LARGE: Kafka.CODES.ERRORS.ERR_MSG_SIZE_TOO_LARGE,
  RECORD_LIST_TOO_LARGE: Kafka.CODES.ERRORS.ERR_RECORD_LIST_TOO_LARGE,
  INVALID_RECORD: Kafka.CODES.ERRORS.ERR_INVALID_RECORD,
  INVALID_TIMESTAMP: Kafka.CODES.ERRORS.ERR_INVALID_TIMESTAMP,
  UNKNOWN_TOPIC: Kafka.CODES.ERRORS.ERR__UNKNOWN_TOPIC,
  UNKNOWN_PARTITION: Kafka.CODES.ERRORS.ERR__UNKNOWN_PARTITION,
  TOPIC_ALREADY_EXISTS: Kafka.CODES.ERRORS.ERR_TOPIC_ALREADY_EXISTS,
  STATE: Kafka.CODES.ERRORS.ERR__STATE,
  MAX_POLL_EXCEEDED: Kafka.CODES.ERRORS.ERR__MAX_POLL_EXCEEDED,
} as const

export const LIBRDKAFKA_VERSION: string = Kafka.librdkafkaVersion
