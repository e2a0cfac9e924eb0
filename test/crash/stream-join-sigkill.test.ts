/**
 * A KStream-KStream join in a real process SIGKILLed at random moments (exactly_once, durable
 * embedded broker, LevelDB), once with its state directory wiped before the restart so the join
 * stores come back from their changelogs only, then run to the end. The read_committed output must
 * be exactly the reference: every pair of one key within the window, once. A pair whose two
 * records were processed by different runs can only be joined if the stores kept what the killed
 * runs committed. The outer join also holds records without a match across the kills (matched
 * ones deleted, others restored with the in-memory waiting store); the last run closes every
 * window, and each record that never matched must come out once, joined with null, and no other.
 */
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'
import type { OutgoingRecord, TopicPartition } from '../../src/runtime/broker/broker'
import { createEmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import { readTopic, tempDirs } from '../integration/support/app-test-kit'
import { JOIN_GRACE_MS, JOIN_WINDOWS_MS, type JoinWorkerArgs } from './fixtures/join-worker'

jest.setTimeout(120_000)
const tempDir = tempDirs()
const ROOT = path.resolve(__dirname, '../..')
const PARTITIONS = 2
const COUNT = 2_000
const KEYS = 40
const T0 = 1_000_000

/** Order i and payment i of key i % KEYS, 2 ms apart per index: each order meets about 3 payments.
 *  Every 25th order and payment has a key of its own (`lonely-...`): it never finds a match. */
function input(): { orders: OutgoingRecord[]; payments: OutgoingRecord[] } {
  const make = (topic: string, prefix: string, offset: number, lonely: number): OutgoingRecord[] =>
    Array.from({ length: COUNT }, (_, i) => ({
      topic,
      key: Buffer.from(i % 25 === lonely ? `lonely-${prefix}${i}` : `k${i % KEYS}`),
      value: Buffer.from(`${prefix}${i}`),
      timestamp: T0 + 2 * i + offset,
      headers: [],
    }))
  return { orders: make('orders', 'o', 0, 0), payments: make('payments', 'p', 1, 7) }
}

function reference(orders: readonly OutgoingRecord[], payments: readonly OutgoingRecord[], kind: 'inner' | 'outer'): string[] {
  const out: string[] = []
  const matched = new Set<OutgoingRecord>()
  for (const o of orders) {
    for (const p of payments) {
      if (o.key!.equals(p.key!) && Math.abs(o.timestamp! - p.timestamp!) <= JOIN_WINDOWS_MS) {
        out.push(`${o.key!.toString()}=${o.value!.toString()}+${p.value!.toString()}`)
        matched.add(o).add(p)
      }
    }
  }
  if (kind === 'outer') {
    for (const o of orders) if (!matched.has(o)) out.push(`${o.key!.toString()}=${o.value!.toString()}+null`)
    for (const p of payments) if (!matched.has(p)) out.push(`${p.key!.toString()}=null+${p.value!.toString()}`)
  }
  return out.sort()
}

/** Runs the join worker; resolves its exit once `until` is printed and `then` has run. */
async function runWorker(args: JoinWorkerArgs, until: 'running' | 'done', then: (kill: () => void) => Promise<void>): Promise<number | string> {
  const child = spawn(process.execPath, ['--require', path.join(ROOT, 'test/support/ts-register.js'), path.join(__dirname, 'fixtures/join-worker.ts'), JSON.stringify(args)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code ?? -1)))
  const printed = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => line === until && resolve())
    void exited.then((how) => reject(new Error(`join worker exited (${how}) before printing "${until}": ${stderr}`)))
  })
  try {
    await printed
    await then(() => child.kill('SIGKILL'))
  } finally {
    if (child.exitCode === null && child.signalCode === null && until === 'running') child.kill('SIGKILL')
  }
  return exited
}

async function committed(brokerDir: string, groupId: string): Promise<number> {
  const broker = await createEmbeddedBroker({ dataDir: brokerDir, cleanerIntervalMs: 0 })
  try {
    const partitions: TopicPartition[] = ['orders', 'payments'].flatMap((topic) => Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })))
    return (await broker.admin().committedOffsets(groupId, partitions)).reduce((n, o) => n + o.offset, 0)
  } finally {
    await broker.close()
  }
}

test.each(['inner', 'outer'] as const)('an %s join SIGKILLed 3 times (state wiped once) produces every pair, and every record left unmatched, exactly once', async (kind) => {
  const dir = tempDir('join-sigkill')
  const args: JoinWorkerArgs = {
    brokerDir: path.join(dir, 'broker'),
    stateDir: path.join(dir, 'state'),
    applicationId: 'join-sigkill',
    partitions: PARTITIONS,
    untilDone: false,
    throttleEvery: 4,
    kind,
  }
  const { orders, payments } = input()
  const broker = await createEmbeddedBroker({ dataDir: args.brokerDir, cleanerIntervalMs: 0 })
  try {
    await broker.admin().ensureTopics(['orders', 'payments', 'joined'].map((name) => ({ name, partitions: PARTITIONS })))
    const producer = broker.producer()
    await producer.connect()
    // Interleaved by index, so every run sees both sides.
    orders.forEach((o, i) => (producer.send(o), producer.send(payments[i]!)))
    await producer.flush()
    await producer.close()
  } finally {
    await broker.close()
  }

  const progress: number[] = []
  for (let kill = 0; kill < 3 || (kill < 6 && progress.at(-1) === 0); kill++) {
    const delay = 100 + Math.floor(Math.random() * 400)
    await runWorker(args, 'running', async (killNow) => {
      await new Promise((r) => setTimeout(r, delay))
      killNow()
    })
    progress.push(await committed(args.brokerDir, args.applicationId))
    if (kill === 1) rmSync(args.stateDir, { recursive: true, force: true }) // the next run restores from the changelogs only
  }
  // The kills landed mid-run: some input committed, not all of it.
  expect({ progress, midRun: progress.at(-1)! > 0 && progress.at(-1)! < 2 * COUNT }).toEqual({ progress, midRun: true })

  // The outer join's last run sends an order past every window's grace to each partition: what is still held comes out.
  const closeWindowsAt = kind === 'outer' ? T0 + 2 * COUNT + JOIN_WINDOWS_MS + JOIN_GRACE_MS + 1 : undefined
  expect(await runWorker({ ...args, untilDone: true, closeWindowsAt }, 'done', async () => {})).toBe(0)
  const check = await createEmbeddedBroker({ dataDir: args.brokerDir, cleanerIntervalMs: 0 })
  try {
    const output = (await readTopic(check, 'joined', 'read_committed')).map((r) => `${r.key!.toString()}=${r.value!.toString()}`).sort()
    const expected = reference(orders, payments, kind)
    expect(expected.length).toBeGreaterThan(2 * COUNT)
    if (kind === 'outer') expect(expected.filter((r) => r.includes('null')).length).toBe(2 * (COUNT / 25))
    expect({ progress, output }).toEqual({ progress, output: expected })
  } finally {
    await check.close()
  }
})
