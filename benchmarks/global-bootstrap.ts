/**
 * How fast a GlobalKTable bootstraps: the app reads every partition of the table's topic to its
 * end into its global store before it joins the group (docs/joins.md), so this is start-up time
 * a user waits for. Seeds `--rows` rows (100-byte values, distinct keys, 16 partitions) on a
 * durable embedded broker, then starts an app that joins a stream with the table:
 * - `cold`: empty state dir, every row read and written to LevelDB;
 * - `warm`: the same state dir again: the stored offsets are at the end, nothing to read.
 * `rowsPerSec` is rows / (cold - warm), start-up costs that are not the bootstrap taken out;
 * `cpuUsPerRow` is the cold start's CPU (this process: the broker's reads included) per row.
 * One JSON line per repetition, then the medians.
 *
 *   node -r ./test/support/ts-register.js benchmarks/global-bootstrap.ts [--rows 500000] [--reps 3]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { Serdes, StreamBuilder, StreamsApp } from '../src/index'
import { createEmbeddedBroker, type EmbeddedBroker } from '../src/runtime/broker/embedded/embedded-broker'
import { createLogger } from '../src/logger'

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i < 0 ? fallback : process.argv[i + 1]!
}

const rows = Number(option('rows', '500000'))
const reps = Number(option('reps', '3'))
const PARTITIONS = 16

async function seed(broker: EmbeddedBroker): Promise<void> {
  await broker.admin().ensureTopics([
    { name: 'rows', partitions: PARTITIONS },
    { name: 'in', partitions: 4 },
    { name: 'out', partitions: 4 },
  ])
  const producer = broker.producer()
  await producer.connect()
  const value = Buffer.alloc(100, 97)
  for (let i = 0; i < rows; i++) {
    producer.send({ topic: 'rows', key: Buffer.from(`row-${i}`), value, timestamp: 1, headers: [] })
    if (i % 20_000 === 0) await producer.flush()
  }
  await producer.flush()
}

/** Milliseconds from start() to RUNNING: the bootstrap, plus opening and joining. */
async function timedStart(broker: EmbeddedBroker, stateDir: string): Promise<number> {
  const builder = new StreamBuilder()
  const table = builder.globalTable('rows', { key: Serdes.string(), value: Serdes.string() })
  builder
    .stream('in', { key: Serdes.string(), value: Serdes.string() })
    .join(table, (key) => key, (_key, value, row) => value + row)
    .to('out', { key: Serdes.string(), value: Serdes.string() })
  const app = new StreamsApp(builder.build(), {
    applicationId: 'bench-global-bootstrap',
    broker: { instance: broker },
    stateDir,
    logger: createLogger({ level: 'warn', destination: process.stderr }),
  })
  const started = performance.now()
  await app.start()
  const ms = performance.now() - started
  await app.close()
  return ms
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-global-'))
  const broker = await createEmbeddedBroker({ dataDir: path.join(dir, 'broker'), cleanerIntervalMs: 0 })
  try {
    await seed(broker)
    const rates: number[] = []
    for (let rep = 0; rep < reps; rep++) {
      const stateDir = path.join(dir, `state-${rep}`)
      const cpuBefore = process.cpuUsage()
      const cold = await timedStart(broker, stateDir)
      const cpu = process.cpuUsage(cpuBefore)
      const warm = await timedStart(broker, stateDir)
      const rowsPerSec = Math.round(rows / ((cold - warm) / 1000))
      rates.push(rowsPerSec)
      const cpuUsPerRow = Math.round(((cpu.user + cpu.system) / rows) * 100) / 100
      const rssMb = Math.round(process.memoryUsage().rss / 2 ** 20)
      console.log(JSON.stringify({ bench: 'global-bootstrap', rep, rows, coldMs: Math.round(cold), warmMs: Math.round(warm), rowsPerSec, cpuUsPerRow, rssMb }))
      rmSync(stateDir, { recursive: true, force: true })
    }
    console.log(JSON.stringify({ bench: 'global-bootstrap', rows, reps, rowsPerSec: median(rates), rowsPerSecRuns: rates }))
  } finally {
    await broker.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
