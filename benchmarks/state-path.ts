/**
 * The stateful hot path alone, as the DSL's aggregations drive it, without a broker: per record
 * a read and a write of a ValueAndTimestamp<double> count (what `count()` stores), a commit
 * (changelog records + one LevelDB batch) every `--commit-every` records. Modes:
 * - `count`: a key-value store, get then put (StreamAggregateProcessor);
 * - `windowed`: a window store, fetch then put per 1-minute window, retention size + 10 s grace
 *   (WindowAggregateProcessor).
 * Data: the suite's dataset (zipf keys over 100k, 1 ms apart), 200k records by default.
 *
 * With `--against DIR` (another checkout, node_modules linked) it runs each mode from both trees
 * in child processes, alternating the order every round, and prints per-round rates, the paired
 * ratios (this tree / DIR) and their median: before/after figures for changes to src/state or the
 * processors' serdes, steadier than the full suite since no broker and no other task share the run.
 *
 *   node -r ./test/support/ts-register.js benchmarks/state-path.ts [--against DIR] [--rounds 5]
 *     [--records 200000] [--mode count,windowed] [--commit-every 5000]
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { dataset } from './harness/data'

type Mode = 'count' | 'windowed'

const ROOT = path.resolve(__dirname, '..')
const WINDOW_MS = 60_000
const GRACE_MS = 10_000

function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`)
  return i < 0 ? undefined : argv[i + 1]
}

async function child(root: string, mode: Mode, records: number, commitEvery: number): Promise<void> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { TaskStores } = require(path.join(root, 'src/state/task-stores')) as typeof import('../src/state/task-stores')
  const specs = require(path.join(root, 'src/state/store-spec')) as typeof import('../src/state/store-spec')
  const { valueAndTimestampSerde } = require(path.join(root, 'src/processors/stateful/value-and-timestamp')) as typeof import('../src/processors/stateful/value-and-timestamp')
  const { Serdes } = require(path.join(root, 'src/index')) as typeof import('../src/index')
  /* eslint-enable @typescript-eslint/no-require-imports */
  const data = dataset({ records, keys: 100_000, distribution: 'zipf' })
  const keys = Array.from({ length: records }, (_, i) => data.keyNames[data.ranks[i]!]!)
  const valueSerde = valueAndTimestampSerde(Serdes.double())
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'streamfold-state-path-'))
  const spec =
    mode === 'count'
      ? specs.keyValueStoreSpec({ name: 'counts', keySerde: Serdes.string(), valueSerde, persistent: true })
      : specs.windowStoreSpec({ name: 'counts', keySerde: Serdes.string(), valueSerde, windowSizeMs: WINDOW_MS, retentionMs: WINDOW_MS + GRACE_MS, persistent: true })
  const task = await TaskStores.open({ applicationId: 'bench', taskId: '0_0', stateDir, changelogPartition: 0, stores: [spec] })
  const kv = mode === 'count' ? task.getKeyValueStore<string, { value: number; timestamp: number }>('counts') : undefined
  const win = mode === 'windowed' ? task.getWindowStore<string, { value: number; timestamp: number }>('counts') : undefined
  let changelogOffset = 0
  let checksum = 0
  const cpu = process.cpuUsage()
  const started = performance.now()
  for (let i = 0; i < records; i++) {
    const key = keys[i]!
    const timestamp = data.timestampOf(i)
    if (kv !== undefined) {
      const old = kv.get(key)
      const value = (old?.value ?? 0) + 1
      kv.put(key, { value, timestamp: old === undefined ? timestamp : Math.max(timestamp, old.timestamp) })
      checksum += value
    } else {
      const start = timestamp - (timestamp % WINDOW_MS)
      const old = win!.fetch(key, start)
      const value = (old?.value ?? 0) + 1
      win!.put(key, { value, timestamp: old === undefined ? timestamp : Math.max(timestamp, old.timestamp) }, start)
      checksum += value
    }
    if ((i + 1) % commitEvery === 0 || i === records - 1) {
      const { changelogRecords } = task.prepareCommit([{ topic: 'input', partition: 0, offset: i + 1 }])
      changelogOffset += changelogRecords.length
      await task.commit({ changelogEndOffsets: [{ topic: 'bench-counts-changelog', partition: 0, offset: changelogOffset }] })
    }
  }
  const ms = performance.now() - started
  const used = process.cpuUsage(cpu)
  await task.close()
  rmSync(stateDir, { recursive: true, force: true })
  process.stdout.write(
    `${JSON.stringify({ mode, records, recordsPerSec: Math.round((records * 1000) / ms), cpuUsPerRecord: Math.round(((used.user + used.system) / records) * 100) / 100, changelogRecords: changelogOffset, checksum })}\n`,
  )
}

interface Result {
  readonly recordsPerSec: number
  readonly cpuUsPerRecord: number
  readonly checksum: number
}

function runChild(root: string, mode: Mode, records: number, commitEvery: number): Result {
  const args = ['-r', path.join(root, 'test/support/ts-register.js'), path.join(root, 'benchmarks/state-path.ts'), '--child', '--root', root, '--mode', mode, '--records', String(records), '--commit-every', String(commitEvery)]
  const out = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' })
  if (out.status !== 0) throw new Error(`child failed: ${out.stderr}`)
  return JSON.parse(out.stdout.trim().split('\n').at(-1)!) as Result
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  const records = Number(option(argv, 'records') ?? 200_000)
  const commitEvery = Number(option(argv, 'commit-every') ?? 5000)
  if (argv.includes('--child')) return child(option(argv, 'root')!, option(argv, 'mode') as Mode, records, commitEvery)
  const rounds = Number(option(argv, 'rounds') ?? 5)
  const modes = (option(argv, 'mode') ?? 'count,windowed').split(',') as Mode[]
  const against = option(argv, 'against')
  const trees = against === undefined ? [ROOT] : [ROOT, path.resolve(against)]
  for (const mode of modes) {
    const results = new Map<string, Result[]>(trees.map((t) => [t, []]))
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? trees : [...trees].reverse()
      for (const tree of order) results.get(tree)!.push(runChild(tree, mode, records, commitEvery))
    }
    const mine = results.get(ROOT)!
    const line: Record<string, unknown> = {
      bench: 'state-path',
      mode,
      records,
      recordsPerSec: median(mine.map((x) => x.recordsPerSec)),
      runs: mine.map((x) => x.recordsPerSec),
      cpuUsPerRecord: median(mine.map((x) => x.cpuUsPerRecord)),
    }
    if (against !== undefined) {
      const base = results.get(trees[1]!)!
      if (base.some((b, i) => b.checksum !== mine[i]!.checksum)) throw new Error('the two trees computed different counts')
      const ratios = mine.map((x, i) => x.recordsPerSec / base[i]!.recordsPerSec)
      const cpuRatios = mine.map((x, i) => x.cpuUsPerRecord / base[i]!.cpuUsPerRecord)
      Object.assign(line, {
        baseRecordsPerSec: median(base.map((x) => x.recordsPerSec)),
        baseRuns: base.map((x) => x.recordsPerSec),
        baseCpuUsPerRecord: median(base.map((x) => x.cpuUsPerRecord)),
        vsBase: Math.round(median(ratios) * 1000) / 1000,
        vsBaseRange: [Math.round(Math.min(...ratios) * 1000) / 1000, Math.round(Math.max(...ratios) * 1000) / 1000],
        cpuVsBase: Math.round(median(cpuRatios) * 1000) / 1000,
      })
    }
    process.stdout.write(`${JSON.stringify(line)}\n`)
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String((error as Error).stack ?? error)}\n`)
  process.exitCode = 1
})
