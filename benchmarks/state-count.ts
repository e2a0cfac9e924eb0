/**
 * Stateful per-key count through a persistent key-value store (write buffer + record cache +
 * commit every N records, changelog records made at each commit), against a naive loop of
 * `await db.get` / `await db.put` per record on the same data; then restore speed of a 1M-key
 * store from an in-memory changelog. Prints JSON lines.
 *
 *   node -r ./test/support/ts-register.js benchmarks/state-count.ts [--records 1000000]
 *     [--keys 100000] [--commit-every 10000] [--restore-keys 1000000] [--skip-naive]
 *
 * The naive baseline opens classic-level itself: it is the thing being compared against, not
 * part of streamfold (src/state/task-db.ts stays the only importer in src/).
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { ClassicLevel } from 'classic-level'
import { ChangelogRecordEncoder } from '../src/changelog/changelog-record'
import type { BrokerRecord, PartitionReader } from '../src/runtime/broker/broker'
import { int32Serde } from '../src/serdes/int32-serde'
import { stringSerde } from '../src/serdes/string-serde'
import { keyValueStoreSpec } from '../src/state/store-spec'
import { TaskStores } from '../src/state/task-stores'
import { mulberry32, zipfSampler } from './harness/data'

const args = parseArgs(process.argv.slice(2))
const RECORDS = args.number('records', 1_000_000)
const KEYS = args.number('keys', 100_000)
const COMMIT_EVERY = args.number('commit-every', 10_000)
const RESTORE_KEYS = args.number('restore-keys', 1_000_000)

const keySerde = stringSerde
const countSerde = int32Serde

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfold-bench-'))
  try {
    for (const distribution of ['zipf', 'uniform'] as const) {
      const keys = makeKeys(distribution)
      const ours = await countThroughStores(keys, path.join(root, `ours-${distribution}`), distribution)
      print(ours)
      if (args.flag('skip-naive')) continue
      const naive = await countNaively(keys, path.join(root, `naive-${distribution}`), distribution)
      print(naive)
      print({ bench: 'state-count', distribution, speedup: round(ours.recordsPerSecond / naive.recordsPerSecond, 1) })
    }
    print(await restoreStore(path.join(root, 'restore')))
  } finally {
    fs.rmSync(root, { recursive: true, force: true })
  }
}

async function countThroughStores(keys: readonly string[], stateDir: string, distribution: string) {
  const task = await openTask(stateDir, 'counts')
  const store = task.getKeyValueStore<string, number>('counts')
  let changelogRecords = 0
  let changelogOffset = 0
  let commitMs = 0
  const started = performance.now()
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    store.put(key, (store.get(key) ?? 0) + 1)
    if ((i + 1) % COMMIT_EVERY === 0 || i === keys.length - 1) {
      const commitStarted = performance.now()
      const { changelogRecords: produced } = task.prepareCommit([{ topic: 'input', partition: 0, offset: i + 1 }])
      changelogRecords += produced.length
      changelogOffset += produced.length
      await task.commit({ changelogEndOffsets: [{ topic: 'bench-counts-changelog', partition: 0, offset: changelogOffset }] })
      commitMs += performance.now() - commitStarted
    }
  }
  const seconds = (performance.now() - started) / 1000
  const cache = (task as unknown as { byName: Map<string, { engine: { core: { cacheStats: { hits: number; misses: number } } } }> })
    .byName.get('counts')!.engine.core.cacheStats
  const check = sumCounts(await allCounts(store))
  await task.close()
  return {
    bench: 'state-count',
    impl: 'streamfold-persistent-kv',
    distribution,
    records: keys.length,
    keys: KEYS,
    commitEvery: COMMIT_EVERY,
    seconds: round(seconds, 2),
    recordsPerSecond: Math.round(keys.length / seconds),
    commitShare: round(commitMs / 1000 / seconds, 2),
    changelogRecords,
    cacheHitRate: round(cache.hits / Math.max(1, cache.hits + cache.misses), 3),
    checksum: check,
  }
}

async function countNaively(keys: readonly string[], location: string, distribution: string) {
  const db = new ClassicLevel<string, Buffer>(location, { keyEncoding: 'utf8', valueEncoding: 'buffer' })
  await db.open()
  const started = performance.now()
  for (const key of keys) {
    const old = await db.get(key)
    await db.put(key, countSerde.serialize((old === undefined ? 0 : countSerde.deserialize(old, '')) + 1, ''))
  }
  const seconds = (performance.now() - started) / 1000
  let check = 0
  for await (const value of db.values()) check += countSerde.deserialize(value, '')
  await db.close()
  return {
    bench: 'state-count',
    impl: 'naive-await-get-put',
    distribution,
    records: keys.length,
    keys: KEYS,
    seconds: round(seconds, 2),
    recordsPerSecond: Math.round(keys.length / seconds),
    checksum: check,
  }
}

/** Restores a store of RESTORE_KEYS keys from a changelog generated batch by batch. */
async function restoreStore(stateDir: string) {
  const topic = 'bench-big-changelog'
  const encoder = new ChangelogRecordEncoder([{ topic: 'input', partition: 0, offset: 1 }])
  const value = countSerde.serialize(1, '')
  const reader: Pick<PartitionReader, 'readToEnd'> = {
    async readToEnd(from, onBatch, options) {
      const max = options?.maxBatchRecords ?? 1000
      for (let offset = from.offset; offset < RESTORE_KEYS; ) {
        const batch: BrokerRecord[] = []
        for (; batch.length < max && offset < RESTORE_KEYS; offset++) {
          const out = encoder.record(topic, 0, { key: Buffer.from(`key-${offset}`), value, timestamp: 0 })
          batch.push({ ...out, partition: 0, offset })
        }
        await onBatch(batch)
      }
      return RESTORE_KEYS
    },
  }
  const task = await openTask(stateDir, 'big')
  let peakRss = process.memoryUsage.rss()
  const rssBefore = peakRss
  const started = performance.now()
  const [result] = await task.restore({
    reader,
    committedOffsets: [{ topic: 'input', partition: 0, offset: 1 }],
    listener: { onBatchRestored: () => void (peakRss = Math.max(peakRss, process.memoryUsage.rss())) },
  })
  const seconds = (performance.now() - started) / 1000
  const sample = task.getKeyValueStore<string, number>('big').get(`key-${RESTORE_KEYS - 1}`)
  await task.close()
  return {
    bench: 'state-restore',
    impl: 'streamfold-persistent-kv',
    keys: RESTORE_KEYS,
    batchRecords: 1000,
    seconds: round(seconds, 2),
    recordsPerSecond: Math.round(RESTORE_KEYS / seconds),
    listenerRecordsPerSecond: result?.recordsPerSecond,
    rssBeforeMb: Math.round(rssBefore / 2 ** 20),
    peakRssMb: Math.round(peakRss / 2 ** 20),
    lastKeyRestored: sample === 1,
  }
}

function openTask(stateDir: string, storeName: string): Promise<TaskStores> {
  return TaskStores.open({
    applicationId: 'bench',
    taskId: '0_0',
    stateDir,
    changelogPartition: 0,
    stores: [keyValueStoreSpec({ name: storeName, keySerde, valueSerde: countSerde })],
  })
}

/** 1M keys drawn from KEYS ranks: Zipf (s = 1) or uniform, from a seeded generator. */
function makeKeys(distribution: 'zipf' | 'uniform'): string[] {
  const random = mulberry32(42)
  const names = Array.from({ length: KEYS }, (_, i) => `user-${i}`)
  const pick = distribution === 'uniform' ? () => Math.floor(random() * KEYS) : zipfSampler(KEYS, random)
  return Array.from({ length: RECORDS }, () => names[pick()]!)
}

async function allCounts(store: { all(): AsyncIterable<{ value: number }> }): Promise<number[]> {
  const out: number[] = []
  for await (const { value } of store.all()) out.push(value)
  return out
}

function sumCounts(counts: readonly number[]): number {
  return counts.reduce((a, b) => a + b, 0)
}

function round(n: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

function print(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`)
}

function parseArgs(argv: readonly string[]) {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`)
    return i < 0 ? undefined : argv[i + 1]
  }
  return {
    number: (name: string, fallback: number): number => {
      const raw = get(name)
      return raw === undefined ? fallback : Number(raw)
    },
    flag: (name: string): boolean => argv.includes(`--${name}`),
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
