/**
 * A GlobalKTable in a real process SIGKILLed in the middle of a catch-up: once during the
 * bootstrap, once during the background catch-up while the app runs and writes more rows. After
 * each kill the stored offsets and rows agree (they are one LevelDB batch): the restart applies
 * exactly the records past the stored offsets, never the topic from offset 0, and in the end every
 * key holds its latest value.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { createEmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import { GlobalState } from '../../src/runtime/global/global-state'
import { FAIL_ON_ERRORS } from '../../src/runtime/task/record-error-handlers'
import type { ValueAndTimestamp } from '../../src/processors/stateful/value-and-timestamp'
import type { KeyValueStore } from '../../src/state/key-value-store'
import { readTopic, tempDirs } from '../integration/support/app-test-kit'
import { customerRow, globalWorkerTopology, type GlobalWorkerArgs } from './fixtures/global-worker'

jest.setTimeout(120_000)
const tempDir = tempDirs()
const ROOT = path.resolve(__dirname, '../..')
const PARTITIONS = 4
const FIRST = 20_000
const SECOND = 6_000

interface WorkerRun {
  /** Records the bootstrap applied ("global stores are up to date"). */
  bootstrapped?: number
  exit: number | string
}

/**
 * Runs the worker until it has made `commits` commits of the global store after printing `after`
 * (then SIGKILLs it), or to its end.
 */
async function runWorker(args: GlobalWorkerArgs, killAt?: { after: 'start' | 'produced' | 'running'; commits: number }): Promise<WorkerRun> {
  const child = spawn(process.execPath, ['--require', path.join(ROOT, 'test/support/ts-register.js'), path.join(__dirname, 'fixtures/global-worker.ts'), JSON.stringify(args)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  const run: Partial<WorkerRun> = {}
  let armed = killAt?.after === 'start'
  let commits = 0
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line === killAt?.after) armed = true
    if (!line.startsWith('{')) return
    const entry = JSON.parse(line) as { msg?: string; taskId?: string; records?: number }
    if (entry.msg === 'global stores are up to date') run.bootstrapped = entry.records
    if (entry.msg === 'state committed' && entry.taskId === 'global' && armed && killAt !== undefined && ++commits === killAt.commits) child.kill('SIGKILL')
  })
  run.exit = await new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code ?? -1)))
  if (run.exit !== 'SIGKILL' && run.exit !== 0) throw new Error(`global worker exited with ${run.exit}: ${stderr}`)
  return run as WorkerRun
}

/** The global store as the killed process left it: its rows and the sum of its stored offsets. */
async function storedState(args: GlobalWorkerArgs): Promise<{ rows: Map<string, string>; applied: number }> {
  const globals = await GlobalState.open({ applicationId: args.applicationId, specs: globalWorkerTopology(0).globalStores, stateDir: args.stateDir, errorHandlers: FAIL_ON_ERRORS })
  try {
    const rows = new Map<string, string>()
    for await (const { key, value } of (globals.store('customers') as KeyValueStore<string, ValueAndTimestamp<string>>).all()) rows.set(key, value.value)
    let applied = 0
    for (let p = 0; p < PARTITIONS; p++) applied += globals.nextOffset('customers', p)
    return { rows, applied }
  } finally {
    await globals.close()
  }
}

/** Every key's latest value in the topic, and its record count. */
async function topicState(brokerDir: string): Promise<{ latest: Map<string, string>; total: number }> {
  const broker = await createEmbeddedBroker({ dataDir: brokerDir, cleanerIntervalMs: 0 })
  try {
    const records = await readTopic(broker, 'customers')
    return { latest: new Map(records.map((r) => [r.key!.toString(), r.value!.toString()])), total: records.length }
  } finally {
    await broker.close()
  }
}

/** A consistent prefix: each stored row is the value of the last record below its partition's stored offset. */
async function expectConsistent(args: GlobalWorkerArgs): Promise<number> {
  const { rows, applied } = await storedState(args)
  const broker = await createEmbeddedBroker({ dataDir: args.brokerDir, cleanerIntervalMs: 0 })
  const expected = new Map<string, string>()
  try {
    const stored = await storedOffsets(args)
    for (const r of await readTopic(broker, 'customers')) if (r.offset < stored[r.partition]!) expected.set(r.key!.toString(), r.value!.toString())
  } finally {
    await broker.close()
  }
  expect(rows).toEqual(expected)
  return applied
}

async function storedOffsets(args: GlobalWorkerArgs): Promise<number[]> {
  const globals = await GlobalState.open({ applicationId: args.applicationId, specs: globalWorkerTopology(0).globalStores, stateDir: args.stateDir, errorHandlers: FAIL_ON_ERRORS })
  try {
    return Array.from({ length: PARTITIONS }, (_, p) => globals.nextOffset('customers', p))
  } finally {
    await globals.close()
  }
}

test('a global store SIGKILLed during its bootstrap and during a background catch-up resumes from its stored offsets and ends with every row at its latest value', async () => {
  const dir = tempDir('global-sigkill')
  const args: GlobalWorkerArgs = { brokerDir: path.join(dir, 'broker'), stateDir: path.join(dir, 'state'), applicationId: 'global-sigkill', throttleEvery: 20, untilDone: false }
  const broker = await createEmbeddedBroker({ dataDir: args.brokerDir, cleanerIntervalMs: 0 })
  try {
    await broker.admin().ensureTopics([
      { name: 'customers', partitions: PARTITIONS },
      { name: 'orders', partitions: 1 },
      { name: 'enriched', partitions: 1 },
    ])
    const producer = broker.producer()
    await producer.connect()
    for (let seq = 0; seq < FIRST; seq++) producer.send(customerRow(seq))
    await producer.flush()
    await producer.close()
  } finally {
    await broker.close()
  }

  // 1. Killed in the bootstrap, after a few committed batches.
  const first = await runWorker(args, { after: 'start', commits: 5 })
  expect(first).toEqual({ exit: 'SIGKILL' })
  const afterFirst = await expectConsistent(args)
  expect(afterFirst).toBeGreaterThan(0)
  expect(afterFirst).toBeLessThan(FIRST)

  // 2. The restart bootstraps only the rest, runs, writes more rows and is killed in a background catch-up.
  const second = await runWorker({ ...args, produce: { from: FIRST, count: SECOND } }, { after: 'running', commits: 3 })
  expect(second).toEqual({ bootstrapped: FIRST - afterFirst, exit: 'SIGKILL' })
  const afterSecond = await expectConsistent(args)
  expect(afterSecond).toBeGreaterThan(FIRST)

  // 3. To the end: again only the records past the stored offsets, and every key at its latest value.
  const last = await runWorker({ ...args, untilDone: true, throttleEvery: 0 })
  const { latest, total } = await topicState(args.brokerDir)
  expect(total).toBeGreaterThan(afterSecond)
  expect(last).toEqual({ bootstrapped: total - afterSecond, exit: 0 })
  const { rows, applied } = await storedState(args)
  expect(applied).toBe(total)
  expect(rows).toEqual(latest)
})
