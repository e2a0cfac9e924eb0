/**
 * End-to-end latency at a fixed input rate on the durable embedded broker (one process holds the
 * broker, so the input producer, the processor and the output reader share it). `params.mode`:
 * - `pipe`: a bare consume -> produce loop over the Broker port (the floor);
 * - `app`: a StreamsApp running the count topology (caching off) with `params.guarantee`, commit every 100 ms.
 * Latency of a record: from its send (performance.now(), kept by the sender) to the output
 * record carrying it being returned by a poll of a group consumer on the output topic
 * (read_committed for exactly_once). Count outputs are matched by (key, n): the n-th record of a
 * key yields count n. The first second is warm-up and not counted.
 */
import path from 'node:path'
import { Serdes, StreamsApp } from '../../src/index'
import { createLogger } from '../../src/logger'
import type { BrokerRecord, TopicPartitionOffset } from '../../src/runtime/broker/broker'
import { openBroker } from '../harness/brokers'
import { dataset } from '../harness/data'
import { percentile, printResult, round, type RunParams } from '../harness/protocol'
import { buildTopology } from '../harness/topologies'

const COMMIT_INTERVAL_MS = 100

export async function run(params: RunParams): Promise<void> {
  const mode = params.mode as 'pipe' | 'app'
  const rate = Number(params.rate)
  const total = Math.round(rate * Number(params.seconds))
  const warmup = rate // one second
  const data = dataset({ records: total, keys: params.keys!, distribution: params.distribution! })
  const input = params.inputTopic!
  const output = params.outputTopic!
  const broker = await openBroker(params)
  const guarantee = (params.guarantee as 'at_least_once' | 'exactly_once' | undefined) ?? 'at_least_once'

  let stopPipe = false
  let pipeDone: Promise<void> = Promise.resolve()
  let app: StreamsApp | undefined
  if (mode === 'pipe') {
    const consumer = broker.consumer({ groupId: String(params.applicationId), autoOffsetReset: 'earliest' })
    await consumer.subscribe([input], { onAssigned() {}, onRevoked() {}, onLost() {} })
    const producer = broker.producer()
    await producer.connect()
    await consumer.poll(1, 0)
    pipeDone = (async () => {
      const positions = new Map<number, number>()
      while (!stopPipe) {
        const records = await consumer.poll(1000, 20)
        for (const r of records) {
          producer.send({ topic: output, key: r.key, value: r.value, timestamp: r.timestamp, headers: [] })
          positions.set(r.partition, r.offset + 1)
        }
      }
      await producer.flush()
      const offsets: TopicPartitionOffset[] = [...positions].map(([partition, offset]) => ({ topic: input, partition, offset }))
      await consumer.commit(offsets)
    })()
  } else {
    // Caching off: every update goes out at once. A cached count forwards once per commit, which
    // would make every latency the commit interval (Kafka Streams users turn it off for latency too).
    app = new StreamsApp(buildTopology('count', input, output, { caching: false }), {
      applicationId: String(params.applicationId),
      broker: { instance: broker },
      stateDir: path.join(params.workDir, 'state'),
      processingGuarantee: guarantee,
      commitIntervalMs: COMMIT_INTERVAL_MS,
      logger: createLogger({ level: process.env.BENCH_LOG_LEVEL === 'debug' ? 'debug' : 'warn', destination: process.stderr }),
    })
    await app.start()
    const deadline = Date.now() + 20_000
    while (app.state !== 'RUNNING') {
      if (app.state === 'ERROR' || Date.now() > deadline) throw new Error(`app did not reach RUNNING: ${app.state} ${String(app.error)}`)
      await new Promise((r) => setTimeout(r, 10))
    }
  }

  const reader = broker.consumer({
    groupId: `${String(params.applicationId)}-reader`,
    autoOffsetReset: 'earliest',
    isolationLevel: guarantee === 'exactly_once' && mode === 'app' ? 'read_committed' : 'read_uncommitted',
  })
  await reader.subscribe([output], { onAssigned() {}, onRevoked() {}, onLost() {} })
  await reader.poll(1, 0)

  // Sender: keeps `rate` records/s by sending what is due every ~1 ms.
  const sentAt = new Float64Array(total)
  const perKey = new Map<string, number[]>()
  const inputProducer = broker.producer()
  await inputProducer.connect()
  const seqValue = (i: number): Buffer => {
    const v = Buffer.from(data.valueOf(i))
    v.writeUInt32BE(i, 0)
    return v
  }
  let sent = 0
  const sendStarted = performance.now()
  const sending = (async () => {
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - sendStarted) / 1000) * rate))
      for (; sent < due; sent++) {
        const key = data.keyOf(sent)
        const k = key.toString('latin1')
        let times = perKey.get(k)
        if (times === undefined) perKey.set(k, (times = []))
        times.push(sent)
        sentAt[sent] = performance.now()
        inputProducer.send({ topic: input, key, value: seqValue(sent), timestamp: Date.now(), headers: [] })
      }
      await new Promise((r) => setTimeout(r, 1))
    }
  })()

  // Reader: matches each output to the input record it carries.
  const latencies: number[] = []
  let seen = 0
  const double = Serdes.double()
  const seqOf = (r: BrokerRecord): number => {
    if (mode === 'pipe') return r.value!.readUInt32BE(0)
    const n = double.deserialize(r.value!, output)
    return perKey.get(r.key!.toString('latin1'))?.[n - 1] ?? -1
  }
  const readDeadline = () => performance.now() - sendStarted > (total / rate) * 1000 + 10_000
  while (seen < total && !readDeadline()) {
    const records = await reader.poll(1000, 50)
    const now = performance.now()
    for (const r of records) {
      const seq = seqOf(r)
      if (seq < 0) continue
      seen++
      if (seq >= warmup) latencies.push(now - sentAt[seq]!)
      if (seq >= warmup && process.env.BENCH_SLOW_MS !== undefined && now - sentAt[seq]! > Number(process.env.BENCH_SLOW_MS)) {
        process.stderr.write(`${JSON.stringify({ slow: round(now - sentAt[seq]!, 1), sentAt: Math.round(performance.timeOrigin + sentAt[seq]!), seenAt: Math.round(performance.timeOrigin + now) })}\n`)
      }
    }
    if (app?.state === 'ERROR') throw new Error(`app failed: ${String(app.error)}`)
  }
  await sending
  const achievedRate = total / ((performance.now() - sendStarted) / 1000)
  stopPipe = true
  await pipeDone
  await app?.close({ timeoutMs: 5_000 })
  if (seen < total) throw new Error(`only ${seen} of ${total} outputs seen within the deadline`)
  const sorted = Float64Array.from(latencies).sort()
  printResult({
    records: total,
    seconds: round(total / rate, 1),
    recordsPerSec: Math.round(Math.min(achievedRate, rate)),
    p50Ms: round(percentile(sorted, 50), 2),
    p99Ms: round(percentile(sorted, 99), 2),
    maxMs: round(sorted[sorted.length - 1]!, 1),
    extra: { mode, guarantee: mode === 'app' ? guarantee : undefined, measured: sorted.length, p90Ms: round(percentile(sorted, 90), 2), p999Ms: round(percentile(sorted, 99.9), 2) },
  })
  await Promise.race([broker.close(), new Promise((r) => setTimeout(r, 3_000))])
}
