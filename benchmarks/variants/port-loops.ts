/**
 * Baselines written by hand over streamfold's Broker port (on the embedded broker there is no
 * other client), selected by `params.loop`:
 * - `pipe`: the bare consume -> produce pipe, no state (the ceiling);
 * - `tight`: poll(1000), getSync reads through a per-poll map, ONE batched LevelDB write and
 *   the poll's records produced per poll; no changelog, no transactions;
 * - `naive`: what most people write first: batches of 32 (KafkaJS' eachBatch default),
 *   `await db.get` / `await db.put` per record, one awaited send (flush) and offset commit per batch.
 * All commit once at the end except `naive`; the window runs from the first record polled to the
 * final flush + commit. `params.windowMs` makes the stateful loops count per (key, window).
 * `params.limit` stops after that many records (the naive loop is too slow for the whole input).
 */
import path from 'node:path'
import { ClassicLevel } from 'classic-level'
import type { BrokerRecord, TopicPartitionOffset } from '../../src/runtime/broker/broker'
import { GROUP_TIMING, openBroker } from '../harness/brokers'
import { dataset, datasetBytes } from '../harness/data'
import { startProfile } from '../harness/profiler'
import { printResult, throughput, type RunParams } from '../harness/protocol'

type Loop = 'pipe' | 'tight' | 'naive'

export async function run(params: RunParams): Promise<void> {
  const loop = params.loop as Loop
  const data = dataset({ records: params.records!, keys: params.keys!, distribution: params.distribution! })
  const limit = Math.min(data.count, Number(params.limit ?? data.count))
  const windowMs = params.windowMs === undefined ? 0 : Number(params.windowMs)
  const input = params.inputTopic!
  const output = params.outputTopic!
  const broker = await openBroker(params)
  const db = loop === 'pipe' ? undefined : new ClassicLevel<string, Buffer>(path.join(params.workDir, 'db'), { keyEncoding: 'utf8', valueEncoding: 'buffer' })
  await db?.open()
  const consumer = broker.consumer({ groupId: String(params.applicationId), autoOffsetReset: 'earliest', ...GROUP_TIMING })
  await consumer.subscribe([input], { onAssigned() {}, onRevoked() {}, onLost() {} })
  const producer = broker.producer()
  await producer.connect()
  const positions = new Map<number, number>()
  const offsets = (): TopicPartitionOffset[] => [...positions].map(([partition, offset]) => ({ topic: input, partition, offset }))
  const stateKey = (r: BrokerRecord): string => {
    const key = r.key!.toString('latin1')
    return windowMs > 0 ? `${key}@${r.timestamp - (r.timestamp % windowMs)}` : key
  }
  const encode = (n: number): Buffer => {
    const b = Buffer.allocUnsafe(8)
    b.writeDoubleBE(n, 0)
    return b
  }

  const stopProfile = startProfile()
  let first: number | undefined
  let done = 0
  let pollMs = 0
  while (done < limit) {
    const pollStarted = performance.now()
    const records = await consumer.poll(loop === 'naive' ? 32 : 1000, 100)
    if (first !== undefined) pollMs += performance.now() - pollStarted
    if (records.length === 0) continue
    first ??= performance.now()
    const batch = records.length > limit - done ? records.slice(0, limit - done) : records
    if (loop === 'pipe') {
      for (const r of batch) producer.send({ topic: output, key: r.key, value: r.value, timestamp: r.timestamp, headers: r.headers })
    } else if (loop === 'tight') {
      const pending = new Map<string, number>()
      for (const r of batch) {
        const k = stateKey(r)
        let n = pending.get(k)
        if (n === undefined) {
          const stored = db!.getSync(k)
          n = stored === undefined ? 0 : stored.readDoubleBE(0)
        }
        pending.set(k, ++n)
        producer.send({ topic: output, key: r.key, value: encode(n), timestamp: r.timestamp, headers: [] })
      }
      const write = db!.batch()
      for (const [k, n] of pending) write.put(k, encode(n))
      await write.write()
    } else {
      for (const r of batch) {
        const k = stateKey(r)
        const stored = await db!.get(k)
        const n = (stored === undefined ? 0 : stored.readDoubleBE(0)) + 1
        await db!.put(k, encode(n))
        producer.send({ topic: output, key: r.key, value: encode(n), timestamp: r.timestamp, headers: [] })
        positions.set(r.partition, r.offset + 1)
      }
      await producer.flush()
      await consumer.commit(offsets())
    }
    for (const r of batch) positions.set(r.partition, r.offset + 1)
    done += batch.length
  }
  await producer.flush()
  await consumer.commit(offsets())
  const ms = performance.now() - first!
  await stopProfile()
  const bytes = (datasetBytes(data) * limit) / data.count
  printResult(throughput(limit, bytes, ms, { loop, broker: broker.kind, pollShare: Math.round((pollMs / ms) * 100) / 100 }))
  await db?.close()
  await Promise.race([broker.close(), new Promise((r) => setTimeout(r, 3_000))])
}
