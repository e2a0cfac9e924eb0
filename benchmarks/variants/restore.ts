/**
 * Restore of a count store (the DSL's count store spec: string keys, ValueAndTimestamp<double>)
 * from its changelog on the durable embedded broker. `params.mode`:
 * - `prepare`: writes the changelog by running real TaskStores commits (1 record per key, 50k
 *   keys per commit, `__src` headers as the runtime writes them) into `dir/broker`, and keeps the
 *   task state as it was at changelog offset `warmFrom` in `dir/warm-state`;
 * - `bare`: reads the changelog from `from` to the end with the same reader and does nothing
 *   with the records (the baseline);
 * - `cold`: TaskStores.restore into an empty state directory;
 * - `warm`: TaskStores.restore into a copy of the warm state (stored position `warmFrom`).
 * Window: the readToEnd / restore() call alone (opening the broker and the task DB is reported
 * as `openMs`).
 */
import { cpSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import type { TopicPartitionOffset } from '../../src/runtime/broker/broker'
import { createEmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import type { StoreSpec } from '../../src/state/store-spec'
import { TaskStores } from '../../src/state/task-stores'
import { BASE_TIME } from '../harness/data'
import { startProfile } from '../harness/profiler'
import { printResult, round, type RunParams } from '../harness/protocol'
import { buildTopology, COUNT_STORE } from '../harness/topologies'

const APP = 'bench-restore'
const CHANGELOG = `${APP}-${COUNT_STORE}-changelog`
const SOURCE = 'input'
const COMMIT_KEYS = 50_000

function storeSpecs(): StoreSpec[] {
  return [buildTopology('count', SOURCE, 'output').store(COUNT_STORE) as StoreSpec]
}

function openTask(stateDir: string): Promise<TaskStores> {
  return TaskStores.open({ applicationId: APP, taskId: '0_0', stateDir, changelogPartition: 0, stores: storeSpecs() })
}

export async function run(params: RunParams): Promise<void> {
  const mode = params.mode as 'prepare' | 'bare' | 'cold' | 'warm'
  if (mode === 'prepare') return prepare(String(params.dir), Number(params.keys), Number(params.warmFrom))
  const template = String(params.template)
  const keys = Number(params.keys)
  const opened = performance.now()
  const dataDir = path.join(params.workDir, 'broker')
  cpSync(path.join(template, 'broker'), dataDir, { recursive: true })
  const broker = await createEmbeddedBroker({ dataDir, cleanerIntervalMs: 0 })
  const reader = broker.reader()
  const committed: TopicPartitionOffset[] = [{ topic: SOURCE, partition: 0, offset: keys + 1 }]
  try {
    if (mode === 'bare') {
      const from = Number(params.from ?? 0)
      const openMs = performance.now() - opened
      let records = 0
      let bytes = 0
      const stopProfile = startProfile()
      const started = performance.now()
      await reader.readToEnd(
        { topic: CHANGELOG, partition: 0, offset: from },
        (batch) => {
          records += batch.length
          for (const r of batch) bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0)
        },
        { isolationLevel: 'read_committed', maxBatchRecords: 1000 },
      )
      const ms = performance.now() - started
      await stopProfile()
      report(records, bytes, ms, { mode, from, openMs: round(openMs) })
      return
    }
    const stateDir = path.join(params.workDir, 'state')
    mkdirSync(stateDir, { recursive: true })
    if (mode === 'warm') cpSync(path.join(template, 'warm-state'), stateDir, { recursive: true })
    const task = await openTask(stateDir)
    const openMs = performance.now() - opened
    let bytes = 0
    const counting: Pick<typeof reader, 'readToEnd'> = {
      readToEnd: (from, onBatch, options) =>
        reader.readToEnd(
          from,
          (batch) => {
            for (const r of batch) bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0)
            return onBatch(batch)
          },
          options,
        ),
    }
    const stopProfile = startProfile()
    const started = performance.now()
    const maxBatchRecords = params.maxBatchRecords === undefined ? undefined : Number(params.maxBatchRecords)
    const [result] = await task.restore({ reader: counting, committedOffsets: committed, maxBatchRecords })
    const ms = performance.now() - started
    await stopProfile()
    const check = task.getKeyValueStore<string, { value: number }>(COUNT_STORE).get(`user-${keys - 1}`)
    await task.close()
    if (check?.value !== 1) throw new Error(`restore incomplete: last key holds ${JSON.stringify(check)}`)
    const records = (result?.applied ?? 0) + (result?.skipped ?? 0)
    report(records, bytes, ms, { mode, startOffset: result?.startOffset, applied: result?.applied, openMs: round(openMs) })
  } finally {
    await reader.close()
    await broker.close()
  }
}

function report(records: number, bytes: number, ms: number, extra: Record<string, unknown>): void {
  printResult({ records, seconds: round(ms / 1000, 3), recordsPerSec: Math.round((records * 1000) / ms), mbPerSec: round(bytes / 2 ** 20 / (ms / 1000), 2), extra })
}

async function prepare(dir: string, keys: number, warmFrom: number): Promise<void> {
  const started = performance.now()
  const broker = await createEmbeddedBroker({ dataDir: path.join(dir, 'broker'), cleanerIntervalMs: 0, syncAcknowledgedWrites: false })
  const genDir = path.join(dir, 'gen-state')
  let task = await openTask(genDir)
  try {
    await broker.admin().ensureTopics([{ name: CHANGELOG, partitions: 1, config: { 'cleanup.policy': 'compact' } }])
    const producer = broker.producer()
    await producer.connect()
    let store = task.getKeyValueStore<string, { value: number; timestamp: number }>(COUNT_STORE)
    for (let i = 0; i < keys; i++) {
      store.put(`user-${i}`, { value: 1, timestamp: BASE_TIME + i })
      const end = i + 1
      if (end % COMMIT_KEYS !== 0 && end !== keys) continue
      const { changelogRecords } = task.prepareCommit([{ topic: SOURCE, partition: 0, offset: end }])
      for (const r of changelogRecords) producer.send(r)
      await producer.flush()
      const [endOffset] = await broker.admin().endOffsets([{ topic: CHANGELOG, partition: 0 }])
      await task.commit({ changelogEndOffsets: [endOffset!] })
      if (end === warmFrom) {
        await task.close()
        cpSync(genDir, path.join(dir, 'warm-state'), { recursive: true })
        task = await openTask(genDir)
        store = task.getKeyValueStore(COUNT_STORE)
      }
    }
    await producer.close()
  } finally {
    await task.close()
    await broker.close()
  }
  const seconds = (performance.now() - started) / 1000
  printResult({ records: keys, seconds: round(seconds, 2), recordsPerSec: Math.round(keys / seconds) })
}
