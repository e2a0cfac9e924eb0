/** Runs test/crash/fixtures/count-worker.ts as a real child process and kills it with SIGKILL. */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { createEmbeddedBroker } from '../../../src/runtime/broker/embedded/embedded-broker'
import type { OutgoingRecord } from '../../../src/runtime/broker/broker'
import type { WorkerArgs } from '../fixtures/count-worker'

const ROOT = path.resolve(__dirname, '../../..')
const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

export interface Worker {
  /** Resolves when the worker printed `line` (rejects if it exits first). */
  waitFor(line: 'running' | 'done'): Promise<void>
  kill(): Promise<void>
  /** Exit code, or the signal's name. */
  readonly exited: Promise<number | string>
  readonly stderr: () => string
}

export function startWorker(args: WorkerArgs): Worker {
  const child = spawn(process.execPath, ['--require', path.join(ROOT, 'test/support/ts-register.js'), path.join(ROOT, 'test/crash/fixtures/count-worker.ts'), JSON.stringify(args)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  live.add(child)
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  const seen = new Set<string>()
  const waiters: Array<{ line: string; resolve: () => void }> = []
  createInterface({ input: child.stdout! }).on('line', (line) => {
    seen.add(line)
    for (const w of waiters.filter((x) => x.line === line)) w.resolve()
  })
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child)
      resolve(signal ?? code ?? -1)
    }),
  )
  return {
    exited,
    stderr: () => stderr,
    waitFor: (line) =>
      seen.has(line)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            waiters.push({ line, resolve })
            void exited.then((how) => reject(new Error(`worker exited (${how}) before printing "${line}": ${stderr}`)))
          }),
    kill: async () => {
      child.kill('SIGKILL')
      await exited
    },
  }
}

/** Creates the topics and writes the input into a durable embedded broker, then closes it. */
export async function prepareBroker(brokerDir: string, partitions: number, input: readonly OutgoingRecord[]): Promise<void> {
  const broker = await createEmbeddedBroker({ dataDir: brokerDir, cleanerIntervalMs: 0 })
  try {
    await broker.admin().ensureTopics([
      { name: 'in', partitions },
      { name: 'counts', partitions },
    ])
    const producer = broker.producer()
    await producer.connect()
    for (const record of input) producer.send(record)
    await producer.flush()
    await producer.close()
  } finally {
    await broker.close()
  }
}

/** Runs a worker to the end of the input; fails if it does not finish cleanly. */
export async function runToEnd(args: Omit<WorkerArgs, 'untilDone'>): Promise<void> {
  const worker = startWorker({ ...args, untilDone: true })
  await worker.waitFor('done')
  const how = await worker.exited
  if (how !== 0) throw new Error(`final worker exited with ${how}: ${worker.stderr()}`)
}
