/**
 * BrokerProducer over librdkafka's Producer: idempotent always, transactional with a
 * transactional.id (EOS v2: the consumer's group metadata goes with the offsets).
 *
 * send() never blocks and never throws for a full queue: when librdkafka's queue is full
 * (queue.buffering.max.messages / .kbytes), records wait in a JS backlog, in order, and are handed
 * to librdkafka by a timer as its queue frees space, and by flush(). flush() and commitTransaction()
 * first drain that backlog, then wait in librdkafka's own flush. Memory is bounded by what the
 * runtime sends between two flushes (one commit interval).
 *
 * Delivery reports: only failed deliveries are reported (delivery.report.only.error). A report per
 * record cost about 5 us of the JS thread each (the binding builds an object and makes a callback
 * per report), about as much as the rest of the pipe. librdkafka's flush returns once every record
 * is acknowledged or failed, after handing each failure's report to the binding; the binding
 * dispatches them to JS from its uv_async handle, at most 100 per loop iteration. flush() then
 * turns the event loop until one iteration brings no report (drainReports), so every failure is
 * seen before it returns. setPollInterval serves reports and events between flushes. The first
 * failed delivery since the last flush is kept and thrown by flush() (or, inside a transaction, by
 * commitTransaction()).
 *
 * A record refused for good (kafka-errors.ts: isRefusedForGood) goes to the options'
 * onRecordFailure, which may drop it, in two places:
 * - produce() refuses it at once (MSG_SIZE_TOO_LARGE above the client's message.max.bytes, a
 *   partition or topic known not to exist): it never entered librdkafka's queue, so dropping it
 *   is safe, inside a transaction too;
 * - its delivery report fails. The record is found among those sent since the last flush
 *   (sent-records.ts), kept only when a handler is set and no transaction is used. Outside
 *   a transaction librdkafka bumps the idempotent epoch and goes on; inside one it counts the
 *   failure and refuses to commit (the transaction must abort), so the handler is not asked and
 *   the commit fails. The broker refuses whole produce batches: every record batched with a
 *   refused one on that partition is reported (and, with 'continue', dropped) too.
 */
import { StreamfoldError, TaskMigratedError } from '../../../errors'
import type { Logger } from '../../../logger'
import type { BrokerProducer, GroupConsumer, OutgoingRecord, ProducerOptions, TopicPartitionOffset } from '../broker'
import { producerConfig, type KafkaBrokerConfig } from './kafka-config'
import { asNative, brokerError, call, describeNative, isMigrated, isRefusedForGood, transactionError, withTimeout } from './kafka-errors'
import { nativeConsumerOf } from './kafka-group-consumer'
import { toNativeHeaders } from './kafka-records'
import { SentRecords } from './sent-records'
import { createNativeProducer, ERR, type NativeDeliveryReport, type NativeError, type NativeProducer } from './rdkafka'

const POLL_INTERVAL_MS = 5
/** A zero-length view into real memory. The binding sends a zero-length Buffer without backing
 *  memory (Buffer.alloc(0), Buffer.from('')) as null, which Kafka distinguishes from empty. */
const EMPTY = Buffer.alloc(1).subarray(0, 0)

function keepEmpty(b: Buffer | null): Buffer | null {
  return b !== null && b.length === 0 ? EMPTY : b
}
const COMMIT_ATTEMPTS = 3

/**
 * The timeout of the n-th native flush call of one flush(). librdkafka's flush waits for its
 * report queue in slices of up to 10 ms and checks the count of unfinished records only between
 * slices; without a report per record nothing ends a slice early, so a flush(30 s) returned 10 ms
 * after the last acknowledgement (measured on the mock: 3000 records, p50 10.3 ms, against 1.5-1.8
 * ms in 1 ms slices). Short slices first; longer ones once the wait is long anyway, to not spin.
 */
function flushSliceMs(n: number): number {
  return Math.min(10, 1 + Math.floor(n / 20))
}
/** librdkafka's default message.max.bytes: produce() refuses larger records at once. */
const RDKAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_000_000

export interface KafkaProducerContext {
  readonly config: KafkaBrokerConfig
  readonly clientId: string
  readonly transactionalId?: string
  readonly onRecordFailure?: ProducerOptions['onRecordFailure']
  readonly operationTimeoutMs: number
  readonly logger: Logger
  readonly onClosed: () => void
}

export class KafkaProducer implements BrokerProducer {
  private readonly client: NativeProducer
  private readonly log: Logger
  private backlog: OutgoingRecord[] = []
  private backlogHead = 0
  /** Retries the backlog while it is not empty (no delivery report says when space frees up). */
  private backlogTimer: NodeJS.Timeout | undefined
  /** Delivery reports received (failures only): drainReports() waits until it stops moving. */
  private reports = 0
  /** Usually a StreamfoldError; whatever onRecordFailure threw otherwise. */
  private firstError: unknown
  /** Only where a failed delivery goes to onRecordFailure: a plain producer with a handler. */
  private readonly sent: SentRecords | undefined
  private connecting: Promise<void> | undefined
  private ready = false
  /** Between a successful beginTransaction and the end of commit or abort. */
  private inTransaction = false
  /** Set once a newer producer with our transactional.id fenced us: every later call fails with it. */
  private fenced: TaskMigratedError | undefined
  private closing: Promise<void> | undefined
  /** The client's message.max.bytes, to say why produce() refused a record. */
  private readonly maxMessageBytes: number

  constructor(private readonly ctx: KafkaProducerContext) {
    this.log = ctx.logger.child({ clientId: ctx.clientId, transactionalId: ctx.transactionalId })
    const config = producerConfig(ctx.config, ctx.clientId, ctx.transactionalId)
    this.maxMessageBytes = Number(config['message.max.bytes'] ?? RDKAFKA_DEFAULT_MAX_MESSAGE_BYTES)
    this.client = createNativeProducer(config)
    this.sent = ctx.onRecordFailure !== undefined && ctx.transactionalId === undefined ? new SentRecords() : undefined
    this.client.on('delivery-report', (err, report) => this.onDelivery(err, report))
    this.client.on('event.error', (e) => this.log.warn({ code: e.code, reason: e.message }, 'kafka producer error'))
  }

  connect(): Promise<void> {
    this.connecting ??= this.doConnect()
    return this.connecting
  }

  send(record: OutgoingRecord): void {
    if (!this.ready) throw new StreamfoldError('ILLEGAL_STATE', 'send before connect() resolved or after close()', { topic: record.topic })
    if (this.fenced !== undefined) throw this.fenced
    // librdkafka would only fail the delivery later; the caller's bug is clearer here.
    if (this.ctx.transactionalId !== undefined && !this.inTransaction) {
      throw new StreamfoldError('ILLEGAL_STATE', 'send on a transactional producer outside a transaction', { topic: record.topic })
    }
    if (this.backlogHead < this.backlog.length || !this.tryProduce(record)) {
      this.backlog.push(record)
      this.scheduleBacklog()
    }
  }

  async flush(): Promise<void> {
    this.requireReady('flush')
    let flushed = 0
    for (let slice = 0; ; slice++) {
      this.drainBacklog()
      flushed = this.sent?.length ?? 0
      // Sends what linger.ms holds back and returns when every record is acknowledged or failed. A
      // timeout only means "not yet": librdkafka itself fails each record after message.timeout.ms.
      const done = await call((cb) => this.client.flush(flushSliceMs(slice), cb)).then(
        () => true,
        (error: unknown) => {
          if (asNative(error)?.code === ERR.TIMED_OUT) return false
          throw brokerError('flush', error)
        },
      )
      if (done && this.backlogHead >= this.backlog.length) break
    }
    await this.drainReports()
    this.sent?.forget(flushed)
    const failure = this.firstError
    this.firstError = undefined
    if (failure !== undefined) throw failure
  }

  async beginTransaction(): Promise<void> {
    this.requireTransactional('beginTransaction')
    // The callback is required: without one the binding throws an uncaught TypeError.
    await call((cb) => this.client.beginTransaction(cb)).catch((error: unknown) => {
      throw this.failed('beginTransaction', error)
    })
    this.inTransaction = true
  }

  async sendOffsetsToTransaction(offsets: readonly TopicPartitionOffset[], consumer: GroupConsumer): Promise<void> {
    this.requireTransactional('sendOffsetsToTransaction')
    if (offsets.length === 0) return
    const native = nativeConsumerOf(consumer)
    if (native === undefined) throw new StreamfoldError('ILLEGAL_STATE', 'sendOffsetsToTransaction needs a consumer from the same Kafka broker')
    const list = offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset }))
    await call((cb) => this.client.sendOffsetsToTransaction(list, native, this.ctx.operationTimeoutMs, cb)).catch((error: unknown) => {
      throw this.failed('sendOffsetsToTransaction', error)
    })
  }

  async commitTransaction(): Promise<void> {
    this.requireTransactional('commitTransaction')
    try {
      await this.flush()
    } catch (error) {
      if (error instanceof TaskMigratedError) throw error
      throw new StreamfoldError('TRANSACTION_FAILED', 'commitTransaction: a record of the transaction was not delivered', { cause: error })
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await call((cb) => this.client.commitTransaction(this.ctx.operationTimeoutMs, cb))
        this.inTransaction = false
        return
      } catch (error) {
        // librdkafka allows calling commit again after a retriable error (e.g. a timeout).
        if (asNative(error)?.isRetriable !== true || attempt >= COMMIT_ATTEMPTS) throw this.failed('commitTransaction', error)
        this.log.warn({ attempt, reason: (error as Error).message }, 'commitTransaction failed, retrying')
      }
    }
  }

  async abortTransaction(): Promise<void> {
    this.requireTransactional('abortTransaction')
    // Records still in the backlog belong to the aborted transaction: they are never sent.
    this.clearBacklog()
    try {
      await call((cb) => this.client.abortTransaction(this.ctx.operationTimeoutMs, cb))
    } catch (error) {
      throw this.failed('abortTransaction', error)
    }
    this.inTransaction = false
    // abort purges queued records and flushes; their reports must not fail the next transaction's flush.
    await this.drainReports()
    this.sent?.forget(this.sent.length)
    this.firstError = undefined
  }

  close(): Promise<void> {
    this.closing ??= this.doClose()
    return this.closing
  }

  private async doConnect(): Promise<void> {
    try {
      await call((cb) => this.client.connect({ timeout: this.ctx.operationTimeoutMs }, cb))
    } catch (error) {
      throw brokerError(`connect to ${this.ctx.config.bootstrapServers}`, error)
    }
    this.client.setPollInterval(POLL_INTERVAL_MS)
    if (this.ctx.transactionalId !== undefined) {
      // Fences any older producer with the same transactional.id and aborts its open transaction.
      await call((cb) => this.client.initTransactions(this.ctx.operationTimeoutMs, cb)).catch((error: unknown) => {
        throw this.failed('initTransactions', error)
      })
    }
    this.ready = true
    this.log.debug({}, 'producer connected')
  }

  private async doClose(): Promise<void> {
    this.ready = false
    const started = this.connecting
    if (started !== undefined) {
      await started.catch(() => undefined)
      try {
        if (this.client.isConnected()) {
          this.client.setPollInterval(0)
          const disconnected = new Promise<void>((resolve) => this.client.disconnect(() => resolve()))
          await withTimeout(disconnected, this.ctx.operationTimeoutMs + 1_000, 'producer disconnect')
        }
      } catch (error) {
        this.log.warn({ reason: (error as Error).message }, 'producer did not disconnect cleanly')
      }
    }
    this.clearBacklog()
    this.ctx.onClosed()
  }

  /** false when librdkafka's queue is full; any other refusal is the handler's, or the pending error. */
  private tryProduce(r: OutgoingRecord): boolean {
    try {
      this.client.produce(r.topic, r.partition ?? -1, keepEmpty(r.value), keepEmpty(r.key), r.timestamp, undefined, toNativeHeaders(r.headers))
      this.sent?.add(r)
      return true
    } catch (error) {
      const native = asNative(error)
      if (native?.code === ERR.QUEUE_FULL) return false
      const failure = new StreamfoldError('PRODUCTION_FAILED', `send refused: ${this.refusalReason(error, r)}`, {
        topic: r.topic,
        partition: r.partition,
        cause: error,
      })
      // Never queued: no batch or transaction holds it, so it can be dropped alone.
      if (native !== undefined && isRefusedForGood(native)) this.refuse(r, failure)
      else this.firstError ??= failure
      return true
    }
  }

  private refusalReason(error: unknown, r: OutgoingRecord): string {
    const native = asNative(error)
    if (native === undefined) return (error as Error).message
    if (native.code !== ERR.MSG_SIZE_TOO_LARGE) return describeNative(native)
    let bytes = (r.key?.length ?? 0) + (r.value?.length ?? 0)
    for (const [name, value] of r.headers) bytes += Buffer.byteLength(name, 'utf8') + value.length
    return `${describeNative(native)}: key, value and headers are ${bytes} bytes, the producer's message.max.bytes is ${this.maxMessageBytes}`
  }

  /** Asks onRecordFailure about a record refused for good; it is dropped on 'continue'. */
  private refuse(record: OutgoingRecord, failure: StreamfoldError): void {
    const decide = this.ctx.onRecordFailure
    if (decide !== undefined && this.firstError === undefined) {
      try {
        if (decide(record, failure) === 'continue') return
      } catch (thrown) {
        this.firstError = thrown
        return
      }
    }
    this.firstError ??= failure
  }

  /** false while records remain in the backlog (librdkafka's queue is still full). */
  private drainBacklog(): boolean {
    while (this.backlogHead < this.backlog.length) {
      if (!this.tryProduce(this.backlog[this.backlogHead]!)) return false
      this.backlogHead++
    }
    this.clearBacklog()
    return true
  }

  private scheduleBacklog(): void {
    this.backlogTimer ??= setTimeout(() => {
      this.backlogTimer = undefined
      if (this.ready && !this.drainBacklog()) this.scheduleBacklog()
    }, POLL_INTERVAL_MS)
  }

  private clearBacklog(): void {
    this.backlog = []
    this.backlogHead = 0
    clearTimeout(this.backlogTimer)
    this.backlogTimer = undefined
  }

  /**
   * Turns the event loop until one iteration brings no delivery report. Called once librdkafka
   * has handed every report to the binding (after its flush or abort): the binding dispatches them
   * from its uv_async handle in the poll phase, 100 per iteration, and signals again while more
   * wait, so an iteration without a report means none is left.
   */
  private async drainReports(): Promise<void> {
    for (;;) {
      const seen = this.reports
      await new Promise((resolve) => setImmediate(resolve))
      if (this.reports === seen) return
    }
  }

  private onDelivery(err: NativeError | null | undefined, report: NativeDeliveryReport): void {
    this.reports++
    if (err && err.code !== ERR.PURGE_QUEUE && err.code !== ERR.PURGE_INFLIGHT && this.firstError === undefined) this.deliveryFailed(err, report)
  }

  private deliveryFailed(err: NativeError, report: NativeDeliveryReport): void {
    const coordinates = { topic: report.topic, partition: report.partition, cause: err }
    if (isMigrated(err)) {
      this.fenced ??= new TaskMigratedError(`delivery failed: producer fenced (${describeNative(err)})`, coordinates)
      this.firstError = this.fenced
      return
    }
    const failure = new StreamfoldError('PRODUCTION_FAILED', `delivery failed: ${describeNative(err)}`, coordinates)
    if (this.ctx.onRecordFailure === undefined || !isRefusedForGood(err)) {
      this.firstError = failure
    } else if (this.ctx.transactionalId !== undefined) {
      // librdkafka counts the failed delivery and will only abort this transaction: no answer of
      // the handler could let it commit, so it is not asked.
      const reason = `delivery failed inside a transaction: ${describeNative(err)}; librdkafka requires the transaction to abort, so the record cannot be skipped`
      this.firstError = new StreamfoldError('PRODUCTION_FAILED', reason, coordinates)
    } else {
      const record = this.sent?.take(report)
      // A record not found among those sent since the last flush fails the flush: no guessing.
      if (record === undefined) this.firstError = failure
      else this.refuse(record, failure)
    }
  }

  private requireReady(operation: string): void {
    if (!this.ready) throw new StreamfoldError('ILLEGAL_STATE', `${operation} before connect() resolved or after close()`)
  }

  /** The coded error for a failed transaction call; fencing is remembered for every later call. */
  private failed(operation: string, error: unknown): StreamfoldError {
    const mapped = this.fenced ?? transactionError(operation, error)
    if (mapped instanceof TaskMigratedError) this.fenced = mapped
    return mapped
  }

  private requireTransactional(operation: string): void {
    this.requireReady(operation)
    if (this.fenced !== undefined) throw this.fenced
    if (this.ctx.transactionalId === undefined) throw new StreamfoldError('ILLEGAL_STATE', `${operation} on a producer without transactionalId`)
  }
}
