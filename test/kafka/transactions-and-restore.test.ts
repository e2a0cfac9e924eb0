import type { BrokerRecord } from '../../src/runtime/broker/broker'
import { useMockCluster } from '../support/mock-cluster/use-mock-cluster'
import { brokerPerTest, groupOptions, outgoing, pollUntil, rebalanceLog } from './kafka-test-kit'

const kafka = useMockCluster()

// The mock broker writes commit/abort markers but does not implement read_committed isolation and
// drops offsets sent in a transaction: these tests prove the protocol calls run and what a reader
// sees of the log. Isolation itself is proven on the embedded broker.
describe('Kafka adapter: transactions and restore reads on the mock cluster', () => {
  const broker = brokerPerTest(kafka)

  async function transactionalWrites(topic: string, rounds: readonly ('commit' | 'abort')[], perRound: number): Promise<void> {
    const producer = broker().producer({ transactionalId: kafka.uniqueTopic('tx') })
    await producer.connect()
    for (const [round, outcome] of rounds.entries()) {
      await producer.beginTransaction()
      for (let i = 0; i < perRound; i++) producer.send(outgoing(topic, `k${i}`, `r${round}-${i}`, { partition: 0 }))
      // Delivered before the outcome, so aborted records really reach the log (with an abort marker).
      await producer.flush()
      if (outcome === 'commit') await producer.commitTransaction()
      else await producer.abortTransaction()
    }
    await producer.close()
  }

  it('commits and aborts transactions; the log holds data plus one control marker per transaction', async () => {
    const topic = kafka.uniqueTopic('txlog')
    await kafka.createTopic(topic, 1)
    await transactionalWrites(topic, ['commit', 'abort', 'commit'], 4)
    const [end] = await broker().admin().endOffsets([{ topic, partition: 0 }])
    expect(end!.offset).toBe(3 * 4 + 3)
  })

  it('reads a transactional partition to its end, stopping at EOF past the last control marker', async () => {
    const topic = kafka.uniqueTopic('restore')
    await kafka.createTopic(topic, 1)
    await transactionalWrites(topic, ['commit', 'commit', 'commit'], 5)
    const reader = broker().reader()
    const batches: BrokerRecord[][] = []
    const end = await reader.readToEnd({ topic, partition: 0, offset: 0 }, (b) => void batches.push([...b]), { maxBatchRecords: 4 })
    const offsets = batches.flat().map((r) => r.offset)
    // 5 data records, then a marker, three times: data at 0-4, 6-10, 12-16; markers at 5, 11, 17.
    expect(offsets).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16])
    expect(end).toBe(18)
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(4)
    expect(batches.flat()[0]!.value?.toString()).toBe('r0-0')

    // From the middle, and from the end (nothing to read).
    const tail: number[] = []
    expect(await reader.readToEnd({ topic, partition: 0, offset: 13 }, (b) => void tail.push(...b.map((r) => r.offset)))).toBe(18)
    expect(tail).toEqual([13, 14, 15, 16])
    const none: BrokerRecord[] = []
    expect(await reader.readToEnd({ topic, partition: 0, offset: 18 }, (b) => void none.push(...b))).toBe(18)
    expect(none).toEqual([])
  })

  it('reads an empty partition and serialises concurrent reads on one reader', async () => {
    const topic = kafka.uniqueTopic('restore2')
    await kafka.createTopic(topic, 2)
    const producer = broker().producer()
    await producer.connect()
    for (let i = 0; i < 30; i++) producer.send(outgoing(topic, `k${i}`, 'v', { partition: 1 }))
    await producer.flush()
    const reader = broker().reader()
    const seen = new Map<number, number>()
    const count = (p: number) => (b: readonly BrokerRecord[]) => void seen.set(p, (seen.get(p) ?? 0) + b.length)
    const [e0, e1] = await Promise.all([
      reader.readToEnd({ topic, partition: 0, offset: 0 }, count(0)),
      reader.readToEnd({ topic, partition: 1, offset: 0 }, count(1)),
    ])
    expect([e0, e1]).toEqual([0, 30])
    expect(seen.get(1)).toBe(30)
    expect(seen.get(0)).toBeUndefined()
  })

  it('sends consumer offsets in a transaction with the group metadata (EOS v2 call path)', async () => {
    const topic = kafka.uniqueTopic('eos-in')
    await kafka.createTopic(topic, 1)
    const seed = broker().producer()
    await seed.connect()
    for (let i = 0; i < 3; i++) seed.send(outgoing(topic, `k${i}`, 'v'))
    await seed.flush()

    const consumer = broker().consumer(groupOptions(kafka.uniqueTopic('g'), { isolationLevel: 'read_committed' }))
    await consumer.subscribe([topic], rebalanceLog())
    const records = await pollUntil([consumer], (r) => r.length >= 3)
    const producer = broker().producer({ transactionalId: kafka.uniqueTopic('tx') })
    await producer.connect()
    await producer.beginTransaction()
    producer.send(outgoing(kafka.uniqueTopic('unused-out'), 'k', 'v'))
    await producer.sendOffsetsToTransaction([{ topic, partition: 0, offset: records[2]!.offset + 1 }], consumer)
    await producer.commitTransaction()
  })

  // Fencing is not testable here: the mock broker neither bumps the epoch on InitProducerId nor
  // checks it on EndTxn, so an older producer commits happily. kafka-errors.test.ts covers the mapping.

  it('refuses transactional calls on a plain producer', async () => {
    const producer = broker().producer()
    await producer.connect()
    await expect(producer.beginTransaction()).rejects.toMatchObject({ code: 'ILLEGAL_STATE' })
  })
})
