/** Contract: transactional producers, read_committed isolation, offsets in transactions, fencing. */
import type { BrokerRecord, BrokerProducer, IsolationLevel } from '../../src/runtime/broker/broker'
import { RecordingListener, createTopics, freshTopic, itIf, pollUntil, record, text, type BrokerUnderTest, type ContractContext } from './contract-support'

async function readAll(t: BrokerUnderTest, topic: string, isolationLevel: IsolationLevel): Promise<string[]> {
  const reader = t.broker.reader()
  const records: BrokerRecord[] = []
  await reader.readToEnd({ topic, partition: 0, offset: 0 }, (batch) => void records.push(...batch), { isolationLevel })
  await reader.close()
  return records.map((r) => text(r.value)!)
}

async function endOffset(t: BrokerUnderTest, topic: string, isolation: IsolationLevel): Promise<number> {
  const [end] = await t.broker.admin().endOffsets([{ topic, partition: 0 }], isolation)
  return end!.offset
}

export function describeTransactionContract(ctx: ContractContext): void {
  const caps = ctx.capabilities
  const reason = !caps.transactions ? 'no transactions' : !caps.topicsWithPartitions ? 'cannot create topics with a chosen partition count' : ''
  const txIt = itIf(reason === '', reason)
  const committedIt = itIf(reason === '' && caps.readCommitted, reason || 'read_committed isolation not supported')
  const fencingIt = itIf(reason === '' && (caps.fencing ?? true), reason || 'a second producer with the same transactionalId does not fence the first')
  const offsetsIt = itIf(reason === '' && caps.transactionalOffsets, reason || 'offsets sent in a transaction are not committed')
  const producers: BrokerProducer[] = []
  const producer = async (t: BrokerUnderTest, transactionalId: string): Promise<BrokerProducer> => {
    const p = t.broker.producer({ transactionalId })
    producers.push(p)
    await p.connect()
    return p
  }
  afterEach(async () => {
    for (const p of producers.splice(0)) await p.close().catch(() => undefined)
  })

  describe('transactions', () => {
    txIt('records of a committed transaction are delivered, in order', async () => {
      const t = ctx.current()
      const topic = freshTopic('tx-commit')
      await createTopics(t, [{ name: topic, partitions: 1 }])
      const p = await producer(t, freshTopic('tx'))
      await p.beginTransaction()
      for (const v of ['a', 'b', 'c']) p.send(record(topic, v, v))
      await p.commitTransaction()
      const consumer = t.broker.consumer({ groupId: freshTopic('g'), autoOffsetReset: 'earliest', isolationLevel: caps.readCommitted ? 'read_committed' : 'read_uncommitted' })
      try {
        await consumer.subscribe([topic], new RecordingListener())
        const got = await pollUntil(consumer, (r) => r.length >= 3, caps.rebalanceTimeoutMs)
        expect(got.map((r) => text(r.value))).toEqual(['a', 'b', 'c'])
      } finally {
        await consumer.close()
      }
      if (caps.readCommitted) expect(await readAll(t, topic, 'read_committed')).toEqual(['a', 'b', 'c'])
    })

    txIt("commits a transaction whose too-large record onRecordFailure dropped ('continue')", async () => {
      const t = ctx.current()
      const topic = freshTopic('tx-too-large')
      await createTopics(t, [{ name: topic, partitions: 1 }])
      let asked = 0
      const p = t.broker.producer({ transactionalId: freshTopic('tx'), onRecordFailure: () => (asked++, 'continue') })
      producers.push(p)
      await p.connect()
      await p.beginTransaction()
      p.send(record(topic, 'k', 'a'))
      p.send(record(topic, 'k', null, { value: Buffer.alloc(1_100_000, 'x') }))
      p.send(record(topic, 'k', 'b'))
      await p.commitTransaction()
      expect(asked).toBe(1)
      expect(await readAll(t, topic, caps.readCommitted ? 'read_committed' : 'read_uncommitted')).toEqual(['a', 'b'])
    })

    committedIt('records of an aborted transaction are never visible to read_committed, but are to read_uncommitted', async () => {
      const t = ctx.current()
      const topic = freshTopic('tx-abort')
      await createTopics(t, [{ name: topic, partitions: 1 }])
      const p = await producer(t, freshTopic('tx'))
      await p.beginTransaction()
      p.send(record(topic, 'x', 'aborted-1'))
      p.send(record(topic, 'y', 'aborted-2'))
      await p.flush()
      await p.abortTransaction()
      await p.beginTransaction()
      p.send(record(topic, 'z', 'kept'))
      await p.commitTransaction()
      expect(await readAll(t, topic, 'read_committed')).toEqual(['kept'])
      expect(await readAll(t, topic, 'read_uncommitted')).toEqual(['aborted-1', 'aborted-2', 'kept'])
      const consumer = t.broker.consumer({ groupId: freshTopic('g'), autoOffsetReset: 'earliest', isolationLevel: 'read_committed' })
      try {
        await consumer.subscribe([topic], new RecordingListener())
        const got = await pollUntil(consumer, (r) => r.length >= 1, caps.rebalanceTimeoutMs)
        got.push(...(await consumer.poll(100, 200)))
        expect(got.map((r) => text(r.value))).toEqual(['kept'])
      } finally {
        await consumer.close()
      }
    })

    committedIt('an open transaction holds read_committed back (LSO) until it commits', async () => {
      const t = ctx.current()
      const topic = freshTopic('tx-open')
      await createTopics(t, [{ name: topic, partitions: 1 }])
      const p = await producer(t, freshTopic('tx'))
      await p.beginTransaction()
      p.send(record(topic, 'a', 'in-tx-1'))
      p.send(record(topic, 'b', 'in-tx-2'))
      await p.flush()
      // A plain record written after the open transaction's first record is held back too.
      const plain = t.broker.producer()
      await plain.connect()
      plain.send(record(topic, 'c', 'plain'))
      await plain.flush()
      await plain.close()
      expect(await endOffset(t, topic, 'read_committed')).toBe(0)
      expect(await endOffset(t, topic, 'read_uncommitted')).toBeGreaterThanOrEqual(3)
      expect(await readAll(t, topic, 'read_committed')).toEqual([])
      expect(await readAll(t, topic, 'read_uncommitted')).toEqual(['in-tx-1', 'in-tx-2', 'plain'])
      const consumer = t.broker.consumer({ groupId: freshTopic('g'), autoOffsetReset: 'earliest', isolationLevel: 'read_committed' })
      try {
        await consumer.subscribe([topic], new RecordingListener())
        expect(await pollUntil(consumer, () => false, 500)).toEqual([])
        const polled = pollUntil(consumer, (r) => r.length >= 3, caps.rebalanceTimeoutMs)
        await p.commitTransaction()
        expect((await polled).map((r) => text(r.value))).toEqual(['in-tx-1', 'in-tx-2', 'plain'])
      } finally {
        await consumer.close()
      }
      expect(await endOffset(t, topic, 'read_committed')).toBe(await endOffset(t, topic, 'read_uncommitted'))
    })

    offsetsIt('offsets sent to a transaction become committed only when it commits', async () => {
      const t = ctx.current()
      const [input, output] = [freshTopic('tx-in'), freshTopic('tx-out')]
      const group = freshTopic('g')
      await createTopics(t, [{ name: input, partitions: 1 }, { name: output, partitions: 1 }])
      const seed = t.broker.producer()
      await seed.connect()
      for (let i = 0; i < 6; i++) seed.send(record(input, `k${i}`, `v${i}`))
      await seed.flush()
      await seed.close()
      const consumer = t.broker.consumer({ groupId: group, autoOffsetReset: 'earliest', isolationLevel: 'read_committed' })
      try {
        await consumer.subscribe([input], new RecordingListener())
        await pollUntil(consumer, (r) => r.length >= 6, caps.rebalanceTimeoutMs)
        const p = await producer(t, freshTopic('tx'))
        const tp = { topic: input, partition: 0 }
        await p.beginTransaction()
        p.send(record(output, 'k', 'out-1'))
        await p.sendOffsetsToTransaction([{ ...tp, offset: 2 }], consumer)
        expect(await t.broker.admin().committedOffsets(group, [tp])).toEqual([])
        await p.commitTransaction()
        expect(await consumer.committed([tp])).toEqual([{ ...tp, offset: 2 }])
        await p.beginTransaction()
        p.send(record(output, 'k', 'out-2'))
        await p.sendOffsetsToTransaction([{ ...tp, offset: 5 }], consumer)
        await p.abortTransaction()
        expect(await t.broker.admin().committedOffsets(group, [tp])).toEqual([{ ...tp, offset: 2 }])
      } finally {
        await consumer.close()
      }
    })

    fencingIt('a newer producer with the same transactionalId fences the older one and aborts its transaction', async () => {
      const t = ctx.current()
      const topic = freshTopic('tx-fence')
      const id = freshTopic('tx')
      await createTopics(t, [{ name: topic, partitions: 1 }])
      const older = await producer(t, id)
      await older.beginTransaction()
      older.send(record(topic, 'z', 'zombie'))
      await older.flush()
      const newer = await producer(t, id)
      await expect(older.commitTransaction()).rejects.toMatchObject({ code: 'TASK_MIGRATED' })
      await expect(older.beginTransaction()).rejects.toMatchObject({ code: 'TASK_MIGRATED' })
      await newer.beginTransaction()
      newer.send(record(topic, 'n', 'newer'))
      await newer.commitTransaction()
      if (caps.readCommitted) expect(await readAll(t, topic, 'read_committed')).toEqual(['newer'])
    })

    txIt('a transactional producer refuses to send outside a transaction', async () => {
      const t = ctx.current()
      const p = await producer(t, freshTopic('tx'))
      expect(() => p.send(record(freshTopic('tx-nowhere'), 'k', 'v'))).toThrow()
    })
  })
}
