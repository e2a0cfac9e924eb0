/**
 * Baselines on a Kafka-protocol broker written directly with @confluentinc/kafka-javascript's
 * node-rdkafka-style clients (only benchmarks may import the client outside the adapter: these
 * are the comparison, not product code). `params.loop`:
 * - `pipe`: consume(1000) -> produce each record, no state (the ceiling with this client);
 * - `tight`: consume(1000), getSync reads, ONE batched LevelDB write and the poll's records
 *   produced per poll; no changelog, no transactions.
 * Producer settings are the adapter's (idempotent, linger 5 ms, murmur2_random) without
 * per-record delivery reports: one flush at the end confirms everything. The window runs from the
 * first record consumed to the final flush + synchronous offset commit.
 */
import path from 'node:path'
import * as Kafka from '@confluentinc/kafka-javascript'
import { ClassicLevel } from 'classic-level'
import { GROUP_TIMING } from '../harness/brokers'
import { dataset, datasetBytes } from '../harness/data'
import { startProfile } from '../harness/profiler'
import { printResult, throughput, type RunParams } from '../harness/protocol'

type Loop = 'pipe' | 'tight'

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
}

const QUEUE_FULL = -184

export async function run(params: RunParams): Promise<void> {
  const loop = params.loop as Loop
  const data = dataset({ records: params.records!, keys: params.keys!, distribution: params.distribution! })
  const input = params.inputTopic!
  const output = params.outputTopic!
  const bootstrap = params.bootstrapServers!
  const windowMs = params.windowMs === undefined ? 0 : Number(params.windowMs)
  const db = loop === 'tight' ? new ClassicLevel<string, Buffer>(path.join(params.workDir, 'db'), { keyEncoding: 'utf8', valueEncoding: 'buffer' }) : undefined
  await db?.open()

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
  })
  let delivered = 0
  if (deliveryReports) (producer as unknown as { on(e: string, l: () => void): void }).on('delivery-report', () => void delivered++)
  await new Promise<void>((resolve, reject) => consumer.connect({}, (err) => (err ? reject(err) : resolve())))
  await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())))
  if (deliveryReports) (producer as unknown as { setPollInterval(ms: number): void }).setPollInterval(5)
  consumer.setDefaultConsumeTimeout(100)
  consumer.setDefaultIsTimeoutOnlyForFirstMessage(true)
  consumer.subscribe([input])

  /** False when librdkafka's queue is full: then `produceWaiting` retries. */
  const tryProduce = (value: Buffer | null, key: Buffer | null, timestamp: number): boolean => {
    try {
      producer.produce(output, -1, value, key, timestamp)
      return true
    } catch (error) {
      if ((error as { code?: number }).code !== QUEUE_FULL) throw error
      return false
    }
  }
  const produceWaiting = async (value: Buffer | null, key: Buffer | null, timestamp: number): Promise<void> => {
    while (!tryProduce(value, key, timestamp)) {
      producer.poll()
      await new Promise((r) => setTimeout(r, 1))
    }
  }
  const encode = (n: number): Buffer => {
    const b = Buffer.allocUnsafe(8)
    b.writeDoubleBE(n, 0)
    return b
  }
  const positions = new Map<number, number>()
  const stopProfile = startProfile()
  let first: number | undefined
  let done = 0
  while (done < data.count) {
    const messages = await new Promise<Message[]>((resolve, reject) => consumer.consume(1000, (err, m) => (err ? reject(err) : resolve(m))))
    if (messages.length === 0) continue
    first ??= performance.now()
    if (loop === 'pipe') {
      for (const m of messages) {
        const key = asBuffer(m.key)
        if (!tryProduce(m.value, key, m.timestamp ?? 0)) await produceWaiting(m.value, key, m.timestamp ?? 0)
      }
    } else {
      const pending = new Map<string, number>()
      for (const m of messages) {
        const key = asBuffer(m.key)!
        const ts = m.timestamp ?? 0
        const k = windowMs > 0 ? `${key.toString('latin1')}@${ts - (ts % windowMs)}` : key.toString('latin1')
        let n = pending.get(k)
        if (n === undefined) {
          const stored = db!.getSync(k)
          n = stored === undefined ? 0 : stored.readDoubleBE(0)
        }
        pending.set(k, ++n)
        const value = encode(n)
        if (!tryProduce(value, key, ts)) await produceWaiting(value, key, ts)
      }
      const write = db!.batch()
      for (const [k, n] of pending) write.put(k, encode(n))
      await write.write()
    }
    for (const m of messages) positions.set(m.partition, m.offset + 1)
    done += messages.length
  }
  await new Promise<void>((resolve, reject) => producer.flush(30_000, (err) => (err ? reject(err) : resolve())))
  while (deliveryReports && delivered < done) await new Promise((r) => setTimeout(r, 1))
  consumer.commitSync([...positions].map(([partition, offset]) => ({ topic: input, partition, offset })))
  const ms = performance.now() - first!
  await stopProfile()
  printResult(throughput(done, datasetBytes(data), ms, { loop, client: 'node-rdkafka-style', deliveryReports }))
  await db?.close()
}

function asBuffer(key: Buffer | string | null | undefined): Buffer | null {
  if (key === undefined || key === null) return null
  return typeof key === 'string' ? Buffer.from(key) : key
}
