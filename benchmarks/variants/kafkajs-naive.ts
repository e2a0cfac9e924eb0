/**
 * Baseline: the loop most people write first, with the client's KafkaJS-compatible API
 * (`require('@confluentinc/kafka-javascript').KafkaJS`): `eachBatch` (32 messages by default),
 * `await db.get` / `await db.put` per record and one awaited `producer.send` per batch; offsets
 * auto-committed as KafkaJS does. Benchmarks alone import the client outside the adapter.
 * Window: first batch handed over -> the send of the `params.limit`-th record acknowledged.
 */
import path from 'node:path'
import { KafkaJS } from '@confluentinc/kafka-javascript'
import { ClassicLevel } from 'classic-level'
import { GROUP_TIMING } from '../harness/brokers'
import { dataset, datasetBytes } from '../harness/data'
import { printResult, throughput, type RunParams } from '../harness/protocol'

export async function run(params: RunParams): Promise<void> {
  const data = dataset({ records: params.records!, keys: params.keys!, distribution: params.distribution! })
  const limit = Math.min(data.count, Number(params.limit ?? data.count))
  const db = new ClassicLevel<string, Buffer>(path.join(params.workDir, 'db'), { keyEncoding: 'utf8', valueEncoding: 'buffer' })
  await db.open()
  const kafka = new KafkaJS.Kafka({ kafkaJS: { brokers: params.bootstrapServers!.split(','), logLevel: KafkaJS.logLevel.NOTHING } })
  const producer = kafka.producer()
  const consumer = kafka.consumer({
    kafkaJS: {
      groupId: String(params.applicationId),
      fromBeginning: true,
      sessionTimeout: GROUP_TIMING.sessionTimeoutMs,
      heartbeatInterval: GROUP_TIMING.heartbeatIntervalMs,
    },
  })
  await producer.connect()
  await consumer.connect()
  await consumer.subscribe({ topics: [params.inputTopic!] })

  let first: number | undefined
  let done = 0
  let finish!: (ms: number) => void
  const finished = new Promise<number>((resolve) => (finish = resolve))
  const output = params.outputTopic!
  void consumer.run({
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      first ??= performance.now()
      const messages: Array<{ key: Buffer | null; value: Buffer }> = []
      for (const m of batch.messages) {
        if (done + messages.length >= limit) break
        const key = m.key!.toString('latin1')
        const stored = await db.get(key)
        const n = (stored === undefined ? 0 : stored.readDoubleBE(0)) + 1
        const value = Buffer.allocUnsafe(8)
        value.writeDoubleBE(n, 0)
        await db.put(key, value)
        messages.push({ key: m.key, value })
        resolveOffset(m.offset)
      }
      if (messages.length > 0) await producer.send({ topic: output, messages })
      done += messages.length
      await heartbeat()
      if (done >= limit) finish(performance.now())
    },
  })
  const end = await finished
  const ms = end - first!
  printResult(throughput(done, (datasetBytes(data) * done) / data.count, ms, { loop: 'naive', client: 'KafkaJS-compatible' }))
  await Promise.race([Promise.all([consumer.disconnect(), producer.disconnect()]), new Promise((r) => setTimeout(r, 3_000))])
  await db.close()
}
