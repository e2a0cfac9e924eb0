/**
 * Records refused for good and the producer's onRecordFailure on the Kafka adapter, against the
 * mock cluster: refused by produce() at once (larger than the client's message.max.bytes) and
 * refused in a delivery report (an error the mock broker injects into its Produce response).
 */
import type { BrokerRecord, OutgoingRecord, ProducerOptions } from '../../src/runtime/broker/broker'
import type { StreamfoldError } from '../../src/errors'
import { useMockCluster } from '../support/mock-cluster/use-mock-cluster'
import { brokerPerTest, outgoing } from './kafka-test-kit'

const kafka = useMockCluster()

/** Kafka's INVALID_RECORD: a permanent, per-partition refusal (e.g. a null key on a compacted topic). */
const INVALID_RECORD = 87
/** Above librdkafka's default message.max.bytes (1000000). */
const OVERSIZED = 1_100_000
const SECRET = 'secret-4711'

function recorder(answer: 'continue' | 'fail') {
  const calls: { record: OutgoingRecord; error: StreamfoldError }[] = []
  const onRecordFailure: NonNullable<ProducerOptions['onRecordFailure']> = (record, error) => {
    calls.push({ record, error })
    return answer
  }
  return { calls, onRecordFailure }
}

describe('Kafka adapter: records refused for good go to onRecordFailure (mock cluster)', () => {
  const broker = brokerPerTest(kafka)

  /** A plain producer with a 'continue' handler that has stored 'before'; the partition now refuses. */
  async function refusingAfterOneRecord(prefix: string) {
    const topic = kafka.uniqueTopic(prefix)
    await kafka.createTopic(topic, 1)
    const { calls, onRecordFailure } = recorder('continue')
    const producer = broker().producer({ onRecordFailure })
    await producer.connect()
    producer.send(outgoing(topic, 'k', 'before', { partition: 0 }))
    await producer.flush()
    await kafka.failProduce(topic, 0, INVALID_RECORD)
    return { topic, calls, producer }
  }

  /** librdkafka bumped the idempotent epoch and goes on: a later record is stored after 'before'. */
  async function expectGoesOn(topic: string, producer: ReturnType<ReturnType<typeof broker>['producer']>): Promise<void> {
    producer.send(outgoing(topic, 'k', 'after', { partition: 0 }))
    await producer.flush()
    expect(await values(topic)).toEqual(['before', 'after'])
    await producer.close()
  }

  async function values(topic: string): Promise<string[]> {
    const reader = broker().reader()
    const records: BrokerRecord[] = []
    await reader.readToEnd({ topic, partition: 0, offset: 0 }, (batch) => void records.push(...batch))
    await reader.close()
    return records.map((r) => (r.value!.length > 100 ? `<${r.value!.length} bytes>` : r.value!.toString()))
  }

  const oversized = (topic: string) => ({ ...outgoing(topic, 'k', ''), value: Buffer.alloc(OVERSIZED, SECRET), partition: 0 })

  it("drops a record produce() refuses as too large on 'continue', naming sizes and never contents", async () => {
    const topic = kafka.uniqueTopic('big-skip')
    await kafka.createTopic(topic, 1)
    const { calls, onRecordFailure } = recorder('continue')
    const producer = broker().producer({ onRecordFailure })
    await producer.connect()
    const big = oversized(topic)
    producer.send(outgoing(topic, 'k', 'before', { partition: 0 }))
    producer.send(big)
    producer.send(outgoing(topic, 'k', 'after', { partition: 0 }))
    await producer.flush()
    expect(calls).toHaveLength(1)
    expect(calls[0]!.record).toBe(big)
    const { error } = calls[0]!
    expect(error).toMatchObject({ code: 'PRODUCTION_FAILED', coordinates: { topic, partition: 0 } })
    expect(error.message).toContain(`${OVERSIZED + 1} bytes, the producer's message.max.bytes is 1000000`)
    expect(error.message).not.toContain('secret')
    expect(await values(topic)).toEqual(['before', 'after'])
    await producer.close()
  })

  it("fails flush on 'fail' and stays usable", async () => {
    const topic = kafka.uniqueTopic('big-fail')
    await kafka.createTopic(topic, 1)
    const { calls, onRecordFailure } = recorder('fail')
    const producer = broker().producer({ onRecordFailure })
    await producer.connect()
    producer.send(oversized(topic))
    await expect(producer.flush()).rejects.toMatchObject({ code: 'PRODUCTION_FAILED', coordinates: { topic } })
    expect(calls).toHaveLength(1)
    producer.send(outgoing(topic, 'k', 'fine', { partition: 0 }))
    await producer.flush()
    expect(await values(topic)).toEqual(['fine'])
    await producer.close()
  })

  it('commits a transaction whose oversized record was dropped: produce() refused it before librdkafka queued it', async () => {
    const topic = kafka.uniqueTopic('big-tx')
    await kafka.createTopic(topic, 1)
    const { calls, onRecordFailure } = recorder('continue')
    const producer = broker().producer({ transactionalId: kafka.uniqueTopic('tx'), onRecordFailure })
    await producer.connect()
    await producer.beginTransaction()
    producer.send(outgoing(topic, 'k', 'one', { partition: 0 }))
    producer.send(oversized(topic))
    producer.send(outgoing(topic, 'k', 'two', { partition: 0 }))
    await producer.commitTransaction()
    expect(calls).toHaveLength(1)
    expect(await values(topic)).toEqual(['one', 'two'])
    const [end] = await broker().admin().endOffsets([{ topic, partition: 0 }])
    expect(end!.offset).toBe(3) // two records and the commit marker
    await producer.close()
  })

  it("drops a record refused in its delivery report on 'continue' (plain producer): the record is found among those sent since the last flush", async () => {
    const { topic, calls, producer } = await refusingAfterOneRecord('dr-skip')
    const refused = outgoing(topic, 'k', SECRET, { partition: 0 })
    producer.send(refused)
    await producer.flush()
    expect(calls).toHaveLength(1)
    expect(calls[0]!.record).toBe(refused)
    expect(calls[0]!.error).toMatchObject({ code: 'PRODUCTION_FAILED', coordinates: { topic, partition: 0 } })
    expect(calls[0]!.error.message).toContain(`librdkafka code ${INVALID_RECORD}`)
    expect(calls[0]!.error.message).not.toContain('secret')
    await expectGoesOn(topic, producer)
  })

  it('hands every record of a refused batch to the handler before flush resolves, beyond the 100 reports the binding dispatches per loop turn', async () => {
    const { topic, calls, producer } = await refusingAfterOneRecord('dr-many')
    // Sent in one go: one produce batch, refused as a whole.
    const refused = Array.from({ length: 250 }, (_, i) => outgoing(topic, `k${i}`, `refused-${i}`, { partition: 0 }))
    for (const r of refused) producer.send(r)
    await producer.flush()
    expect(calls).toHaveLength(refused.length)
    expect(new Set(calls.map((c) => c.record))).toEqual(new Set(refused))
    await expectGoesOn(topic, producer)
  })

  it("fails flush on 'fail' for a delivery refusal", async () => {
    const topic = kafka.uniqueTopic('dr-fail')
    await kafka.createTopic(topic, 1)
    const { calls, onRecordFailure } = recorder('fail')
    const producer = broker().producer({ onRecordFailure })
    await producer.connect()
    await kafka.failProduce(topic, 0, INVALID_RECORD)
    producer.send(outgoing(topic, 'k', 'refused', { partition: 0 }))
    await expect(producer.flush()).rejects.toMatchObject({ code: 'PRODUCTION_FAILED', coordinates: { topic, partition: 0 } })
    expect(calls).toHaveLength(1)
    await producer.close()
  })

  it('cannot skip a delivery refusal inside a transaction: librdkafka obliges the abort, the handler is not asked', async () => {
    const topic = kafka.uniqueTopic('dr-tx')
    await kafka.createTopic(topic, 1)
    const { calls, onRecordFailure } = recorder('continue')
    const producer = broker().producer({ transactionalId: kafka.uniqueTopic('tx'), onRecordFailure })
    await producer.connect()
    await kafka.failProduce(topic, 0, INVALID_RECORD)
    await producer.beginTransaction()
    producer.send(outgoing(topic, 'k', 'refused', { partition: 0 }))
    const failure = await producer.commitTransaction().then(() => undefined, (e: unknown) => e)
    expect(failure).toMatchObject({ code: 'TRANSACTION_FAILED', cause: { code: 'PRODUCTION_FAILED', coordinates: { topic, partition: 0 } } })
    expect(String((failure as { cause: Error }).cause.message)).toContain('librdkafka requires the transaction to abort')
    expect(calls).toEqual([])
    await producer.abortTransaction()
    // The refused batch left a gap in the partition's sequence numbers (no epoch bump on this
    // abortable error): the next transaction writing there fails too while librdkafka bumps the
    // epoch, and the one after commits.
    const outcomes: string[] = []
    for (const value of ['second', 'third']) {
      await producer.beginTransaction()
      producer.send(outgoing(topic, 'k', value, { partition: 0 }))
      const outcome = await producer.commitTransaction().then(
        () => 'committed',
        (e: { code: string; message: string }) => `${e.code}: ${e.message}`,
      )
      outcomes.push(outcome)
      if (outcome !== 'committed') await producer.abortTransaction()
    }
    expect(outcomes[0]).toMatch(/^TRANSACTION_FAILED: .*sequence/)
    expect(outcomes[1]).toBe('committed')
    expect(calls).toEqual([])
    await producer.close()
  })
})
