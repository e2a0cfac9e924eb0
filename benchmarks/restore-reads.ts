/**
 * Diagnostic: how fast are point reads right after a large restore, and after LevelDB has
 * compacted the restored range? Restores `--keys` keys of one key-value store spread over
 * `--tasks` task databases (TaskStores.restore from an in-memory changelog, keys in `--order`
 * random or sequential order), then times random `getSync` calls on the task databases (no
 * record cache in between), and prints per phase a JSON line:
 * - `restore`: rec/s and CPU us/rec of the restores (tasks one after another, as the runtime does);
 * - `reads`: us/get (wall and CPU, all threads) of `--gets` random reads `when`: `restored` (at
 *   once, while a background compaction may run), `settled` (after the restore's background
 *   compactions, where the tree has them, have finished: TaskDb.compacted(); on a tree without
 *   them, simply a second round), `compacted` (after an explicit compactRange of every task
 *   database, its duration reported as `compact`);
 * - `levels`: table files per LevelDB level, summed over the tasks (leveldb.num-files-at-level<N>).
 * RSS (MiB) is on every line.
 *
 *   node -r ./test/support/ts-register.js benchmarks/restore-reads.ts [--keys 1000000] [--tasks 16]
 *     [--gets 200000] [--order random|sequential] [--value-bytes 16] [--write-buffer BYTES]
 *     [--compact range|flush]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { ChangelogRecordEncoder } from '../src/changelog/changelog-record'
import type { BrokerRecord, PartitionReader } from '../src/runtime/broker/broker'
import { Serdes } from '../src/serdes/serdes'
import { StateMemory } from '../src/state/memory-budget'
import { keyValueStoreSpec } from '../src/state/store-spec'
import { TaskStores } from '../src/state/task-stores'

const STORE = 'counts'
const SOURCE = 'input'
const APP = 'bench-restore-reads'
const CHANGELOG = `${APP}-${STORE}-changelog`
const LEVELS = 7

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i < 0 ? fallback : process.argv[i + 1]!
}

const keys = Number(option('keys', '1000000'))
const tasks = Number(option('tasks', '16'))
const gets = Number(option('gets', '200000'))
const order = option('order', 'random')
const valueBytes = Number(option('value-bytes', '16'))
/** `range`: compactRange of the store's range; `flush`: of an empty range (memtable flush alone). */
const compact = option('compact', 'range')
/** LevelDB write buffer of each task database (default: the app default, 4 MiB). */
const writeBuffer = process.argv.includes('--write-buffer') ? Number(option('write-buffer', '0')) : undefined
const perTask = Math.ceil(keys / tasks)

/** The LevelDB beneath a task (private fields: this diagnostic runs against older trees too). */
interface RawLevel {
  getProperty(name: string): string
  compactRange(start: Buffer, end: Buffer): Promise<void>
}
interface RawTaskDb {
  getSync(key: string): Buffer | undefined
  /** The restore's background compactions (trees that have them). */
  compacted?(): Promise<void>
  db: RawLevel
}

function keyOf(task: number, i: number): string {
  return `user-${task}-${String(i).padStart(9, "0")}`
}

/** The i-th changelog record's key index: a permutation of 0..n-1 (random order) or identity. */
function indexAt(i: number, n: number): number {
  return order === 'random' ? Number((BigInt(i) * 2654435761n) % BigInt(n)) : i
}

/** A changelog partition of `perTask` records (one commit per 50k, `__src` as the runtime writes). */
function reader(task: number): Pick<PartitionReader, 'readToEnd'> {
  const value = Buffer.alloc(valueBytes, 7)
  return {
    async readToEnd(from, onBatch, options) {
      const max = options?.maxBatchRecords ?? 1000
      for (let start = from.offset; start < perTask; start += max) {
        const batch: BrokerRecord[] = []
        for (let offset = start; offset < Math.min(perTask, start + max); offset++) {
          const encoder = new ChangelogRecordEncoder([{ topic: SOURCE, partition: task, offset: (Math.floor(offset / 50_000) + 1) * 50_000 }])
          const key = Buffer.from(keyOf(task, indexAt(offset, perTask)), 'utf8')
          const record = encoder.record(CHANGELOG, task, { key, value, timestamp: offset })
          batch.push({ ...record, partition: task, offset, headers: record.headers ?? [] })
        }
        await onBatch(batch)
      }
      return perTask
    },
  }
}

function rssMb(): number {
  return Math.round(process.memoryUsage().rss / 2 ** 20)
}

function print(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...line, rssMb: rssMb() })}\n`)
}

function dbOf(task: TaskStores): RawTaskDb {
  return (task as unknown as { state: { taskDb: RawTaskDb } }).state.taskDb
}

function levels(dbs: readonly RawTaskDb[]): number[] {
  const files = new Array<number>(LEVELS).fill(0)
  for (const db of dbs) for (let l = 0; l < LEVELS; l++) files[l]! += Number(db.db.getProperty(`leveldb.num-files-at-level${l}`))
  return files
}

function memtables(dbs: readonly RawTaskDb[]): number {
  let bytes = 0
  for (const db of dbs) bytes += Number(db.db.getProperty('leveldb.approximate-memory-usage'))
  return bytes
}

function timeReads(dbs: readonly RawTaskDb[], when: string): void {
  const prefix = `!${STORE}!`
  const picks: string[] = []
  for (let i = 0; i < gets; i++) {
    const t = Math.floor(Math.random() * tasks)
    picks.push(prefix + Buffer.from(keyOf(t, Math.floor(Math.random() * perTask)), 'utf8').toString('latin1'))
  }
  const cpu = process.cpuUsage()
  const started = performance.now()
  let missing = 0
  for (let i = 0; i < gets; i++) {
    const key = picks[i]!
    if (dbs[Number(key.split('-')[1])]!.getSync(key) === undefined) missing++
  }
  const ms = performance.now() - started
  const used = process.cpuUsage(cpu)
  if (missing > 0) throw new Error(`${missing} restored keys missing`)
  print({ phase: 'reads', when, gets, usPerGet: round((ms * 1000) / gets), cpuUsPerGet: round((used.user + used.system) / gets), levels: levels(dbs) })
}

function round(n: number): number {
  return Math.round(n * 100) / 100
}

async function main(): Promise<void> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'restore-reads-'))
  const spec = keyValueStoreSpec({ name: STORE, keySerde: Serdes.string(), valueSerde: Serdes.buffer() })
  const opened: TaskStores[] = []
  const memory = new StateMemory({ taskDbWriteBufferBytes: writeBuffer })
  try {
    for (let t = 0; t < tasks; t++) {
      opened.push(await TaskStores.open({ applicationId: APP, taskId: `0_${t}`, stateDir, changelogPartition: t, stores: [spec], memory }))
    }
    const cpu = process.cpuUsage()
    const started = performance.now()
    for (let t = 0; t < tasks; t++) {
      await opened[t]!.restore({ reader: reader(t), committedOffsets: [{ topic: SOURCE, partition: t, offset: Number.MAX_SAFE_INTEGER }] })
    }
    const ms = performance.now() - started
    const used = process.cpuUsage(cpu)
    const records = perTask * tasks
    print({ phase: 'restore', keys: records, tasks, order, ms: Math.round(ms), recordsPerSec: Math.round((records * 1000) / ms), cpuUsPerRecord: round((used.user + used.system) / records) })
    const dbs = opened.map(dbOf)
    print({ phase: 'levels', when: 'restored', levels: levels(dbs), memtableBytes: memtables(dbs) })
    if (process.env.RESTORE_READS_STATS) process.stderr.write(dbs[0]!.db.getProperty('leveldb.stats') + '\n')
    timeReads(dbs, 'restored')
    if (process.env.RESTORE_READS_STATS) process.stderr.write(dbs[0]!.db.getProperty('leveldb.stats') + '\n')
    const settleStarted = performance.now()
    await Promise.all(dbs.map((db) => db.compacted?.()))
    print({ phase: 'settle', ms: Math.round(performance.now() - settleStarted), levels: levels(dbs) })
    timeReads(dbs, 'settled')
    const compactStarted = performance.now()
    const [from, to] = compact === 'flush' ? ['\xff\xff', '\xff\xff\xff'] : [`!${STORE}!`, `!${STORE}"`]
    for (const db of dbs) await db.db.compactRange(Buffer.from(from, 'latin1'), Buffer.from(to, 'latin1'))
    print({ phase: 'compact', compact, ms: Math.round(performance.now() - compactStarted), levels: levels(dbs) })
    timeReads(dbs, 'compacted')
  } finally {
    for (const task of opened) await task.close()
    rmSync(stateDir, { recursive: true, force: true })
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`)
    process.exit(1)
  },
)
