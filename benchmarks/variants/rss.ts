/**
 * Peak RSS of a process holding N keys of count state (LevelDB's own memory included, since it is
 * the process' memory) while it keeps updating them. `params.mode`:
 * - `prepare`: builds, once, N keys of the DSL count store spread over `tasks` task databases by
 *   murmur2 (as the runtime partitions them) and the same N keys in one plain LevelDB, under
 *   node_modules/.cache/streamfold-bench (reused while the generator version is unchanged). Keys
 *   are written in sorted order through TaskStores' restore path, which is the fast way in.
 * - `stores`: opens every task's TaskStores and applies `updates` counts to uniform random keys
 *   through the store API (get + put), preparing and committing every dirty task every 10k
 *   updates as the runtime does (changelog records are made and dropped: no broker here);
 * - `tight`: the same updates on the one plain LevelDB, getSync + one batch per 1000 updates.
 * Each run works on a copy of the prepared databases whose immutable table files are hard links,
 * so a run neither pays for copying gigabytes nor changes the prepared state.
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'
import { ClassicLevel } from 'classic-level'
import { ChangelogRecordEncoder } from '../../src/changelog/changelog-record'
import type { BrokerRecord, PartitionReader } from '../../src/runtime/broker/broker'
import { defaultPartition } from '../../src/runtime/broker/murmur2'
import type { StoreSpec } from '../../src/state/store-spec'
import { TaskStores } from '../../src/state/task-stores'
import { BASE_TIME, mulberry32 } from '../harness/data'
import { startProfile } from '../harness/profiler'
import { printResult, round, type RunParams } from '../harness/protocol'
import { buildTopology, COUNT_STORE } from '../harness/topologies'

const VERSION = 'v1'
const APP = 'bench-rss'
const COMMIT_EVERY = 10_000
const CACHE_ROOT = path.resolve(__dirname, '../../node_modules/.cache/streamfold-bench')

function spec(): StoreSpec {
  return buildTopology('count', 'input', 'output').store(COUNT_STORE) as StoreSpec
}

function openTask(stateDir: string, task: number): Promise<TaskStores> {
  return TaskStores.open({ applicationId: APP, taskId: `0_${task}`, stateDir, changelogPartition: task, stores: [spec()] })
}

export async function run(params: RunParams): Promise<void> {
  const keys = Number(params.keys)
  const tasks = Number(params.tasks)
  const mode = params.mode as 'prepare' | 'stores' | 'tight'
  if (mode === 'prepare') return prepare(keys, tasks, params)
  const source = String(params.cacheDir)
  const updates = Number(params.updates)
  const copy = path.join(params.workDir, 'copy')
  linkCopy(path.join(source, mode === 'tight' ? 'tight' : 'stores'), copy)
  const random = mulberry32(7)
  let memory: Record<string, number> = {}
  const stopProfile = startProfile()
  const started = performance.now()
  if (mode === 'tight') {
    const db = new ClassicLevel<string, Buffer>(copy, { keyEncoding: 'utf8', valueEncoding: 'buffer' })
    await db.open()
    for (let done = 0; done < updates; ) {
      const pending = new Map<string, number>()
      for (const end = Math.min(updates, done + 1000); done < end; done++) {
        const k = `user-${Math.floor(random() * keys)}`
        let n = pending.get(k)
        if (n === undefined) {
          const stored = db.getSync(k)
          n = stored === undefined ? 0 : stored.readDoubleBE(0)
        }
        pending.set(k, n + 1)
      }
      const batch = db.batch()
      for (const [k, n] of pending) {
        const b = Buffer.allocUnsafe(8)
        b.writeDoubleBE(n, 0)
        batch.put(k, b)
      }
      await batch.write()
    }
    memory = memoryBreakdown()
    await db.close()
  } else {
    const stores = await Promise.all(Array.from({ length: tasks }, (_, t) => openTask(copy, t)))
    const kv = stores.map((s) => s.getKeyValueStore<string, { value: number; timestamp: number }>(COUNT_STORE))
    const dirty = new Set<number>()
    for (let done = 0; done < updates; done++) {
      const k = `user-${Math.floor(random() * keys)}`
      const t = defaultPartition(Buffer.from(k), tasks)
      const store = kv[t]!
      const old = store.get(k)
      store.put(k, { value: (old?.value ?? 0) + 1, timestamp: BASE_TIME + done })
      dirty.add(t)
      if ((done + 1) % COMMIT_EVERY === 0 || done + 1 === updates) {
        for (const d of dirty) {
          stores[d]!.prepareCommit([{ topic: 'input', partition: d, offset: done + 1 }])
          await stores[d]!.commit()
        }
        dirty.clear()
      }
    }
    memory = memoryBreakdown()
    for (const s of stores) await s.close()
  }
  const seconds = (performance.now() - started) / 1000
  await stopProfile()
  printResult({ records: updates, seconds: round(seconds, 2), recordsPerSec: Math.round(updates / seconds), extra: { mode, keys, tasks: mode === 'tight' ? 1 : tasks, memoryAtEndMb: memory } })
}

/**
 * Preparation in parts the parent runs in parallel (two cores): `check` reports the cache
 * directory and whether it is complete; `stores` builds tasks [from, to); `tight` the plain
 * LevelDB; `finish` marks the directory complete.
 */
async function prepare(keys: number, tasks: number, params: RunParams): Promise<void> {
  const dir = path.join(CACHE_ROOT, `rss-${keys}-${tasks}-${VERSION}`)
  const part = String(params.part)
  const started = performance.now()
  const ready = existsSync(path.join(dir, 'done'))
  if (part === 'check') {
    if (!ready) {
      rmSync(dir, { recursive: true, force: true })
      mkdirSync(dir, { recursive: true })
    }
  } else if (part === 'stores') {
    await buildStores(path.join(dir, 'stores'), keys, tasks, Number(params.from), Number(params.to))
  } else if (part === 'tight') {
    await buildTight(path.join(dir, 'tight'), keys)
  } else if (part === 'finish') {
    mkdirSync(path.join(dir, 'done'), { recursive: true })
  }
  const seconds = (performance.now() - started) / 1000
  printResult({ records: keys, seconds: round(seconds, 2), recordsPerSec: 0, extra: { cacheDir: dir, ready } })
}

/** Where the memory is at the end of the workload: V8 heap, Buffers, and the rest (LevelDB, code). */
function memoryBreakdown(): Record<string, number> {
  const m = process.memoryUsage()
  const mb = (n: number): number => Math.round(n / 2 ** 20)
  return { rss: mb(m.rss), heapUsed: mb(m.heapUsed), heapTotal: mb(m.heapTotal), external: mb(m.external), nativeOther: mb(m.rss - m.heapTotal - m.external) }
}

/** Indexes of the keys of each task, each list in sorted key order. */
function keysByTask(keys: number, tasks: number, from: number, to: number): Uint32Array[] {
  const counts = new Uint32Array(tasks)
  const taskOf = new Uint8Array(keys)
  for (let i = 0; i < keys; i++) {
    const t = defaultPartition(Buffer.from(`user-${i}`), tasks)
    taskOf[i] = t
    counts[t]!++
  }
  const lists = Array.from({ length: tasks }, (_, t) => new Uint32Array(t >= from && t < to ? counts[t]! : 0))
  const filled = new Uint32Array(tasks)
  for (const i of lexicographic(keys)) {
    const t = taskOf[i]!
    if (t >= from && t < to) lists[t]![filled[t]!++] = i
  }
  return lists
}

async function buildStores(stateDir: string, keys: number, tasks: number, from: number, to: number): Promise<void> {
  const s = spec()
  const encoder = new ChangelogRecordEncoder([{ topic: 'input', partition: 0, offset: 1 }])
  const topic = `${APP}-${COUNT_STORE}-changelog`
  const value = s.valueSerde.serialize({ value: 1, timestamp: BASE_TIME } as never, topic)
  const lists = keysByTask(keys, tasks, from, to)
  for (let t = from; t < to; t++) {
    const task = await openTask(stateDir, t)
    const mine = lists[t]!
    // A reader that hands over this task's keys, in sorted order, as changelog records.
    const reader: Pick<PartitionReader, 'readToEnd'> = {
      async readToEnd(start, onBatch) {
        let offset = start.offset
        for (let i = 0; i < mine.length; ) {
          const batch: BrokerRecord[] = []
          for (const end = Math.min(mine.length, i + 10_000); i < end; i++) {
            const out = encoder.record(topic, t, { key: s.keySerde.serialize(`user-${mine[i]}` as never, topic), value, timestamp: BASE_TIME })
            batch.push({ ...out, partition: t, offset: offset++ })
          }
          await onBatch(batch)
        }
        return offset
      },
    }
    await task.restore({ reader, committedOffsets: [{ topic: 'input', partition: 0, offset: 1 }], maxBatchRecords: 10_000 })
    await task.close()
  }
}

async function buildTight(location: string, keys: number): Promise<void> {
  const db = new ClassicLevel<string, Buffer>(location, { keyEncoding: 'utf8', valueEncoding: 'buffer' })
  await db.open()
  const one = Buffer.allocUnsafe(8)
  one.writeDoubleBE(1, 0)
  let batch = db.batch()
  let n = 0
  for (const i of lexicographic(keys)) {
    batch.put(`user-${i}`, one)
    if (++n % 50_000 === 0) {
      await batch.write()
      batch = db.batch()
    }
  }
  await batch.write()
  await db.close()
}

/** 0..n-1 in the order of their decimal strings, so `user-${i}` keys arrive sorted. */
function* lexicographic(n: number): Generator<number> {
  if (n <= 0) return
  yield 0
  let cur = 1
  const max = n - 1
  for (let i = 0; i < max; i++) {
    yield cur
    if (cur * 10 <= max) cur *= 10
    else {
      if (cur >= max) cur = Math.floor(cur / 10)
      cur++
      while (cur % 10 === 0) cur /= 10
    }
  }
}

/** Copies a directory tree, hard-linking LevelDB's immutable table files. */
function linkCopy(from: string, to: string): void {
  mkdirSync(to, { recursive: true })
  for (const name of readdirSync(from)) {
    const src = path.join(from, name)
    const dst = path.join(to, name)
    if (statSync(src).isDirectory()) linkCopy(src, dst)
    else if (name.endsWith('.ldb') || name.endsWith('.sst')) linkSync(src, dst)
    else copyFileSync(src, dst)
  }
}
