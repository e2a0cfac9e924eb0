/**
 * Peak RSS of a count app between commits, against `maxUncommittedBytes` (Kafka Streams'
 * statestore.uncommitted.max.bytes). An at_least_once app commits every 30 s by default, and only
 * a commit empties the stores' write buffers: with many distinct keys, everything changed in 30 s
 * is held in memory unless the bound starts a commit sooner.
 *
 *   node -r ./test/support/ts-register.js benchmarks/uncommitted-rss.ts \
 *     [--records 1000000] [--keys 1000000] [--seconds 12] [--reps 3] [--bounds Infinity,67108864,16777216]
 *
 * Each run is a child process: a copy of a seeded embedded broker (1M records, uniform keys, 16
 * partitions; seeded once into node_modules/.cache), the benchmark's count topology (caching on,
 * the default) at the at_least_once default commit interval, for `--seconds` (long enough to
 * process every record, shorter than the 30 s interval). It prints one JSON line per run, then
 * the medians: peak RSS (getrusage maxrss), RSS before the app started, early commits, and how
 * long the app took to process every record.
 */
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { StreamsApp } from '../src/index'
import { createEmbeddedBroker } from '../src/runtime/broker/embedded/embedded-broker'
import { createLogger } from '../src/logger'
import { GROUP_TIMING, seedEmbedded } from './harness/brokers'
import { dataset } from './harness/data'
import { buildTopology } from './harness/topologies'

const args = process.argv.slice(2)
function arg(name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback
}

const records = Number(arg('records', '1000000'))
const keys = Number(arg('keys', '1000000'))
const seconds = Number(arg('seconds', '12'))

interface RunResult {
  readonly bound: string
  readonly peakRssMb: number
  readonly beforeRssMb: number
  readonly earlyCommits: number
  readonly processedMs: number | undefined
  readonly processed: number
}

/** One run in this process: the app over a copy of the template for `seconds`. */
async function child(template: string, bound: string): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'uncommitted-rss-'))
  try {
    cpSync(template, path.join(dir, 'broker'), { recursive: true })
    const broker = await createEmbeddedBroker({ dataDir: path.join(dir, 'broker') })
    let earlyCommits = 0
    // The early-commit debug line is the one count of early commits the app exposes.
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void (line.includes('early commit') && earlyCommits++) } as unknown as NodeJS.WritableStream, format: 'json' })
    let processed = 0
    let processedAt: number | undefined
    const topology = buildTopology('count', 'in', 'out')
    const app = new StreamsApp(topology, {
      applicationId: 'uncommitted-rss',
      broker: { instance: broker },
      stateDir: path.join(dir, 'state'),
      processingGuarantee: 'at_least_once',
      logger,
      maxUncommittedBytes: Number(bound),
      ...GROUP_TIMING,
    })
    const consumer = broker.consumer.bind(broker)
    // Records handed to the app, counted at poll (the harness's observer does the same).
    broker.consumer = (options) => {
      const c = consumer(options)
      const poll = c.poll.bind(c)
      c.poll = async (max, timeout) => {
        const batch = await poll(max, timeout)
        processed += batch.length
        if (processed >= records && processedAt === undefined) processedAt = performance.now()
        return batch
      }
      return c
    }
    const beforeRssMb = Math.round(process.memoryUsage().rss / 2 ** 20)
    const started = performance.now()
    await app.start()
    await new Promise((r) => setTimeout(r, seconds * 1000))
    const result: RunResult = {
      bound,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      beforeRssMb,
      earlyCommits,
      processedMs: processedAt === undefined ? undefined : Math.round(processedAt - started),
      processed,
    }
    console.log(JSON.stringify(result))
    await app.close({ timeoutMs: 60_000 })
    await broker.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

function driver(): void {
  const bounds = arg('bounds', `Infinity,${64 * 2 ** 20},${16 * 2 ** 20}`).split(',')
  const reps = Number(arg('reps', '3'))
  const template = path.resolve('node_modules/.cache/streamfold-bench', `uncommitted-rss-${records}-${keys}`)
  const self = [...process.execArgv, __filename]
  if (!existsSync(template)) execFileSync(process.execPath, [...self, '--seed', template, '--records', String(records), '--keys', String(keys)], { stdio: 'inherit' })
  const results = new Map<string, RunResult[]>(bounds.map((b) => [b, []]))
  for (let rep = 0; rep < reps; rep++) {
    // Rotated order per repetition, as the suite alternates variants.
    for (let i = 0; i < bounds.length; i++) {
      const bound = bounds[(i + rep) % bounds.length]!
      const out = execFileSync(process.execPath, [...self, '--child', template, '--bound', bound, '--records', String(records), '--seconds', String(seconds)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
      const line = out.trim().split('\n').pop()!
      console.log(line)
      results.get(bound)!.push(JSON.parse(line) as RunResult)
    }
  }
  for (const [bound, runs] of results) {
    console.log(
      JSON.stringify({
        bench: 'uncommitted-rss',
        records,
        keys,
        maxUncommittedBytes: bound,
        peakRssMb: median(runs.map((r) => r.peakRssMb)),
        peakRssMbRuns: runs.map((r) => r.peakRssMb),
        beforeRssMb: median(runs.map((r) => r.beforeRssMb)),
        earlyCommits: median(runs.map((r) => r.earlyCommits)),
        processedMs: median(runs.map((r) => r.processedMs ?? Number.NaN)),
      }),
    )
  }
}

async function main(): Promise<void> {
  const seed = arg('seed', '')
  if (seed !== '') {
    await seedEmbedded(seed, dataset({ records, keys, distribution: 'uniform' }), { input: 'in', partitions: 16, others: ['out'] })
    return
  }
  const template = arg('child', '')
  if (template !== '') return child(template, arg('bound', 'Infinity'))
  driver()
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
