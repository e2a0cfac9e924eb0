import { defaultPartition } from '../../src/runtime/broker/murmur2'
import { useMockCluster } from '../support/mock-cluster/use-mock-cluster'
import { brokerPerTest, byPartition, groupOptions, mockBroker, outgoing, pollUntil, rebalanceLog } from './kafka-test-kit'

const kafka = useMockCluster()

describe('Kafka adapter: produce and consume on the mock cluster', () => {
  const broker = brokerPerTest(kafka)

  it('round-trips keys, values, headers (repeated keys kept in order), timestamps and null keys', async () => {
    const topic = kafka.uniqueTopic('roundtrip')
    await kafka.createTopic(topic, 1)
    const producer = broker().producer()
    await producer.connect()
    const ts = Date.UTC(2024, 0, 2, 3, 4, 5)
    producer.send(outgoing(topic, 'k1', 'v1', { timestamp: ts, headers: [['a', Buffer.from('1')], ['b', Buffer.from('2')], ['a', Buffer.from('3')]] }))
    producer.send({ topic, key: null, value: null, timestamp: ts + 1, headers: [] })
    producer.send(outgoing(topic, '', 'empty key', { timestamp: ts + 2 }))
    await producer.flush()

    const consumer = broker().consumer(groupOptions(kafka.uniqueTopic('g')))
    await consumer.subscribe([topic], rebalanceLog())
    const records = await pollUntil([consumer], (r) => r.length >= 3)
    expect(records.map((r) => r.offset)).toEqual([0, 1, 2])
    const [first, second, third] = records
    expect(first!.key?.toString()).toBe('k1')
    expect(first!.value?.toString()).toBe('v1')
    expect(first!.timestamp).toBe(ts)
    expect(first!.headers.map(([k, v]) => `${k}=${v.toString()}`)).toEqual(['a=1', 'b=2', 'a=3'])
    expect(second!.key).toBeNull()
    expect(second!.value).toBeNull()
    expect(second!.timestamp).toBe(ts + 1)
    expect(second!.headers).toEqual([])
    expect(third!.value?.toString()).toBe('empty key')
  })

  it('places keyed records on the partition murmur2 picks, like the Java client and Kafka Streams', async () => {
    const topic = kafka.uniqueTopic('murmur')
    const partitions = 7
    await kafka.createTopic(topic, partitions)
    const producer = broker().producer()
    await producer.connect()
    const keys = Array.from({ length: 60 }, (_, i) => `user-${i * 7919}`)
    for (const k of keys) producer.send(outgoing(topic, k, 'x'))
    await producer.flush()

    const consumer = broker().consumer(groupOptions(kafka.uniqueTopic('g')))
    await consumer.subscribe([topic], rebalanceLog())
    const records = await pollUntil([consumer], (r) => r.length >= keys.length)
    for (const r of records) {
      expect(r.partition).toBe(defaultPartition(r.key!, partitions))
    }
    expect(byPartition(records).size).toBeGreaterThan(3)
  })

  it('sends to an explicit partition', async () => {
    const topic = kafka.uniqueTopic('explicit')
    await kafka.createTopic(topic, 3)
    const producer = broker().producer()
    await producer.connect()
    for (let i = 0; i < 5; i++) producer.send(outgoing(topic, `k${i}`, 'v', { partition: 2 }))
    await producer.flush()
    const ends = await broker().admin().endOffsets([0, 1, 2].map((partition) => ({ topic, partition })))
    expect(ends.map((e) => e.offset)).toEqual([0, 0, 5])
  })

  it('rejects flush with PRODUCTION_FAILED naming topic and partition when delivery fails', async () => {
    const topic = kafka.uniqueTopic('fail')
    await kafka.createTopic(topic, 2)
    const producer = broker().producer()
    await producer.connect()
    producer.send(outgoing(topic, 'k', 'v', { partition: 9 }))
    const failure = await producer.flush().then(() => undefined, (e: unknown) => e)
    expect(failure).toMatchObject({ code: 'PRODUCTION_FAILED', coordinates: { topic, partition: 9 } })
    expect(String((failure as Error).message)).not.toContain('"v"')
    // The failure is reported once; the producer stays usable.
    producer.send(outgoing(topic, 'k', 'v'))
    await producer.flush()
  })

  it('keeps send() non-blocking when librdkafka\'s queue is full and delivers everything on flush', async () => {
    const topic = kafka.uniqueTopic('backlog')
    await kafka.createTopic(topic, 4)
    const small = mockBroker(kafka.bootstrapServers, { rdkafkaProducer: { 'queue.buffering.max.messages': 100 } })
    try {
      const producer = small.producer()
      await producer.connect()
      for (let i = 0; i < 2_000; i++) producer.send(outgoing(topic, `k${i}`, `v${i}`))
      await producer.flush()
      const ends = await small.admin().endOffsets([0, 1, 2, 3].map((partition) => ({ topic, partition })))
      expect(ends.reduce((sum, e) => sum + e.offset, 0)).toBe(2_000)
    } finally {
      await small.close()
    }
  })
})
