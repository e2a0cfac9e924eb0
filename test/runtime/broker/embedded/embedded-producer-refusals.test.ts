/** Records the embedded broker refuses for good (topic or partition missing, larger than
 *  maxMessageBytes) and the producer's onRecordFailure, in memory and durable. */
import { StreamfoldError } from '../../../../src/errors'
import type { OutgoingRecord, ProducerOptions } from '../../../../src/runtime/broker/broker'
import { createEmbeddedBroker, type EmbeddedBroker, type EmbeddedBrokerOptions } from '../../../../src/runtime/broker/embedded/embedded-broker'
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES, kafkaRecordSize } from '../../../../src/runtime/broker/embedded/kafka-record-size'
import { out, readAll, useTempDir } from './embedded-test-support'

type Decision = 'continue' | 'fail'

/** An onRecordFailure that answers `answer` and remembers what it was asked. */
function recorder(answer: Decision | ((record: OutgoingRecord) => Decision)) {
  const calls: { record: OutgoingRecord; error: StreamfoldError }[] = []
  const onRecordFailure: NonNullable<ProducerOptions['onRecordFailure']> = (record, error) => {
    calls.push({ record, error })
    return typeof answer === 'function' ? answer(record) : answer
  }
  return { calls, onRecordFailure }
}

const values = async (broker: EmbeddedBroker, topic: string, partition = 0, isolation: 'read_committed' | 'read_uncommitted' = 'read_uncommitted') =>
  (await readAll(broker, topic, partition, isolation)).map((r) => r.value?.toString() ?? null)

const SECRET = 'secret-value-4711'

/** `base` with a value of the length that makes kafkaRecordSize exactly `size`. */
function ofSize(base: OutgoingRecord, size: number, fill = 'x'): OutgoingRecord & { value: Buffer } {
  const sizeWith = (length: number) => kafkaRecordSize({ ...base, value: { length } as Buffer })
  // Each value byte adds one byte, plus the widening of two length varints (at most 8 bytes).
  let length = Math.max(0, size - sizeWith(0) - 8)
  while (sizeWith(length) < size) length++
  if (sizeWith(length) !== size) throw new Error(`no value length gives ${size} bytes`)
  return { ...base, value: Buffer.alloc(length, fill) }
}

describe.each(['in memory', 'durable'] as const)('embedded producer refusals (%s)', (mode) => {
  const dataDir = useTempDir()
  let broker: EmbeddedBroker
  const open = async (options: Omit<EmbeddedBrokerOptions, 'dataDir' | 'inMemory'> = {}) => {
    const where = mode === 'durable' ? { dataDir: dataDir() } : { inMemory: true }
    broker = await createEmbeddedBroker({ ...where, cleanerIntervalMs: 0, autoCreateTopics: false, ...options })
    await broker.admin().ensureTopics([{ name: 'known', partitions: 2 }])
  }
  afterEach(async () => {
    await broker?.close()
  })

  it("drops a record for a missing topic on 'continue': flush resolves, the rest is written", async () => {
    await open()
    const { calls, onRecordFailure } = recorder('continue')
    const producer = broker.producer({ onRecordFailure })
    const missing = out('missing', 'k', SECRET)
    producer.send(out('known', 'k', 'before', { partition: 0 }))
    producer.send(missing)
    producer.send(out('known', 'k', 'after', { partition: 0 }))
    await producer.flush()
    expect(calls).toHaveLength(1)
    expect(calls[0]!.record).toBe(missing)
    expect(calls[0]!.error).toMatchObject({ code: 'TOPIC_NOT_FOUND', coordinates: { topic: 'missing' } })
    expect(await values(broker, 'known')).toEqual(['before', 'after'])
    expect(await broker.admin().listTopics()).toEqual(['known'])
    await producer.close()
  })

  it("fails flush on 'fail', asks once per flush while that failure is pending, then goes on", async () => {
    await open()
    const { calls, onRecordFailure } = recorder('fail')
    const producer = broker.producer({ onRecordFailure })
    producer.send(out('missing', 'k', 'v'))
    producer.send(out('known', 'k', 'v', { partition: 7 }))
    await expect(producer.flush()).rejects.toMatchObject({ code: 'TOPIC_NOT_FOUND', coordinates: { topic: 'missing' } })
    // The second refusal came while the first failure was pending: it was not asked about.
    expect(calls.map((c) => c.record.topic)).toEqual(['missing'])
    producer.send(out('known', 'k', 'v', { partition: 7 }))
    await expect(producer.flush()).rejects.toMatchObject({ code: 'TOPIC_NOT_FOUND', coordinates: { topic: 'known', partition: 7 } })
    expect(calls).toHaveLength(2)
    producer.send(out('known', 'k', 'fine', { partition: 1 }))
    await producer.flush()
    await producer.close()
  })

  it('refuses a record larger than maxMessageBytes, measured as Kafka does, naming the limit and never the contents', async () => {
    await open({ maxMessageBytes: 200 })
    const { calls, onRecordFailure } = recorder('fail')
    const producer = broker.producer({ onRecordFailure })
    const exact = ofSize(out('known', 'key', null, { partition: 0, headers: [['h', Buffer.from('1')]] }), 200)
    const tooBig = ofSize(exact, 201, SECRET)
    producer.send(exact)
    await producer.flush()
    producer.send(tooBig)
    const error = await producer.flush().then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(StreamfoldError)
    expect(error).toMatchObject({ code: 'PRODUCTION_FAILED', coordinates: { topic: 'known', partition: 0 } })
    expect((error as Error).message).toContain('record of 201 bytes is larger than')
    expect((error as Error).message).toContain('maxMessageBytes (200')
    expect((error as Error).message).not.toContain('secret')
    expect(calls.map((c) => c.record)).toEqual([tooBig])
    expect((await readAll(broker, 'known', 0)).map((r) => r.value!.length)).toEqual([exact.value.length])
    await producer.close()
  })

  it("applies Kafka's default message.max.bytes (1048588) without configuration", async () => {
    await open({ autoCreateTopics: true })
    const { calls, onRecordFailure } = recorder('continue')
    const producer = broker.producer({ onRecordFailure })
    const exact = ofSize(out('big', null, null), KAFKA_DEFAULT_MAX_MESSAGE_BYTES)
    producer.send(exact)
    producer.send(ofSize(exact, KAFKA_DEFAULT_MAX_MESSAGE_BYTES + 1))
    await producer.flush()
    expect(calls).toHaveLength(1)
    expect(calls[0]!.error.message).toContain('1048589 bytes')
    expect((await readAll(broker, 'big', 0)).map((r) => r.value!.length)).toEqual([exact.value.length])
    await producer.close()
  })

  it('checks maxMessageBytes', async () => {
    for (const bad of [0, -1, 1.5]) {
      await expect(createEmbeddedBroker({ inMemory: true, maxMessageBytes: bad })).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    }
  })

  it("keeps a transaction healthy when a refused record is dropped: the rest commits", async () => {
    await open({ maxMessageBytes: 200 })
    const { calls, onRecordFailure } = recorder('continue')
    const tx = broker.producer({ transactionalId: 'tx', onRecordFailure })
    await tx.connect()
    await tx.beginTransaction()
    tx.send(out('known', 'k', 'one', { partition: 0 }))
    tx.send(out('missing', 'k', 'dropped'))
    tx.send(out('known', 'k', 'x'.repeat(300), { partition: 0 }))
    await tx.flush()
    tx.send(out('known', 'k', 'two', { partition: 0 }))
    await tx.commitTransaction()
    expect(calls.map((c) => c.error.code)).toEqual(['TOPIC_NOT_FOUND', 'PRODUCTION_FAILED'])
    expect(await values(broker, 'known', 0, 'read_committed')).toEqual(['one', 'two'])
    await tx.close()
  })

  it("fails and aborts a transaction on 'fail': nothing of it becomes visible", async () => {
    await open()
    const { calls, onRecordFailure } = recorder((r) => (r.topic === 'missing' ? 'fail' : 'continue'))
    const tx = broker.producer({ transactionalId: 'tx', onRecordFailure })
    await tx.connect()
    await tx.beginTransaction()
    tx.send(out('known', 'k', 'in-failed-tx', { partition: 0 }))
    tx.send(out('missing', 'k', 'v'))
    await expect(tx.commitTransaction()).rejects.toMatchObject({ code: 'TOPIC_NOT_FOUND' })
    await tx.abortTransaction()
    expect(calls).toHaveLength(1)
    expect(await values(broker, 'known', 0, 'read_committed')).toEqual([])
    await tx.beginTransaction()
    tx.send(out('known', 'k', 'next', { partition: 0 }))
    await tx.commitTransaction()
    expect(await values(broker, 'known', 0, 'read_committed')).toEqual(['next'])
    await tx.close()
  })

  it('reports what onRecordFailure threw as the failure', async () => {
    await open()
    const bug = new Error('handler bug')
    const producer = broker.producer({
      onRecordFailure: () => {
        throw bug
      },
    })
    producer.send(out('missing', 'k', 'v'))
    await expect(producer.flush()).rejects.toBe(bug)
    await producer.close()
  })

  it('is not asked about failures that are no refusal of the record (an illegal topic name)', async () => {
    await open({ autoCreateTopics: true })
    const { calls, onRecordFailure } = recorder('continue')
    const producer = broker.producer({ onRecordFailure })
    producer.send(out('not a legal name', 'k', 'v'))
    await expect(producer.flush()).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    expect(calls).toEqual([])
    await producer.close()
  })
})

describe('kafkaRecordSize', () => {
  it("is the record's size alone in a v2 record batch, as Kafka's DefaultRecordBatch counts it", () => {
    // 61 bytes of batch header + varint(body) + body: attributes, timestamp and offset deltas,
    // length-prefixed key and value (null: one byte), header count, headers.
    expect(kafkaRecordSize({ key: null, value: null, headers: [] })).toBe(61 + 1 + 6)
    expect(kafkaRecordSize({ key: Buffer.from('k'), value: Buffer.from('v'), headers: [] })).toBe(61 + 1 + 8)
    expect(kafkaRecordSize({ key: null, value: null, headers: [['hé', Buffer.from('12')]] })).toBe(61 + 1 + 6 + 1 + 3 + 1 + 2)
    // Varints are zigzag: 64 and more takes two bytes, for the body's length and the value's.
    expect(kafkaRecordSize({ key: null, value: Buffer.alloc(57), headers: [] })).toBe(61 + 1 + 5 + 1 + 57)
    expect(kafkaRecordSize({ key: null, value: Buffer.alloc(58), headers: [] })).toBe(61 + 2 + 5 + 1 + 58)
    expect(kafkaRecordSize({ key: null, value: Buffer.alloc(64), headers: [] })).toBe(61 + 2 + 5 + 2 + 64)
  })
})
