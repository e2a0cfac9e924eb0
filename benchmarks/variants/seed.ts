/**
 * Preparation job (not measured): writes a case's seeded input once, into a durable embedded
 * broker directory that every run then copies (`params.broker: 'embedded'`, `params.dir`), or to
 * the mock cluster the parent runs, through the Kafka adapter, whose murmur2 partitioner places
 * each key where the embedded broker does.
 */
import { KafkaBroker } from '../../src/runtime/broker/kafka/kafka-broker'
import { seedEmbedded, sendAll } from '../harness/brokers'
import { dataset } from '../harness/data'
import { printResult, type RunParams } from '../harness/protocol'

export async function run(params: RunParams): Promise<void> {
  const data = dataset({ records: params.records!, keys: params.keys!, distribution: params.distribution!, stepMs: Number(params.stepMs ?? 1) })
  const started = performance.now()
  if (params.broker === 'mock') {
    const broker = new KafkaBroker({ bootstrapServers: params.bootstrapServers!, topicCreation: 'auto' })
    try {
      const producer = broker.producer()
      await producer.connect()
      await sendAll(producer, data, params.inputTopic!)
    } finally {
      await Promise.race([broker.close(), new Promise((r) => setTimeout(r, 3_000))])
    }
  } else {
    await seedEmbedded(String(params.dir), data, {
      input: params.inputTopic!,
      partitions: params.partitions!,
      others: (params.otherTopics as string[] | undefined) ?? [],
      table: params.tableTopic as string | undefined,
    })
  }
  const seconds = (performance.now() - started) / 1000
  printResult({ records: data.count, seconds, recordsPerSec: Math.round(data.count / seconds) })
}
