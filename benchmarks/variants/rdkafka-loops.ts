/**
 * Baselines on a Kafka-protocol broker written directly with @confluentinc/kafka-javascript's
 * node-rdkafka-style clients (only benchmarks may import the client outside the adapter: these
 * are the comparison, not product code). `params.loop`:
 * - `pipe`: consume(1000) -> produce each record, no state (the ceiling with this client);
 * - `serde`: the pipe plus the stateless topology's necessary work per record: key and value
 *   decoded as UTF-8 strings (Serdes.string()), filter and toUpperCase, the value encoded back;
 * - `tight`: consume(1000), getSync reads, ONE batched LevelDB write and the poll's records
 *   produced per poll; no changelog, no transactions.
 * `tight` with `params.eos` (and `params.changelog`): the exactly_once count ceiling, as in
 * port-loops.ts, with a transactional producer (initTransactions; per commit
 * sendOffsetsToTransaction + commitTransaction, which flushes); the changelog topic is made by the
 * case (the mock has no CreateTopics).
 * Producer settings are the adapter's (idempotent, linger 5 ms, murmur2_random) without
 * per-record delivery reports: one flush at the end confirms everything. The window runs from the
 * first record consumed to the final flush + synchronous offset commit.
 */
import path from 'node:path'
import * as Kafka from '@confluentinc/kafka-javascript'
import { ClassicLevel } from 'classic-level'
import { GROUP_TIMING } from '../harness/brokers'
import { dataset, datasetBytes } from '../harness/data'
import { startCpuWindow, startProfile } from '../harness/profiler'
import { printResult, throughput, type RunParams } from '../harness/protocol'
import { COUNT_STORE, statelessFilter, statelessMapValue } from '../harness/topologies'
import { CeilingCommits } from './ceiling-commit'
import { type CountChange, encodeCount, HandCounts } from './hand-counts'

type Loop = 'pipe' | 'serde' | 'tight'

interface Message {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly key?: Buffer | string | null
  readonly value: Buffer | null
  readonly timestamp?: number
}

interface RawConsumer {
  connect(options: object, cb: (err: unknown) => void): void
  subscribe(topics: string[]): void
  consume(n: number, cb: (err: unknown, messages: Message[]) => void): void
  setDefaultConsumeTimeout(ms: number): void
  setDefaultIsTimeoutOnlyForFirstMessage(on: boolean): void
  commitSync(offsets: Array<{ topic: string; partition: number; offset: number }>): void
  disconnect(cb: () => void): void
}

interface RawProducer {
  connect(options: object, cb: (err: unknown) => void): void
  produce(topic: string, partition: number, value: Buffer | null, key: Buffer | null, timestamp: number): void
  flush(timeoutMs: number, cb: (err: unknown) => void): void
  poll(): void
  disconnect(cb: () => void): void
  initTransactions(timeoutMs: number, cb: (err: unknown) => void): void
  beginTransaction(cb: (err: unknown) => void): void
  sendOffsetsToTransaction(offsets: Array<{ topic: string; partition: number; offset: number }>, consumer: RawConsumer, timeoutMs: number, cb: (err: unknown) => void): void
  commitTransaction(timeoutMs: number, cb: (err: unknown) => void): void
}

/** Calls a callback-style client method as a promise. */
function call(method: (cb: (err: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => method((err) => (err ? reject(err) : resolve())))
}

const QUEUE_FULL = -184

export async function run(params: RunParams): Promise<void> {
  const loop = params.loop as Loop
  const data = dataset({ records: params.records!, keys: params.keys!, distribution: params.distribution! })
  const input = params.inputTopic!
  const output = params.outputTopic!
  const bootstrap = params.bootstrapServers!
  const windowMs = params.windowMs === undefined ? 0 : Number(params.windowMs)
  const eos = params.eos === true
  const changelog = eos && params.changelog === true
  const commitMs = Number(params.commitMs ?? 100)
  const changelogTopic = `${String(params.applicationId)}-${COUNT_STORE}-changelog`
  const db = loop === 'tight' ? new ClassicLevel<string, Buffer>(path.join(params.workDir, 'db'), { keyEncoding: 'utf8', valueEncoding: 'buffer' }) : undefined
  await db?.open()
  const counts = db === undefined ? undefined : new HandCounts(db, changelog)

  const consumer = new (Kafka as unknown as { KafkaConsumer: new (conf: object) => RawConsumer }).KafkaConsumer({
    'bootstrap.servers': bootstrap,
    'group.id': String(params.applicationId),
    'partition.assignment.strategy': 'range',
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': false,
    'enable.auto.offset.store': false,
    'session.timeout.ms': GROUP_TIMING.sessionTimeoutMs,
    'heartbeat.interval.ms': GROUP_TIMING.heartbeatIntervalMs,
  })
  // `deliveryReports`: a JS callback per record, as the adapter has (to measure what that costs).
  const deliveryReports = params.deliveryReports === true
  const producer = new (Kafka as unknown as { Producer: new (conf: object) => RawProducer }).Producer({
    'bootstrap.servers': bootstrap,
    partitioner: 'murmur2_random',
    'enable.idempotence': true,
    'linger.ms': 5,
    ...(deliveryReports ? { dr_cb: true } : {}),
    ...(eos ? { 'transactional.id': `${String(params.applicationId)}-ceiling` } : {}),
  })
  let delivered = 0
  if (deliveryReports) (producer as unknown as { on(e: string, l: () => void): void }).on('delivery-report', () => void delivered++)
  await call((cb) => consumer.connect({}, cb))
  await call((cb) => producer.connect({}, cb))
  if (eos) {
    await call((cb) => producer.initTransactions(30_000, cb))
    await call((cb) => producer.beginTransaction(cb))
  }
  if (deliveryReports) (producer as unknown as { setPollInterval(ms: number): void }).setPollInterval(5)
  consumer.setDefaultConsumeTimeout(100)
  consumer.setDefaultIsTimeoutOnlyForFirstMessage(true)
  consumer.subscribe([input])

  /** False when librdkafka's queue is full: then `produceWaiting` retries. */
  const tryProduce = (topic: string, partition: number, value: Buffer | null, key: Buffer | null, timestamp: number): boolean => {
    try {
      producer.produce(topic, partition, value, key, timestamp)
      return true
    } catch (error) {
      if ((error as { code?: number }).code !== QUEUE_FULL) throw error
      return false
    }
  }
  const produceWaiting = async (topic: string, partition: number, value: Buffer | null, key: Buffer | null, timestamp: number): Promise<void> => {
    while (!tryProduce(topic, partition, value, key, timestamp)) {
      producer.poll()
      await new Promise((r) => setTimeout(r, 1))
    }
  }
  const positions = new Map<number, number>()
  const offsets = (): Array<{ topic: string; partition: number; offset: number }> => [...positions].map(([partition, offset]) => ({ topic: input, partition, offset }))
  const committer = !eos ? undefined : new CeilingCommits(counts!, positions, {
    ...(changelog
      ? {
          async sendChange(c: CountChange, timestamp: number) {
            if (!tryProduce(changelogTopic, c.partition, c.value, c.key, timestamp)) await produceWaiting(changelogTopic, c.partition, c.value, c.key, timestamp)
          },
        }
      : {}),
    transaction: {
      async commit() {
        await call((cb) => producer.sendOffsetsToTransaction(offsets(), consumer, 30_000, cb))
        await call((cb) => producer.commitTransaction(30_000, cb))
      },
      begin: () => call((cb) => producer.beginTransaction(cb)),
    },
  }, commitMs)
  const stopProfile = startProfile()
  let first: number | undefined
  /** When the last consume that returned records returned (the tail: from here to the end). */
  let lastRecordAt = 0
  let done = 0
  while (done < data.count) {
    const messages = await new Promise<Message[]>((resolve, reject) => consumer.consume(1000, (err, m) => (err ? reject(err) : resolve(m))))
    if (messages.length === 0) continue
    lastRecordAt = performance.now()
    if (first === undefined) {
      first = performance.now()
      startCpuWindow()
    }
    if (loop === 'pipe') {
      for (const m of messages) {
        const key = asBuffer(m.key)
        if (!tryProduce(output, -1, m.value, key, m.timestamp ?? 0)) await produceWaiting(output, -1, m.value, key, m.timestamp ?? 0)
      }
    } else if (loop === 'serde') {
      for (const m of messages) {
        const keyBytes = asBuffer(m.key)!
        const key = keyBytes.toString('utf8')
        const value = m.value!.toString('utf8')
        if (!statelessFilter(key, value)) continue
        const out = Buffer.from(statelessMapValue(key, value), 'utf8')
        if (!tryProduce(output, -1, out, keyBytes, m.timestamp ?? 0)) await produceWaiting(output, -1, out, keyBytes, m.timestamp ?? 0)
      }
    } else {
      for (const m of messages) {
        const key = asBuffer(m.key)!
        const ts = m.timestamp ?? 0
        const k = windowMs > 0 ? `${key.toString('latin1')}@${ts - (ts % windowMs)}` : key.toString('latin1')
        const value = encodeCount(counts!.increment(k, m.partition))
        if (!tryProduce(output, -1, value, key, ts)) await produceWaiting(output, -1, value, key, ts)
      }
      if (committer === undefined) await counts!.write()
    }
    for (const m of messages) positions.set(m.partition, m.offset + 1)
    done += messages.length
    if (committer !== undefined && done < data.count) await committer.afterPoll()
  }
  let end: number
  if (committer !== undefined) {
    end = await committer.commit(true)
  } else {
    await call((cb) => producer.flush(30_000, cb))
    while (deliveryReports && delivered < done) await new Promise((r) => setTimeout(r, 1))
    consumer.commitSync(offsets())
    end = performance.now()
  }
  const ms = end - first!
  await stopProfile()
  const commitStats = committer?.stats(ms)
  printResult(throughput(done, datasetBytes(data), ms, { loop, client: 'node-rdkafka-style', deliveryReports, changelog, eos, tailMs: Math.round(end - lastRecordAt), ...commitStats }))
  await db?.close()
}

function asBuffer(key: Buffer | string | null | undefined): Buffer | null {
  if (key === undefined || key === null) return null
  return typeof key === 'string' ? Buffer.from(key) : key
}
