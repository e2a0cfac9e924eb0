/**
 * BrokerProducer on the embedded broker. send() queues; queued records are appended as one batch
 * per partition at the end of the event-loop turn (Kafka's linger), or at once when the queue is
 * long. Appends done by the linger are not acknowledged writes; flush() and commitTransaction()
 * are, so their promises resolve only when the records are stored (fsynced by default).
 *
 * The client-side transaction state machine (the broker side is in transaction-coordinator.ts):
 *
 *   NEW ──connect()──▶ READY ──beginTransaction()──▶ IN_TRANSACTION ──commit/abort──▶ ENDING ──▶ READY
 *                        ▲                                 │ a send failed, or the commit write did
 *                        └────────abortTransaction()──── ABORTABLE ◀──┘
 *   any ──a newer producer connected with the same transactionalId──▶ FENCED (every call: TASK_MIGRATED)
 *   any ──close()──▶ CLOSED (an open transaction is aborted, a plain producer flushes first)
 *
 * A plain (non-transactional) producer lives in READY.
 *
 * Records the broker refuses for good (topic or partition missing with auto-creation off, larger
 * than maxMessageBytes) are found when the queue is appended, before any write: the options'
 * onRecordFailure may drop them, and a dropped record leaves the transaction healthy.
 */
import { StreamfoldError, TaskMigratedError, isStreamfoldError } from '../../../errors'
import type { BrokerProducer, GroupConsumer, OutgoingRecord, ProducerOptions, TopicPartitionOffset } from '../broker'
import { defaultPartition } from '../murmur2'
import type { BrokerCore } from './broker-core'
import { EmbeddedConsumer } from './embedded-consumer'
import type { AppendEntry } from './log-manager'
import type { PartitionLog } from './partition-log'
import { kafkaRecordSize } from './kafka-record-size'
import type { ProducerIdentity } from './transaction-coordinator'

type ProducerState = 'new' | 'ready' | 'in_transaction' | 'ending' | 'abortable' | 'fenced' | 'closed'

/** Above this many queued records or bytes, append now instead of at the end of the turn. */
const MAX_QUEUED_RECORDS = 4096
const MAX_QUEUED_BYTES = 1 << 20

export class EmbeddedProducer implements BrokerProducer {
  private state: ProducerState = 'new'
  private identity: ProducerIdentity | undefined
  private queue: OutgoingRecord[] = []
  private queuedBytes = 0
  private lingering = false
  private readonly inFlight = new Set<Promise<void>>()
  /** The first failure since the last flush/commit/abort. */
  private failure: unknown
  /** Null-key records stick to one partition per topic per batch, like Kafka's sticky partitioner. */
  private sticky = 0

  constructor(
    private readonly core: BrokerCore,
    private readonly options: ProducerOptions,
  ) {
    if (options.transactionalId === undefined) this.state = 'ready'
  }

  async connect(): Promise<void> {
    this.assertNot('closed', 'fenced')
    this.core.assertOpen()
    const { transactionalId } = this.options
    if (transactionalId === undefined || this.identity !== undefined) return
    this.identity = await this.core.transactions.initProducer(transactionalId)
    this.state = 'ready'
  }

  send(record: OutgoingRecord): void {
    this.checkFenced()
    if (this.state === 'closed') throw new StreamfoldError('ILLEGAL_STATE', 'producer is closed')
    if (this.transactional && this.state !== 'in_transaction' && this.state !== 'abortable') {
      throw new StreamfoldError('ILLEGAL_STATE', 'a transactional producer can only send inside a transaction', { topic: record.topic })
    }
    this.queue.push(record)
    this.queuedBytes += (record.key?.length ?? 0) + (record.value?.length ?? 0)
    if (this.queue.length >= MAX_QUEUED_RECORDS || this.queuedBytes >= MAX_QUEUED_BYTES) this.drain(false)
    else if (!this.lingering) {
      this.lingering = true
      setImmediate(() => {
        this.lingering = false
        if (this.state !== 'closed' && this.state !== 'fenced') this.drain(false)
      })
    }
  }

  async flush(): Promise<void> {
    this.assertNot('closed')
    this.checkFenced()
    this.drain(true)
    await this.settle()
    // A transaction's failure stays until it is aborted: commitTransaction() must report it too.
    this.throwFailure(this.transactional)
  }

  async beginTransaction(): Promise<void> {
    this.requireTransactional()
    this.checkFenced()
    if (this.state !== 'ready') throw new StreamfoldError('ILLEGAL_STATE', `cannot begin a transaction in state ${this.state}`)
    this.state = 'in_transaction'
  }

  async sendOffsetsToTransaction(offsets: readonly TopicPartitionOffset[], consumer: GroupConsumer): Promise<void> {
    this.requireTransactional()
    this.checkFenced()
    // Like Kafka's abortable-error state: report why the transaction must abort, not the state.
    if (this.state === 'abortable') this.throwFailure(true)
    if (this.state !== 'in_transaction') throw new StreamfoldError('ILLEGAL_STATE', `cannot send offsets in state ${this.state}`)
    if (!(consumer instanceof EmbeddedConsumer)) throw new StreamfoldError('CONFIG_INVALID', 'sendOffsetsToTransaction needs a consumer of the same embedded broker')
    consumer.checkOwnership(offsets)
    this.core.transactions.addOffsets(this.identity!, consumer.groupId, offsets)
  }

  async commitTransaction(): Promise<void> {
    this.requireTransactional()
    this.checkFenced()
    if (this.state === 'abortable') this.throwFailure(true)
    if (this.state !== 'in_transaction') throw new StreamfoldError('ILLEGAL_STATE', `cannot commit in state ${this.state}`)
    // From here send() refuses records (Kafka's COMMITTING_TRANSACTION): they would slip in late.
    this.state = 'ending'
    this.drain(false)
    if (this.failure !== undefined) {
      // A record refused as the queue was appended: nothing of the transaction may commit.
      await this.settle()
      this.markAbortable()
      this.throwFailure(true)
    }
    // The last appends and the commit markers are submitted in the same turn, so the write
    // pipeline stores them as ONE atomic write (one fsync instead of two before the output is
    // visible). Order holds: the markers' offsets come after every record appended. A storage
    // failure fails both (it fails the broker), so the markers never land without the records.
    const ending = this.end(true)
    const appended = this.settle()
    const [ended] = await Promise.allSettled([ending, appended])
    if (this.failure !== undefined) {
      this.markAbortable()
      this.throwFailure(true)
    }
    if (ended.status === 'rejected') throw ended.reason
  }

  async abortTransaction(): Promise<void> {
    this.requireTransactional()
    this.checkFenced()
    if (this.state !== 'in_transaction' && this.state !== 'abortable') throw new StreamfoldError('ILLEGAL_STATE', `cannot abort in state ${this.state}`)
    this.queue = [] // never appended: nothing to undo
    this.queuedBytes = 0
    await this.settle()
    this.failure = undefined
    await this.end(false)
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return
    try {
      if (!this.transactional && this.state === 'ready' && !this.core.closed) await this.flush()
      else if ((this.state === 'in_transaction' || this.state === 'abortable') && !this.core.closed) await this.abortTransaction()
    } catch (error) {
      if (!isStreamfoldError(error) || error.code !== 'TASK_MIGRATED') throw error
    } finally {
      this.queue = []
      this.state = 'closed'
      this.core.untrack(this)
    }
  }

  private get transactional(): boolean {
    return this.options.transactionalId !== undefined
  }

  private async end(commit: boolean): Promise<void> {
    this.state = 'ending'
    try {
      await this.core.transactions.end(this.identity!, commit)
      this.state = 'ready'
    } catch (error) {
      this.state = isStreamfoldError(error) && error.code === 'TASK_MIGRATED' ? 'fenced' : 'abortable'
      throw error
    }
  }

  /** Appends the queued records, one batch per partition, in one write. */
  private drain(acknowledged: boolean): void {
    const records = this.queue
    this.queue = []
    this.queuedBytes = 0
    const batches = new Map<PartitionLog, OutgoingRecord[]>()
    const { maxMessageBytes } = this.core
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!
      let log: PartitionLog
      try {
        log = this.partitionFor(record)
      } catch (error) {
        if (isStreamfoldError(error) && error.code === 'TOPIC_NOT_FOUND') this.refuse(record, error)
        else this.fail(error)
        continue
      }
      const size = kafkaRecordSize(record)
      if (size > maxMessageBytes) {
        const where = { topic: record.topic, partition: log.partition }
        this.refuse(record, new StreamfoldError('PRODUCTION_FAILED', `record of ${size} bytes is larger than the broker's maxMessageBytes (${maxMessageBytes}, Kafka's message.max.bytes)`, where))
        continue
      }
      const batch = batches.get(log)
      if (batch === undefined) batches.set(log, [record])
      else batch.push(record)
    }
    this.sticky++
    if (batches.size === 0 && !acknowledged) return
    const entries: AppendEntry[] = [...batches].map(([log, list]) => ({ log, records: list }))
    let appended: Promise<void>
    try {
      appended = this.identity === undefined ? this.core.logs.append(entries, { acknowledged }) : this.core.transactions.append(this.identity, entries, acknowledged)
    } catch (error) {
      this.fail(error)
      return
    }
    const tracked: Promise<void> = appended.catch((error: unknown) => this.fail(error)).finally(() => this.inFlight.delete(tracked))
    this.inFlight.add(tracked)
  }

  private partitionFor(record: OutgoingRecord): PartitionLog {
    const topic = this.core.logs.require(record.topic)
    const count = topic.partitions.length
    const partition = record.partition ?? (record.key === null ? this.sticky % count : defaultPartition(record.key, count))
    const log = topic.partitions[partition]
    if (log === undefined) throw new StreamfoldError('TOPIC_NOT_FOUND', 'partition does not exist', { topic: record.topic, partition })
    return log
  }

  /** Waits for every append started so far. */
  private async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight])
  }

  /** A failed transaction must be aborted, unless the producer was fenced (then nothing works). */
  private markAbortable(): void {
    if (this.state !== 'fenced') this.state = 'abortable'
  }

  /**
   * A record the broker refuses for good never reaches a log, so it is no part of any batch or
   * transaction: onRecordFailure may drop it. Otherwise (or while a failure is pending) it fails
   * the next flush or commit like any other failure.
   */
  private refuse(record: OutgoingRecord, error: StreamfoldError): void {
    const decide = this.options.onRecordFailure
    if (decide !== undefined && this.failure === undefined) {
      let answer: 'continue' | 'fail'
      try {
        answer = decide(record, error)
      } catch (thrown) {
        this.fail(thrown)
        return
      }
      if (answer === 'continue') return
    }
    this.fail(error)
  }

  private fail(error: unknown): void {
    if (this.failure === undefined) this.failure = error
    if (this.state === 'in_transaction') this.state = 'abortable'
    if (isStreamfoldError(error) && error.code === 'TASK_MIGRATED') this.state = 'fenced'
  }

  private throwFailure(keep = false): void {
    const failure = this.failure
    if (failure === undefined) return
    if (!keep) this.failure = undefined
    throw failure
  }

  private checkFenced(): void {
    if (this.state === 'fenced') throw new TaskMigratedError(`transactional producer '${this.options.transactionalId}' was fenced by a newer instance`)
    if (this.identity === undefined) {
      if (this.transactional && this.state !== 'closed') throw new StreamfoldError('ILLEGAL_STATE', 'transactional producer used before connect()')
      return
    }
    try {
      this.core.transactions.checkCurrent(this.identity)
    } catch (error) {
      this.state = 'fenced'
      throw error
    }
  }

  private requireTransactional(): void {
    this.assertNot('closed')
    if (!this.transactional) throw new StreamfoldError('ILLEGAL_STATE', 'transactions need a producer with a transactionalId')
  }

  private assertNot(...states: ProducerState[]): void {
    if (states.includes(this.state)) {
      if (this.state === 'fenced') this.checkFenced()
      throw new StreamfoldError('ILLEGAL_STATE', `producer is ${this.state}`)
    }
  }
}
