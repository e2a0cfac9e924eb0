/** Contract: producing, consuming, partitioning, topics and offsets. */
import type { OutgoingRecord } from '../../src/runtime/broker/broker'
import { defaultPartition } from '../../src/runtime/broker/murmur2'
import { createTopics, freshTopic, itIf, pollUntil, record, text, type ContractContext } from './contract-support'

const NO_PARTITIONS = 'cannot create topics with a chosen partition count'

export function describeProduceConsumeContract(ctx: ContractContext): void {
  const caps = ctx.capabilities
  const withPartitions = itIf(caps.topicsWithPartitions, NO_PARTITIONS)

  describe('produce and consume', () => {
    withPartitions('round-trips keys, values, nulls, empty bytes, headers and timestamps', async () => {
      const t = ctx.current()
      const topic = freshTopic('roundtrip')
      await createTopics(t, [{ name: topic, partitions: 1 }])
      const producer = t.broker.producer()
      await producer.connect()
      producer.send(record(topic, 'k1', 'v1', { timestamp: 1_000, headers: [['a', Buffer.from('1')], ['a', Buffer.from('2')], ['b', Buffer.alloc(0)]] }))
      producer.send(record(topic, null, 'v2', { timestamp: 2_000 }))
      producer.send(record(topic, 'k3', null, { timestamp: 3_000 }))
      producer.send(record(topic, 'k4', '', { timestamp: 4_000 }))
      await producer.flush()
      const consumer = t.broker.consumer({ groupId: freshTopic('g'), autoOffsetReset: 'earliest' })
      try {
        await consumer.subscribe([topic], { onAssigned() {}, onRevoked() {}, onLost() {} })
        const got = await pollUntil(consumer, (r) => r.length >= 4, caps.rebalanceTimeoutMs)
        expect(got.map((r) => [text(r.key), text(r.value), r.timestamp, r.partition])).toEqual([
          ['k1', 'v1', 1_000, 0],
          [null, 'v2', 2_000, 0],
          ['k3', null, 3_000, 0],
          ['k4', '', 4_000, 0],
        ])
        expect(got.map((r) => r.offset)).toEqual([0, 1, 2, 3])
        expect(got.every((r) => r.topic === topic)).toBe(true)
        expect(got[0]!.headers.map(([k, v]) => [k, v.toString()])).toEqual([['a', '1'], ['a', '2'], ['b', '']])
        expect(got[1]!.headers).toEqual([])
      } finally {
        await consumer.close()
        await producer.close()
      }
    })

    withPartitions('writes to an explicit partition and reports end and beginning offsets', async () => {
      const t = ctx.current()
      const topic = freshTopic('explicit')
      await createTopics(t, [{ name: topic, partitions: 3 }])
      const admin = t.broker.admin()
      const tps = [0, 1, 2].map((partition) => ({ topic, partition }))
      expect((await admin.endOffsets(tps)).map((o) => o.offset)).toEqual([0, 0, 0])
      const producer = t.broker.producer()
      await producer.connect()
      for (let i = 0; i < 3; i++) producer.send(record(topic, `k${i}`, `v${i}`, { partition: 2 }))
      producer.send(record(topic, 'x', 'y', { partition: 0 }))
      await producer.flush()
      expect((await admin.endOffsets(tps)).map((o) => o.offset)).toEqual([1, 0, 3])
      expect((await admin.beginningOffsets(tps)).map((o) => o.offset)).toEqual([0, 0, 0])
      await producer.close()
    })

    withPartitions("places keyed records with Kafka's murmur2 partitioner", async () => {
      const t = ctx.current()
      const topic = freshTopic('murmur')
      await createTopics(t, [{ name: topic, partitions: 7 }])
      // Kafka's own murmur2 test vectors (clients UtilsTest), as partitions of a 7-partition topic.
      const java: [string, number][] = [['21', 3], ['foobar', 0], ['a-little-bit-long-string', 1], ['a-little-bit-longer-string', 0], ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', 3], ['abc', 4]]
      const keys = [...java.map(([k]) => k), ...Array.from({ length: 60 }, (_, i) => `user-${i * 7919}`)]
      const producer = t.broker.producer()
      await producer.connect()
      for (const key of keys) producer.send(record(topic, key, 'v'))
      await producer.flush()
      const consumer = t.broker.consumer({ groupId: freshTopic('g'), autoOffsetReset: 'earliest' })
      try {
        await consumer.subscribe([topic], { onAssigned() {}, onRevoked() {}, onLost() {} })
        const got = await pollUntil(consumer, (r) => r.length >= keys.length, caps.rebalanceTimeoutMs)
        const placed = new Map(got.map((r) => [text(r.key)!, r.partition]))
        for (const [key, partition] of java) expect([key, placed.get(key)]).toEqual([key, partition])
        for (const key of keys) expect([key, placed.get(key)]).toEqual([key, defaultPartition(Buffer.from(key), 7)])
      } finally {
        await consumer.close()
        await producer.close()
      }
    })

    withPartitions('reports the partition counts of existing topics only', async () => {
      const t = ctx.current()
      const [a, b] = [freshTopic('count-a'), freshTopic('count-b')]
      await createTopics(t, [{ name: a, partitions: 3 }, { name: b, partitions: 1 }])
      const counts = await t.broker.admin().partitionCounts([a, b, freshTopic('missing')])
      expect([...counts].sort()).toEqual([[a, 3], [b, 1]].sort())
    })

    itIf(caps.adminCreatesTopics, 'admin cannot create topics')('ensureTopics is idempotent and leaves existing topics as they are', async () => {
      const admin = ctx.current().broker.admin()
      const topic = freshTopic('ensure')
      await admin.ensureTopics([{ name: topic, partitions: 2 }])
      await admin.ensureTopics([{ name: topic, partitions: 2 }])
      await admin.ensureTopics([{ name: topic, partitions: 5, config: { 'cleanup.policy': 'compact' } }])
      expect((await admin.partitionCounts([topic])).get(topic)).toBe(2)
      expect(await admin.listTopics()).toContain(topic)
    })

    itIf(caps.deleteTopics, 'admin cannot delete topics')('deleteTopics removes topics', async () => {
      const t = ctx.current()
      const topic = freshTopic('delete')
      await createTopics(t, [{ name: topic, partitions: 2 }])
      await t.broker.admin().deleteTopics([topic])
      expect(await t.broker.admin().listTopics()).not.toContain(topic)
      expect((await t.broker.admin().partitionCounts([topic])).has(topic)).toBe(false)
    })

    withPartitions('flush() resolves once the records are readable', async () => {
      const t = ctx.current()
      const topic = freshTopic('flush')
      await createTopics(t, [{ name: topic, partitions: 1 }])
      const producer = t.broker.producer()
      await producer.connect()
      for (let i = 0; i < 100; i++) producer.send(record(topic, `k${i}`, `v${i}`))
      await producer.flush()
      const [end] = await t.broker.admin().endOffsets([{ topic, partition: 0 }])
      expect(end!.offset).toBe(100)
      await producer.close()
    })

    withPartitions("hands a record too large for the broker to onRecordFailure: 'continue' drops it, 'fail' fails flush()", async () => {
      const t = ctx.current()
      const topic = freshTopic('too-large')
      await createTopics(t, [{ name: topic, partitions: 1 }])
      // Above Kafka's default message.max.bytes (1048588) and librdkafka's (1000000).
      const big = record(topic, 'k', null, { value: Buffer.alloc(1_100_000, 'x') })
      const asked: { record: OutgoingRecord; code: string; topic: string | undefined }[] = []
      let answer: 'continue' | 'fail' = 'continue'
      const producer = t.broker.producer({
        onRecordFailure: (r, error) => {
          asked.push({ record: r, code: error.code, topic: error.coordinates.topic })
          return answer
        },
      })
      await producer.connect()
      producer.send(record(topic, 'k', 'before'))
      producer.send(big)
      producer.send(record(topic, 'k', 'after'))
      await producer.flush()
      expect(asked).toEqual([{ record: big, code: 'PRODUCTION_FAILED', topic }])
      answer = 'fail'
      producer.send(big)
      await expect(producer.flush()).rejects.toMatchObject({ code: 'PRODUCTION_FAILED', coordinates: { topic } })
      expect(asked).toHaveLength(2)
      const [end] = await t.broker.admin().endOffsets([{ topic, partition: 0 }])
      expect(end!.offset).toBe(2)
      await producer.close()
    })
  })
}
