/**
 * The main job (README command 1, `npm start`): a long-lived worker on the embedded broker.
 *
 *   npm start   =  streamfold run dist/examples/main.js   (data in ./data)
 *
 * It exports what `streamfold run` needs: the topology, its config, and `attach`, which creates
 * the topics, feeds `page-views` with generated events (and now and then a malformed one, which
 * the deserialization handler dead-letters), and prints the running per-page counts every few
 * seconds. Ctrl-C stops it cleanly; kill -9 works too: on the next start the counts continue,
 * restored from the changelog and the local state in ./data.
 */
import { Serdes } from 'streamfold'
import { pageViewsTopology, TOPICS, type PageView } from './page-views-topology'
import type { ExampleRecord, ExampleWorker } from './worker-api'

export const topology = pageViewsTopology()

export const config = {
  applicationId: 'page-views-example',
  processingGuarantee: 'exactly_once',
  onDeserializationError: 'deadLetter',
  summaryIntervalMs: 60_000,
}

const PARTITIONS = 3
const EVENTS_PER_SECOND = 20
const REPORT_EVERY_MS = 5_000
const URLS = ['/', '/pricing', '/docs', '/health', '/checkout', '/login']

export async function attach(worker: ExampleWorker): Promise<() => Promise<void>> {
  const admin = worker.broker.admin()
  const outputs = [TOPICS.errors, TOPICS.slow, TOPICS.clean].map((name) => ({ name, partitions: PARTITIONS }))
  await admin.ensureTopics([
    { name: TOPICS.input, partitions: PARTITIONS },
    ...outputs,
    // Compacted: only the latest count per page is needed to show the totals after a restart.
    { name: TOPICS.counts, partitions: PARTITIONS, config: { 'cleanup.policy': 'compact' } },
  ])
  const stopGenerator = await startGenerator(worker)
  const stopReport = startReport(worker)
  say(worker, `Generating ${EVENTS_PER_SECOND} page views/s into "${TOPICS.input}"; counts per page every ${REPORT_EVERY_MS / 1000} s.`)
  say(worker, 'Stop with Ctrl-C: the worker commits and exits. Start it again (npm start) and the counts continue where they stopped, even after kill -9: state comes back from ./data.')
  return async () => {
    await stopGenerator()
    await stopReport()
  }
}

async function startGenerator(worker: ExampleWorker): Promise<() => Promise<void>> {
  const producer = worker.broker.producer({ clientId: 'page-views-generator' })
  await producer.connect()
  const json = Serdes.json<PageView>()
  let seed = Date.now() | 1
  const random = (): number => {
    // xorshift: cheap and good enough for made-up traffic.
    seed ^= seed << 13
    seed ^= seed >>> 17
    seed ^= seed << 5
    return (seed >>> 0) / 0x1_0000_0000
  }
  let sent = 0
  const timer = setInterval(() => {
    for (let i = 0; i < EVENTS_PER_SECOND / 10; i++) {
      const view: PageView = {
        url: URLS[Math.floor(random() * URLS.length)]!,
        status: random() < 0.08 ? 503 : 200,
        ms: Math.round(random() < 0.15 ? 1000 + random() * 4000 : 20 + random() * 400),
      }
      // About one in 400 is cut short: the worker dead-letters it and carries on.
      const value = random() < 0.0025 ? Buffer.from('{"url":"/pri') : json.serialize(view, TOPICS.input)
      producer.send({ topic: TOPICS.input, key: Buffer.from(`user-${Math.floor(random() * 50)}`), value, timestamp: Date.now(), headers: [] })
      sent++
    }
  }, 100)
  return async () => {
    clearInterval(timer)
    await producer.flush().catch(() => undefined)
    await producer.close()
    say(worker, `Generated ${sent} page views in this run.`)
  }
}

function startReport(worker: ExampleWorker): () => Promise<void> {
  const reader = worker.broker.reader()
  const counts = new Map<string, number>()
  const positions = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: TOPICS.counts, partition, offset: 0 }))
  const double = Serdes.double()
  const onBatch = (records: readonly ExampleRecord[]): void => {
    for (const r of records) if (r.key !== null && r.value !== null) counts.set(r.key.toString(), double.deserialize(r.value, r.topic))
  }
  let reading: Promise<void> | undefined
  const report = async (): Promise<void> => {
    for (const p of positions) p.offset = await reader.readToEnd(p, onBatch, { isolationLevel: 'read_committed' })
    const s = worker.stats()
    const dead = Object.entries(s.errors).filter(([k]) => k.endsWith('/dead_lettered')).reduce((n, [, v]) => n + v, 0)
    const pages = [...counts].sort((a, b) => b[1] - a[1]).map(([url, n]) => `${url} ${n}`)
    const time = new Date().toTimeString().slice(0, 8)
    say(worker, `${time} ${s.state ?? ''}: processed ${s.processed} (${Math.round(s.recordsPerSecond)}/s), lag ${s.lag}, dead letters ${dead}`)
    say(worker, `  views per page: ${pages.length === 0 ? '(none yet)' : pages.join(' | ')}`)
  }
  const timer = setInterval(() => {
    reading ??= report()
      .catch(() => undefined)
      .finally(() => (reading = undefined))
  }, REPORT_EVERY_MS)
  return async () => {
    clearInterval(timer)
    await reading
    await reader.close()
  }
}

function say(worker: ExampleWorker, line: string): void {
  worker.stdout.write(`${line}\n`)
}
