/**
 * PartitionReader over a group-less use of librdkafka's KafkaConsumer: assign at an offset, read
 * in bounded batches, unassign. The end is where librdkafka reports partition.eof, not the high
 * watermark minus one: on transactional topics the last offsets are commit/abort markers that no
 * consumer ever receives. Records past the end offset seen when the read started are cut off, so a
 * partition that keeps growing still ends.
 *
 * One read at a time per reader (the consumer has one assignment); concurrent calls queue up.
 */
import { StreamfoldError } from '../../../errors'
import type { Logger } from '../../../logger'
import type { BrokerRecord, IsolationLevel, PartitionReadOptions, PartitionReader, TopicPartitionOffset } from '../broker'
import { consumerConfig, type KafkaBrokerConfig } from './kafka-config'
import { asNative, brokerError, call, withTimeout } from './kafka-errors'
import { toBrokerRecord } from './kafka-records'
import { createNativeConsumer, type NativeConsumer, type NativeMessage } from './rdkafka'

const DEFAULT_BATCH = 1_000
/** Short, because consume(n) waits its whole timeout after an EOF when no record came with it. */
const FETCH_WAIT_MS = 100
/** A read that gets neither records nor EOF for this long is stuck (leader gone, ACLs): fail it. */
const STALL_MS = 60_000

export interface KafkaPartitionReaderContext {
  readonly config: KafkaBrokerConfig
  readonly clientId: string
  readonly operationTimeoutMs: number
  readonly logger: Logger
  readonly onClosed: () => void
}

export class KafkaPartitionReader implements PartitionReader {
  private readonly clients = new Map<IsolationLevel, { client: NativeConsumer; ready: Promise<void>; eof: Map<string, number> }>()
  private queue: Promise<unknown> = Promise.resolve()
  private closing: Promise<void> | undefined

  constructor(private readonly ctx: KafkaPartitionReaderContext) {}

  readToEnd(
    partition: TopicPartitionOffset,
    onBatch: (records: readonly BrokerRecord[]) => Promise<void> | void,
    options: PartitionReadOptions = {},
  ): Promise<number> {
    if (this.closing !== undefined) return Promise.reject(new StreamfoldError('ILLEGAL_STATE', 'readToEnd on a closed reader', partition))
    const run = this.queue.then(() => this.read(partition, onBatch, options))
    this.queue = run.catch(() => undefined)
    return run
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.queue
      await Promise.all(
        Array.from(this.clients.values(), async ({ client, ready }) => {
          const ok = await ready.then(() => true, () => false)
          if (!ok || !client.isConnected()) return
          await withTimeout(call((cb) => client.disconnect(cb)), this.ctx.operationTimeoutMs, 'reader disconnect').catch((error: unknown) =>
            this.ctx.logger.warn({ reason: (error as Error).message }, 'partition reader did not disconnect cleanly'),
          )
        }),
      )
      this.ctx.onClosed()
    })()
    return this.closing
  }

  private async read(
    start: TopicPartitionOffset,
    onBatch: (records: readonly BrokerRecord[]) => Promise<void> | void,
    options: PartitionReadOptions,
  ): Promise<number> {
    const { topic, partition } = start
    const isolation = options.isolationLevel ?? 'read_uncommitted'
    const { client, ready, eof } = this.clientFor(isolation)
    await ready
    const { lowOffset, highOffset } = await call<{ lowOffset: number; highOffset: number }>((cb) =>
      client.queryWatermarkOffsets(topic, partition, this.ctx.operationTimeoutMs, cb),
    ).catch((error: unknown) => {
      throw brokerError('reading the end offset', error, { topic, partition })
    })
    const from = Math.max(start.offset, lowOffset)
    if (from >= highOffset) return Math.max(start.offset, highOffset)

    const key = `${partition}@${topic}`
    eof.delete(key)
    client.assign([{ topic, partition, offset: from }])
    const max = Math.max(1, options.maxBatchRecords ?? DEFAULT_BATCH)
    let next = from
    let lastProgress = Date.now()
    try {
      for (;;) {
        const messages = await this.consume(client, max, start)
        const batch: BrokerRecord[] = []
        for (const m of messages) {
          if (m.topic === topic && m.partition === partition && m.offset >= next && m.offset < highOffset) batch.push(toBrokerRecord(m))
        }
        if (batch.length > 0) {
          next = batch[batch.length - 1]!.offset + 1
          lastProgress = Date.now()
          await onBatch(batch)
        }
        const eofAt = eof.get(key)
        if (eofAt !== undefined && eofAt >= next) return Math.max(next, Math.min(eofAt, highOffset))
        if (next >= highOffset) return next
        if (messages.length === 0 && Date.now() - lastProgress > STALL_MS) {
          throw new StreamfoldError('BROKER_ERROR', `restore read made no progress for ${STALL_MS} ms`, { topic, partition, offset: next })
        }
      }
    } finally {
      client.unassign()
    }
  }

  private async consume(client: NativeConsumer, max: number, where: TopicPartitionOffset): Promise<NativeMessage[]> {
    try {
      return await call<NativeMessage[]>((cb) => client.consume(max, cb))
    } catch (error) {
      const native = asNative(error)
      if (native === undefined || native.isFatal === true) throw brokerError('restore read', error, where)
      this.ctx.logger.warn({ topic: where.topic, partition: where.partition, code: native.code, reason: native.message }, 'restore read error')
      return []
    }
  }

  private clientFor(isolation: IsolationLevel): { client: NativeConsumer; ready: Promise<void>; eof: Map<string, number> } {
    const existing = this.clients.get(isolation)
    if (existing !== undefined) return existing
    const client = createNativeConsumer(
      consumerConfig(this.ctx.config, {
        clientId: `${this.ctx.clientId}-${isolation === 'read_committed' ? 'rc' : 'ru'}`,
        // librdkafka wants a group.id on every consumer; this one never joins or commits.
        groupId: `${this.ctx.clientId}-reader`,
        isolationLevel: isolation,
        autoOffsetReset: 'earliest',
        partitionEof: true,
        // A fetch long-polling at the end of one partition holds back the first fetch of the next
        // partition on that broker for up to fetch.wait.max.ms (500 ms by default).
        defaults: { 'fetch.wait.max.ms': 10 },
      }),
    )
    client.setDefaultIsTimeoutOnlyForFirstMessage(true)
    client.setDefaultConsumeTimeout(FETCH_WAIT_MS)
    const eof = new Map<string, number>()
    // The binding emits EOF events before consume's callback runs, so a batch and its EOF arrive together.
    client.on('partition.eof', (e) => eof.set(`${e.partition}@${e.topic}`, e.offset))
    client.on('event.error', (e) => this.ctx.logger.warn({ code: e.code, reason: e.message }, 'kafka reader error'))
    const ready = call((cb) => client.connect({ timeout: this.ctx.operationTimeoutMs }, cb)).then(
      () => undefined,
      (error: unknown) => {
        throw brokerError(`connect to ${this.ctx.config.bootstrapServers}`, error)
      },
    )
    const entry = { client, ready, eof }
    this.clients.set(isolation, entry)
    return entry
  }
}
