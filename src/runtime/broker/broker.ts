/**
 * The Broker port: everything the runtime needs from a Kafka-like log, in our own types. Two
 * adapters implement it: the embedded broker (src/runtime/broker/embedded) and the Kafka adapter
 * over @confluentinc/kafka-javascript (src/runtime/broker/kafka). No client library type crosses
 * this file; both adapters pass the same contract suite (test/contract).
 */
import type { StreamfoldError } from '../../errors'
import type { HeaderEntry } from '../../record-headers'

export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

export interface TopicPartitionOffset extends TopicPartition {
  /** The next offset to read (Kafka's committed-offset convention: last processed + 1). */
  readonly offset: number
}

/** A record as read from the log. */
export interface BrokerRecord {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  /** Milliseconds since the epoch (CreateTime). */
  readonly timestamp: number
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: readonly HeaderEntry[]
}

/** A record to write. Without `partition`, the broker's default partitioner decides: murmur2 of
 *  the key bytes modulo the partition count (the Java client's and Kafka Streams' choice), or
 *  any partition for a null key. */
export interface OutgoingRecord {
  readonly topic: string
  readonly partition?: number
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly timestamp: number
  readonly headers: readonly HeaderEntry[]
}

export interface TopicSpec {
  readonly name: string
  readonly partitions: number
  /** Kafka topic configs, e.g. `{ 'cleanup.policy': 'compact' }`. */
  readonly config?: Readonly<Record<string, string>>
}

export type IsolationLevel = 'read_committed' | 'read_uncommitted'

export interface BrokerAdmin {
  /** Creates the topics that do not exist; existing ones are left as they are. */
  ensureTopics(specs: readonly TopicSpec[]): Promise<void>
  /** Partition counts of the topics that exist; missing topics are absent from the map. */
  partitionCounts(topics: readonly string[]): Promise<Map<string, number>>
  /** The offset after the last record (the high watermark; for read_committed, the last stable offset).
   *  Transaction markers occupy offsets: offsets are not contiguous, never assume offset + 1 is next. */
  endOffsets(partitions: readonly TopicPartition[], isolation?: IsolationLevel): Promise<TopicPartitionOffset[]>
  /** The first offset still held (after retention or deletion). */
  beginningOffsets(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]>
  /** A group's committed offsets; partitions with no commit are absent. */
  committedOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]>
  /** Overwrites a group's committed offsets (the group must have no active members). */
  setCommittedOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void>
  deleteTopics(topics: readonly string[]): Promise<void>
  listTopics(): Promise<string[]>
  /**
   * Kafka's DeleteRecords: each partition's records below `offset` go away and its log start
   * offset moves up to `offset` (an offset at or below the log start changes nothing). The
   * runtime purges consumed repartition records this way; pass only offsets that are committed.
   * Rejects when a partition is missing or the broker refuses (Kafka: an offset past the high
   * watermark, a broker without the API); the embedded broker caps the offset at the last stable
   * offset instead.
   */
  deleteRecords(offsets: readonly TopicPartitionOffset[]): Promise<void>
}

export interface RebalanceListener {
  /** Partitions newly given to this member; `assignment()` already lists them. Fetching starts at
   *  the group's committed offset (or per `autoOffsetReset`) unless the listener seeks; seeks and
   *  pauses made here take effect before the first fetch. */
  onAssigned(partitions: readonly TopicPartition[]): Promise<void> | void
  /** Partitions taken away in an orderly rebalance: commit what is done before returning. */
  onRevoked(partitions: readonly TopicPartition[]): Promise<void> | void
  /** Partitions lost without an orderly hand-over (session timed out, not polled for
   *  max.poll.interval, fenced): do not commit. */
  onLost(partitions: readonly TopicPartition[]): Promise<void> | void
}

export interface GroupConsumerOptions {
  readonly groupId: string
  readonly clientId?: string
  readonly isolationLevel?: IsolationLevel
  readonly autoOffsetReset?: 'earliest' | 'latest'
  readonly sessionTimeoutMs?: number
  readonly heartbeatIntervalMs?: number
  /** A member that does not call poll() for this long is evicted; its next poll reports onLost
   *  (Kafka's max.poll.interval.ms). */
  readonly maxPollIntervalMs?: number
}

export interface GroupConsumer {
  /** Joins the group. Rebalance callbacks run from inside `poll()`, never concurrently with it. */
  subscribe(topics: readonly string[], listener: RebalanceListener): Promise<void>
  /** Up to `maxRecords` records from the assigned, unpaused partitions; waits at most `timeoutMs`
   *  for the first one. Resolves to an empty array on timeout. */
  poll(maxRecords: number, timeoutMs: number): Promise<BrokerRecord[]>
  assignment(): TopicPartition[]
  /** pause, resume and seek throw ILLEGAL_STATE for a partition not in `assignment()`. */
  pause(partitions: readonly TopicPartition[]): void
  resume(partitions: readonly TopicPartition[]): void
  /** Takes effect before the next poll's fetch. */
  seek(position: TopicPartitionOffset): void
  /** Commits offsets for this group (at_least_once); resolves once the broker has accepted them.
   *  Rejects with TASK_MIGRATED when the group has moved on (rebalance, unknown member). */
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>
  committed(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]>
  /** Leaves the group without calling the listener: close the tasks first. */
  close(): Promise<void>
}

export interface ProducerOptions {
  readonly clientId?: string
  /** Set for exactly_once: makes the producer transactional (and idempotent). */
  readonly transactionalId?: string
  /**
   * Called once per record the broker refused for good (too large, topic or partition missing
   * with auto-creation off, invalid record), with a coded error naming topic and partition, never
   * contents. 'continue' drops the record: its failure does not fail `flush()` or
   * `commitTransaction()`. 'fail' makes it the failure they report (a throw: the thrown error).
   * Never called for retriable failures (the client retries those itself), for a fenced producer,
   * while an earlier failure is still pending, or for a refusal the adapter cannot drop on its
   * own: on Kafka a delivery failure inside a transaction obliges the transaction to abort, so
   * that commit fails whatever the answer. Without this option every refusal fails `flush()`.
   */
  readonly onRecordFailure?: (record: OutgoingRecord, error: StreamfoldError) => 'continue' | 'fail'
}

export interface BrokerProducer {
  /** Connects; for a transactional producer also initialises transactions (fencing older ones). */
  connect(): Promise<void>
  /** Queues a record; never blocks. Throws at once on misuse (ILLEGAL_STATE) or a fenced producer
   *  (TASK_MIGRATED); delivery failures surface from `flush()` or `commitTransaction()`, after
   *  `onRecordFailure` has had its say on records refused for good. */
  send(record: OutgoingRecord): void
  /** Resolves when every record sent so far is acknowledged or dropped by `onRecordFailure`;
   *  rejects with the first other failure since the previous flush (PRODUCTION_FAILED,
   *  TOPIC_NOT_FOUND, or TASK_MIGRATED if the producer was fenced). */
  flush(): Promise<void>
  beginTransaction(): Promise<void>
  /** Adds the consumer's offsets to the open transaction (Kafka's EOS v2, with group metadata). */
  sendOffsetsToTransaction(offsets: readonly TopicPartitionOffset[], consumer: GroupConsumer): Promise<void>
  commitTransaction(): Promise<void>
  abortTransaction(): Promise<void>
  close(): Promise<void>
}

export interface PartitionReadOptions {
  readonly isolationLevel?: IsolationLevel
  /** Upper bound on records handed over in one batch (bounded restore memory). */
  readonly maxBatchRecords?: number
}

/** Reads partitions directly, outside any group: restore of changelogs, CLI consume. */
export interface PartitionReader {
  /**
   * Reads `partition` from `fromOffset` to the end that holds when the read starts, handing over
   * batches in offset order and awaiting each `onBatch` before fetching more. Resolves to the
   * end offset reached (the next offset to read).
   */
  readToEnd(
    partition: TopicPartitionOffset,
    onBatch: (records: readonly BrokerRecord[]) => Promise<void> | void,
    options?: PartitionReadOptions,
  ): Promise<number>
  close(): Promise<void>
}

export interface Broker {
  readonly kind: 'embedded' | 'kafka'
  admin(): BrokerAdmin
  consumer(options: GroupConsumerOptions): GroupConsumer
  producer(options?: ProducerOptions): BrokerProducer
  reader(): PartitionReader
  /** Releases every client this broker handed out. */
  close(): Promise<void>
}
