/**
 * Diagnostic for the Kafka adapter's commit cost: how long `flush()` takes after N records were
 * sent while the event loop was busy (as the runtime is while it processes a micro-batch) versus
 * idle. librdkafka delivers in its own threads either way; what could wait is JS work per record
 * on the event loop. With a delivery-report callback per record (before 2d0e554), 5000 records
 * left 14-17 ms of callbacks for a flush after a busy loop, 0 ms after an idle one; with
 * failure-only reports both take 0.2-0.6 ms.
 *
 *   node -r ./test/support/ts-register.js benchmarks/kafka-flush-stall.ts [--records 5000] [--rounds 3]
 */
import { KafkaBroker } from '../src/runtime/broker/kafka/kafka-broker'
import { startMockCluster } from '../test/support/mock-cluster/start-mock-cluster'

const argv = process.argv.slice(2)
const option = (name: string, fallback: number): number => {
  const i = argv.indexOf(`--${name}`)
  return i < 0 ? fallback : Number(argv[i + 1])
}
const RECORDS = option('records', 5_000)
const ROUNDS = option('rounds', 3)
const BUSY_MS = 100

async function main(): Promise<void> {
  const cluster = await startMockCluster({ brokers: 3, topics: [{ name: 'stall', partitions: 16 }] })
  const broker = new KafkaBroker({ bootstrapServers: cluster.bootstrapServers, topicCreation: 'auto' })
  try {
    const producer = broker.producer()
    await producer.connect()
    const value = Buffer.alloc(100, 1)
    const keys = Array.from({ length: RECORDS }, (_, i) => Buffer.from(`key-${i}`))
    const round = async (busy: boolean): Promise<number> => {
      for (const key of keys) producer.send({ topic: 'stall', key, value, timestamp: Date.now(), headers: [] })
      const started = performance.now()
      if (busy) while (performance.now() - started < BUSY_MS); // the thread is processing
      else await new Promise((r) => setTimeout(r, BUSY_MS))
      const flushStarted = performance.now()
      await producer.flush()
      return performance.now() - flushStarted
    }
    await round(false) // warm-up: connections, metadata
    for (let r = 0; r < ROUNDS; r++) {
      for (const busy of [true, false]) {
        const ms = await round(busy)
        process.stdout.write(`${JSON.stringify({ bench: 'kafka-flush-stall', records: RECORDS, eventLoop: busy ? 'busy' : 'idle', waitMs: BUSY_MS, flushMs: Math.round(ms * 10) / 10 })}\n`)
      }
    }
  } finally {
    await Promise.race([broker.close(), new Promise((r) => setTimeout(r, 3_000))])
    await cluster.stop()
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String((error as Error).stack ?? error)}\n`)
  process.exitCode = 1
})
