/**
 * Baselines written by hand over streamfold's Broker port (on the embedded broker there is no
 * other client), selected by `params.loop`:
 * - `pipe`: the bare consume -> produce pipe, no state (the ceiling);
 * - `serde`: the pipe plus what any deserializing stream processor must do per record for the
 *   stateless topology: key and value decoded as UTF-8 strings (Serdes.string()), the filter and
 *   the toUpperCase, the value encoded back; the key's input bytes reused, as streamfold's sink does;
 * - `tight`: poll(1000), getSync reads through a per-poll map, ONE batched LevelDB write and
 *   the poll's records produced per poll; no changelog, no transactions;
 * - `join`: the join cases' hand-written loop: the table topic read into a LevelDB first (outside
 *   the window, as the app's global table is read before it joins the group), then per record a
 *   `getSync` of the key, key and values decoded as UTF-8, the joiner, the value encoded back;
 * - `naive`: what most people write first: batches of 32 (KafkaJS' eachBatch default),
 *   `await db.get` / `await db.put` per record, one awaited send (flush) and offset commit per batch.
 * `tight` with `params.eos` is the ceiling of streamfold's count with exactly_once (ceiling-commit.ts):
 * counts kept in memory between commits (state must not reach LevelDB before its transaction
 * commits); every `commitMs` (100, streamfold's commit interval in the suite) the consumed offsets
 * and commitTransaction (as Checkpoint does), then ONE LevelDB batch of the changed counts and the
 * offsets. With `params.changelog` also one changelog record per key changed since the last commit
 * (its last count, to `<applicationId>-counts-changelog`, the input's partition), in the transaction.
 * All commit once at the end except `naive` and the exactly-once ceiling; the window runs from the
 * first record polled to the final flush + commit (exactly-once: the last commitTransaction).
 * `params.windowMs` makes the stateful loops count per (key, window).
 * `params.limit` stops after that many records (the naive loop is too slow for the whole input).
 */
import path from 'node:path'
import { ClassicLevel } from 'classic-level'
import type { BrokerRecord, TopicPartitionOffset } from '../../src/runtime/broker/broker'
import { GROUP_TIMING, openBroker } from '../harness/brokers'
import { dataset, datasetBytes } from '../harness/data'
import { startCpuWindow, startProfile } from '../harness/profiler'
import { printResult, throughput, type RunParams } from '../harness/protocol'
import { COUNT_STORE, joinValues, statelessFilter, statelessMapValue } from '../harness/topologies'
import type { Broker } from '../../src/runtime/broker/broker'
import { CeilingCommits } from './ceiling-commit'
import { type CountChange, encodeCount, HandCounts } from './hand-counts'

type Loop = 'pipe' | 'serde' | 'tight' | 'naive' | 'join'

export async function run(params: RunParams): Promise<void> {
  const loop = params.loop as Loop
  const data = dataset({ records: params.records!, keys: params.keys!, distribution: params.distribution! })
  const limit = Math.min(data.count, Number(params.limit ?? data.count))
  const windowMs = params.windowMs === undefined ? 0 : Number(params.windowMs)
  const eos = params.eos === true
  const changelog = eos && params.changelog === true
  const commitMs = Number(params.commitMs ?? 100)
  const input = params.inputTopic!
  const output = params.outputTopic!
  const changelogTopic = `${String(params.applicationId)}-${COUNT_STORE}-changelog`
  const broker = await openBroker(params)
  const stateful = loop === 'tight' || loop === 'naive' || loop === 'join'
  const db = stateful ? new ClassicLevel<string, Buffer>(path.join(params.workDir, 'db'), { keyEncoding: 'utf8', valueEncoding: 'buffer' }) : undefined
  await db?.open()
  if (loop === 'join') await loadTable(broker, String(params.tableTopic), params.partitions ?? 16, db!)
  const counts = loop === 'tight' ? new HandCounts(db!, changelog) : undefined
  if (changelog) await broker.admin().ensureTopics([{ name: changelogTopic, partitions: params.partitions ?? 16, config: { 'cleanup.policy': 'compact' } }])
  const consumer = broker.consumer({ groupId: String(params.applicationId), autoOffsetReset: 'earliest', ...GROUP_TIMING })
  await consumer.subscribe([input], { onAssigned() {}, onRevoked() {}, onLost() {} })
  const producer = broker.producer(eos ? { transactionalId: `${String(params.applicationId)}-ceiling` } : undefined)
  await producer.connect()
  if (eos) await producer.beginTransaction()
  const positions = new Map<number, number>()
  const offsets = (): TopicPartitionOffset[] => [...positions].map(([partition, offset]) => ({ topic: input, partition, offset }))
  const stateKey = (r: BrokerRecord): string => {
    const key = r.key!.toString('latin1')
    return windowMs > 0 ? `${key}@${r.timestamp - (r.timestamp % windowMs)}` : key
  }
  const committer = !eos ? undefined : new CeilingCommits(counts!, positions, {
    ...(changelog ? { sendChange: (c: CountChange, timestamp: number) => producer.send({ topic: changelogTopic, partition: c.partition, key: c.key, value: c.value, timestamp, headers: [] }) } : {}),
    transaction: {
      async commit() {
        await producer.sendOffsetsToTransaction(offsets(), consumer)
        await producer.commitTransaction()
      },
      begin: () => producer.beginTransaction(),
    },
  }, commitMs)

  const stopProfile = startProfile()
  let first: number | undefined
  /** When the last poll that returned records returned (the tail: from here to the end). */
  let lastRecordAt = 0
  let done = 0
  let pollMs = 0
  while (done < limit) {
    const pollStarted = performance.now()
    const records = await consumer.poll(loop === 'naive' ? 32 : 1000, 100)
    if (first !== undefined) pollMs += performance.now() - pollStarted
    if (records.length === 0) continue
    lastRecordAt = performance.now()
    if (first === undefined) {
      first = performance.now()
      startCpuWindow()
    }
    const batch = records.length > limit - done ? records.slice(0, limit - done) : records
    if (loop === 'pipe') {
      for (const r of batch) producer.send({ topic: output, key: r.key, value: r.value, timestamp: r.timestamp, headers: r.headers })
    } else if (loop === 'serde') {
      for (const r of batch) {
        const key = r.key!.toString('utf8')
        const value = r.value!.toString('utf8')
        if (!statelessFilter(key, value)) continue
        producer.send({ topic: output, key: r.key, value: Buffer.from(statelessMapValue(key, value), 'utf8'), timestamp: r.timestamp, headers: r.headers })
      }
    } else if (loop === 'join') {
      for (const r of batch) {
        const key = r.key!.toString('utf8')
        const row = db!.getSync(key)
        const value = joinValues(key, r.value!.toString('utf8'), row === undefined ? null : row.toString('utf8'))
        producer.send({ topic: output, key: r.key, value: Buffer.from(value, 'utf8'), timestamp: r.timestamp, headers: r.headers })
      }
    } else if (loop === 'tight') {
      for (const r of batch) {
        const n = counts!.increment(stateKey(r), r.partition)
        producer.send({ topic: output, key: r.key, value: encodeCount(n), timestamp: r.timestamp, headers: [] })
      }
      if (committer === undefined) await counts!.write()
    } else {
      for (const r of batch) {
        const k = stateKey(r)
        const stored = await db!.get(k)
        const n = (stored === undefined ? 0 : stored.readDoubleBE(0)) + 1
        await db!.put(k, encodeCount(n))
        producer.send({ topic: output, key: r.key, value: encodeCount(n), timestamp: r.timestamp, headers: [] })
        positions.set(r.partition, r.offset + 1)
      }
      await producer.flush()
      await consumer.commit(offsets())
    }
    for (const r of batch) positions.set(r.partition, r.offset + 1)
    done += batch.length
    if (committer !== undefined && done < limit) await committer.afterPoll()
  }
  let end: number
  if (committer !== undefined) {
    end = await committer.commit(true)
  } else {
    await producer.flush()
    await consumer.commit(offsets())
    end = performance.now()
  }
  const ms = end - first!
  await stopProfile()
  const bytes = (datasetBytes(data) * limit) / data.count
  const shares = { pollShare: Math.round((pollMs / ms) * 100) / 100, ...committer?.stats(ms) }
  printResult(throughput(limit, bytes, ms, { loop, broker: broker.kind, changelog, eos, tailMs: Math.round(end - lastRecordAt), ...shares }))
  await db?.close()
  await Promise.race([broker.close(), new Promise((r) => setTimeout(r, 3_000))])
}

/** Reads every partition of the table topic into `db`, one batch per read batch. */
async function loadTable(broker: Broker, topic: string, partitions: number, db: ClassicLevel<string, Buffer>): Promise<void> {
  const reader = broker.reader()
  for (let partition = 0; partition < partitions; partition++) {
    await reader.readToEnd({ topic, partition, offset: 0 }, async (records) => {
      const batch = db.batch()
      for (const r of records) batch.put(r.key!.toString('utf8'), r.value!)
      await batch.write()
    })
  }
  await reader.close()
}
