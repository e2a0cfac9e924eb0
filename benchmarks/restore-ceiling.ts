/**
 * Diagnostic for the restore target (restore >= 80% of a bare read): how fast can LevelDB alone
 * take the restore's writes on this machine, and how fast can a read plus a write go with nothing
 * of streamfold in between? If LevelDB alone is slower than 0.8 x the bare read, that is the
 * ceiling, whatever the restore code does.
 *
 * Data: the restore case's changelog (1M keys of the DSL count store, as `npm run bench -- restore`
 * prepares it). Every run is its own child process, variants alternate, each rep in a fresh DB.
 * Variants (all write `chunk` pairs + one position key per atomic batch, like restore does):
 * - `bare-read`: `readToEnd` of the changelog, nothing done with the records (the bench baseline);
 * - `write-chained` / `write-array`: the pairs, read into memory beforehand (outside the window),
 *   written into a fresh classic-level DB with a chained batch (one `put` call per pair) or with
 *   `db.batch([...])`, one awaited write at a time: LevelDB's own write rate;
 * - `write-chained-2`: the same with one write in flight while the next batch is built;
 * - `read-write`: `readToEnd` whose callback puts each record's key (store prefix + changelog key)
 *   and value straight into a chained batch and awaits its write: the floor of a restore that reads
 *   and writes in turn, with no decode, no `__src` check and no key conversion;
 * - `read-write-overlap`: the same with the write left in flight while the next chunk is read;
 * - `restore`: streamfold's own restore (TaskStores.restore of the count store into an empty state
 *   directory), as the bench's `restore-cold` runs it, for a same-run comparison.
 * Each line reports rec/s, CPU us/rec (all threads) and the main thread's busy share (event loop
 * utilization) over the window. The summary adds `twoCoreBound`: the restore rate two fully
 * parallel cores would give if a restore cost no more than the bare read's CPU plus LevelDB's
 * write CPU (`write-chained`), 2 / (cpu(bare-read) + cpu(write-chained)) records per us, and that
 * rate over the bare read's: an upper bound on the restore ratio on this 2-core machine.
 *
 *   node -r ./test/support/ts-register.js benchmarks/restore-ceiling.ts --template DIR
 *     [--reps 3] [--chunk 1000] [--variant write-chained,read-write]
 * DIR: a prepared restore template (the `prepare` job of benchmarks/variants/restore.ts); built in
 * a temporary directory when missing.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { ClassicLevel } from 'classic-level'
import { createEmbeddedBroker } from '../src/runtime/broker/embedded/embedded-broker'
import type { StoreSpec } from '../src/state/store-spec'
import { TaskStores } from '../src/state/task-stores'
import { buildTopology, COUNT_STORE } from './harness/topologies'

const CHANGELOG = `bench-restore-${COUNT_STORE}-changelog`
const PREFIX = Buffer.from(`!${COUNT_STORE}!`, 'latin1')
const POSITION_KEY = Buffer.from(`!__meta!cl!${COUNT_STORE}`, 'latin1')
const VARIANTS = ['bare-read', 'write-chained', 'write-array', 'write-chained-2', 'read-write', 'read-write-overlap', 'restore'] as const
type Variant = (typeof VARIANTS)[number]
type Level = ClassicLevel<Buffer, Buffer>

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i < 0 ? undefined : process.argv[i + 1]
}

interface Window {
  stop(records: number): Record<string, number>
}

function startWindow(): Window {
  const cpu = process.cpuUsage()
  const elu = performance.eventLoopUtilization()
  const started = performance.now()
  return {
    stop(records) {
      const ms = performance.now() - started
      const used = process.cpuUsage(cpu)
      const busy = performance.eventLoopUtilization(elu).utilization
      return {
        records,
        ms: Math.round(ms),
        recordsPerSec: Math.round((records * 1000) / ms),
        cpuUsPerRecord: Math.round(((used.user + used.system) / records) * 100) / 100,
        mainBusy: Math.round(busy * 100) / 100,
      }
    },
  }
}

async function child(variant: Variant, template: string, workDir: string, chunk: number): Promise<void> {
  const dataDir = path.join(workDir, 'broker')
  cpSync(path.join(template, 'broker'), dataDir, { recursive: true })
  const broker = await createEmbeddedBroker({ dataDir, cleanerIntervalMs: 0 })
  const reader = broker.reader()
  const db: Level = new ClassicLevel<Buffer, Buffer>(path.join(workDir, 'db'), { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  await db.open()
  const from = { topic: CHANGELOG, partition: 0, offset: 0 }
  const options = { isolationLevel: 'read_committed' as const, maxBatchRecords: chunk }
  const position = (offset: number): Buffer => Buffer.from(`0:${offset}`, 'latin1')
  let result: Record<string, number>
  try {
    if (variant === 'restore') {
      await db.close()
      const stores = [buildTopology('count', 'input', 'output').store(COUNT_STORE) as StoreSpec]
      const task = await TaskStores.open({ applicationId: 'bench-restore', taskId: '0_0', stateDir: path.join(workDir, 'state'), changelogPartition: 0, stores })
      const window = startWindow()
      const [restored] = await task.restore({ reader, committedOffsets: [{ topic: 'input', partition: 0, offset: Number.MAX_SAFE_INTEGER }] })
      result = window.stop((restored?.applied ?? 0) + (restored?.skipped ?? 0))
      await task.close()
    } else if (variant === 'bare-read' || variant === 'read-write' || variant === 'read-write-overlap') {
      let records = 0
      let inFlight: Promise<void> | undefined
      const window = startWindow()
      await reader.readToEnd(
        from,
        async (batch) => {
          records += batch.length
          if (variant === 'bare-read') return
          const b = db.batch()
          for (const r of batch) b.put(Buffer.concat([PREFIX, r.key!]), r.value!)
          b.put(POSITION_KEY, position(batch[batch.length - 1]!.offset + 1))
          if (variant === 'read-write') return b.write()
          await inFlight
          inFlight = b.write()
        },
        options,
      )
      await inFlight
      result = window.stop(records)
    } else {
      // Load the pairs first: the window holds LevelDB's writes alone.
      const keys: Buffer[] = []
      const values: Buffer[] = []
      await reader.readToEnd(
        from,
        (batch) => {
          for (const r of batch) {
            keys.push(Buffer.concat([PREFIX, r.key!]))
            values.push(Buffer.from(r.value!))
          }
        },
        options,
      )
      let inFlight: Promise<void> | undefined
      const window = startWindow()
      for (let i = 0; i < keys.length; i += chunk) {
        const end = Math.min(keys.length, i + chunk)
        if (variant === 'write-array') {
          const ops: { type: 'put'; key: Buffer; value: Buffer }[] = []
          for (let j = i; j < end; j++) ops.push({ type: 'put', key: keys[j]!, value: values[j]! })
          ops.push({ type: 'put', key: POSITION_KEY, value: position(end) })
          await db.batch(ops)
          continue
        }
        const b = db.batch()
        for (let j = i; j < end; j++) b.put(keys[j]!, values[j]!)
        b.put(POSITION_KEY, position(end))
        if (variant === 'write-chained') {
          await b.write()
          continue
        }
        await inFlight
        inFlight = b.write()
      }
      await inFlight
      result = window.stop(keys.length)
    }
  } finally {
    await db.close()
    await reader.close()
    await broker.close()
  }
  process.stdout.write(`${JSON.stringify({ variant, chunk, threadpool: Number(process.env.UV_THREADPOOL_SIZE ?? 4), ...result })}\n`)
}

function prepare(dir: string): void {
  const spec = { variant: 'restore', runId: 'ceiling-prepare', params: { mode: 'prepare', dir, keys: 1_000_000, warmFrom: 900_000, workDir: dir } }
  const run = spawnSync(process.execPath, ['-r', './test/support/ts-register.js', 'benchmarks/harness/child.ts', JSON.stringify(spec)], { cwd: path.resolve(__dirname, '..'), stdio: 'inherit' })
  if (run.status !== 0) throw new Error('preparing the restore template failed')
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

function parent(): void {
  const reps = Number(option('reps') ?? 3)
  const chunk = Number(option('chunk') ?? 1000)
  const variants = (option('variant')?.split(',') ?? [...VARIANTS]) as Variant[]
  let template = option('template')
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'restore-ceiling-'))
  if (template === undefined || !existsSync(path.join(template, 'broker'))) {
    template = template ?? path.join(scratch, 'template')
    prepare(template)
  }
  const rates = new Map<Variant, number[]>()
  const cpus = new Map<Variant, number[]>()
  try {
    for (let r = 0; r < reps; r++) {
      for (let k = 0; k < variants.length; k++) {
        const variant = variants[(k + r) % variants.length]!
        const workDir = mkdtempSync(path.join(scratch, 'run-'))
        const run = spawnSync(process.execPath, ['-r', './test/support/ts-register.js', __filename, '--child', variant, '--template', template, '--work', workDir, '--chunk', String(chunk)], { cwd: path.resolve(__dirname, '..'), encoding: 'utf8' })
        rmSync(workDir, { recursive: true, force: true })
        if (run.status !== 0) throw new Error(`${variant} failed: ${run.stderr}`)
        process.stdout.write(run.stdout)
        const line = JSON.parse(run.stdout.trim().split('\n').pop()!) as { recordsPerSec: number; cpuUsPerRecord: number }
        rates.set(variant, [...(rates.get(variant) ?? []), line.recordsPerSec])
        cpus.set(variant, [...(cpus.get(variant) ?? []), line.cpuUsPerRecord])
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
  const bare = rates.get('bare-read')
  const summary: Record<string, unknown> = Object.fromEntries(
    [...rates].map(([v, xs]) => [v, { median: median(xs), ofBareRead: bare === undefined ? undefined : Math.round((median(xs) / median(bare)) * 100) / 100, cpuUsPerRecord: median(cpus.get(v)!) }]),
  )
  const bareCpu = cpus.get('bare-read')
  const writeCpu = cpus.get('write-chained')
  if (bare !== undefined && bareCpu !== undefined && writeCpu !== undefined) {
    const bound = Math.round((2 / (median(bareCpu) + median(writeCpu))) * 1e6)
    summary.twoCoreBound = { recordsPerSec: bound, ofBareRead: Math.round((bound / median(bare)) * 100) / 100 }
  }
  process.stdout.write(`${JSON.stringify({ summary, chunk, reps })}\n`)
}

if (process.argv.includes('--child')) {
  child(option('child') as Variant, option('template')!, option('work')!, Number(option('chunk') ?? 1000)).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`)
      process.exit(1)
    },
  )
} else {
  parent()
}
