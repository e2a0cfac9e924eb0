/**
 * Throughput of streamfold's Kafka adapter on librdkafka's mock cluster (loopback, in memory):
 * plain produce + flush, group consume with poll(), transactional produce, restore reads, and the
 * latency of a confirmed offset commit. Prints one JSON line per measurement.
 *
 *   node -r ./test/support/ts-register.js benchmarks/kafka-adapter.ts [--records 200000]
 *     [--value-bytes 100] [--partitions 16] [--txn-batch 1000] [--poll-max 1000]
 *
 * The mock keeps at most 5 MiB per partition and silently drops older data past that: keep
 * records * (value-bytes + ~40) / partitions under it.
 */
import type { BrokerRecord, OutgoingRecord } from '../src/runtime/broker/broker'
import { KafkaBroker } from '../src/runtime/broker/kafka/kafka-broker'
import { startMockCluster } from '../test/support/mock-cluster/start-mock-cluster'

const args = parseArgs(process.argv.slice(2))
const RECORDS = args.number('records', 200_000)
const VALUE_BYTES = args.number('value-bytes', 100)
const PARTITIONS = args.number('partitions', 16)
const TXN_BATCH = args.number('txn-batch', 1_000)
const POLL_MAX = args.number('poll-max', 1_000)

async function main(): Promise<void> {
  const cluster = await startMockCluster({
    brokers: 3,
    topics: [
      { name: 'plain', partitions: PARTITIONS },
      { name: 'txn', partitions: PARTITIONS },
    ],
  })
  const broker = new KafkaBroker({ bootstrapServers: cluster.bootstrapServers, topicCreation: 'auto' })
  try {
    const value = Buffer.alloc(VALUE_BYTES, 120)
    const record = (topic: string, i: number): OutgoingRecord => ({
      topic,
      key: Buffer.from(`key-${i % 10_000}`),
      value,
      timestamp: Date.now(),
      headers: [],
    })

    const producer = broker.producer()
    await producer.connect()
    const warm = Date.now()
    producer.send(record('plain', 0))
    await producer.flush()
    report('producer-first-flush', { ms: Date.now() - warm })

    let t = process.hrtime.bigint()
    for (let i = 1; i < RECORDS; i++) producer.send(record('plain', i))
    const sendMs = msSince(t)
    await producer.flush()
    report('produce', { records: RECORDS - 1, sendMs: round(sendMs), ...rate(RECORDS - 1, msSince(t)) })

    const consumer = broker.consumer({ groupId: 'bench', autoOffsetReset: 'earliest', sessionTimeoutMs: 3_000, heartbeatIntervalMs: 300 })
    await consumer.subscribe(['plain'], { onAssigned: () => undefined, onRevoked: () => undefined, onLost: () => undefined })
    let got = 0
    let first: bigint | undefined
    let polls = 0
    while (got < RECORDS) {
      const batch: BrokerRecord[] = await consumer.poll(POLL_MAX, 100)
      if (batch.length > 0 && first === undefined) first = process.hrtime.bigint()
      got += batch.length
      polls++
    }
    report('consume', { records: got, polls, ...rate(got, msSince(first!)) })

    const commits = 200
    t = process.hrtime.bigint()
    for (let i = 0; i < commits; i++) await consumer.commit([{ topic: 'plain', partition: i % PARTITIONS, offset: i + 1 }])
    report('commit', { commits, meanMs: round(msSince(t) / commits) })

    const reader = broker.reader()
    t = process.hrtime.bigint()
    let read = 0
    for (let p = 0; p < PARTITIONS; p++) {
      await reader.readToEnd({ topic: 'plain', partition: p, offset: 0 }, (b) => void (read += b.length), { maxBatchRecords: 1_000 })
    }
    report('restore-read', { records: read, ...rate(read, msSince(t)) })

    const tx = broker.producer({ transactionalId: 'bench-tx' })
    await tx.connect()
    t = process.hrtime.bigint()
    let txns = 0
    for (let i = 0; i < RECORDS; ) {
      await tx.beginTransaction()
      const end = Math.min(RECORDS, i + TXN_BATCH)
      for (; i < end; i++) tx.send(record('txn', i))
      await tx.sendOffsetsToTransaction([{ topic: 'plain', partition: 0, offset: 1 }], consumer)
      await tx.commitTransaction()
      txns++
    }
    const txMs = msSince(t)
    report('produce-transactional', { records: RECORDS, transactions: txns, batch: TXN_BATCH, ...rate(RECORDS, txMs), msPerTransaction: round(txMs / txns) })
    report('memory', { rssMb: Math.round(process.memoryUsage().rss / 1e6) })
  } finally {
    await broker.close()
    await cluster.stop()
  }
}

function report(name: string, fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ bench: 'kafka-adapter', name, ...fields })}\n`)
}

function msSince(t: bigint): number {
  return Number(process.hrtime.bigint() - t) / 1e6
}

function rate(count: number, ms: number): { ms: number; perSec: number } {
  return { ms: round(ms), perSec: Math.round((count / ms) * 1000) }
}

function round(n: number): number {
  return Math.round(n * 10) / 10
}

function parseArgs(argv: readonly string[]): { number(name: string, fallback: number): number } {
  return {
    number(name, fallback) {
      const i = argv.indexOf(`--${name}`)
      const raw = i >= 0 ? argv[i + 1] : undefined
      const n = raw === undefined ? fallback : Number(raw)
      if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`)
      return n
    },
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String((error as Error).stack ?? error)}\n`)
  process.exitCode = 1
})
