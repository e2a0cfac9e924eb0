/** Helpers for tests that run `streamfold run` against an embedded broker directory. */
import { request } from 'node:http'
import path from 'node:path'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../../src/runtime/broker/embedded/embedded-broker'
import type { CliRun } from './cli-process'

export interface WorkerDirs {
  readonly dataDir: string
  readonly stateDir: string
  /** The flags that point a command at these directories. */
  readonly flags: readonly string[]
}

export function workerDirs(root: string): WorkerDirs {
  const dataDir = path.join(root, 'broker')
  const stateDir = path.join(root, 'state')
  return { dataDir, stateDir, flags: ['--data-dir', dataDir, '--state-dir', stateDir] }
}

/** Opens the durable embedded broker while no worker has it, runs `use`, closes it. */
export async function withBroker<T>(dataDir: string, use: (broker: EmbeddedBroker) => Promise<T>): Promise<T> {
  const broker = await createEmbeddedBroker({ dataDir, cleanerIntervalMs: 0 })
  try {
    return await use(broker)
  } finally {
    await broker.close()
  }
}

/** The port of the worker's HTTP endpoints, from its log line. */
export async function httpPort(run: CliRun): Promise<number> {
  const line = await run.waitForLine((l) => l.includes('observability endpoints'))
  return (JSON.parse(line) as { port: number }).port
}

export function httpGet(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: urlPath }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode!, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** The value of one Prometheus series (summed over label sets that contain `labels`). */
export function metricValue(text: string, name: string, labels = ''): number {
  let total = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue
    if (labels !== '' && !line.includes(labels)) continue
    total += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return total
}
