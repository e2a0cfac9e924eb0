/** Embedded-broker behaviour beyond the port contract: options, auto-creation, errors, close. */
import { createEmbeddedBroker, type EmbeddedBroker } from '../../../../src/runtime/broker/embedded/embedded-broker'
import type { KvStore } from '../../../../src/runtime/broker/embedded/kv-store'
import { WritePipeline } from '../../../../src/runtime/broker/embedded/write-pipeline'
import { out, readAll, useTempDir } from './embedded-test-support'

const listener = { onAssigned() {}, onRevoked() {}, onLost() {} }

describe('embedded broker', () => {
  const dataDir = useTempDir()
  let broker: EmbeddedBroker | undefined
  afterEach(async () => {
    await broker?.close()
    broker = undefined
  })

  it('needs exactly one of dataDir and inMemory, and a sane defaultPartitions', async () => {
    await expect(createEmbeddedBroker({})).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    await expect(createEmbeddedBroker({ inMemory: true, dataDir: dataDir() })).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    await expect(createEmbeddedBroker({ inMemory: true, defaultPartitions: 0 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    broker = await createEmbeddedBroker({ inMemory: true })
    await expect(broker.admin().ensureTopics([{ name: 'bad name', partitions: 1 }])).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    await expect(broker.admin().ensureTopics([{ name: 'ok', partitions: 1.5 }])).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })

  it('auto-creates topics on produce and subscribe with defaultPartitions', async () => {
    broker = await createEmbeddedBroker({ inMemory: true, defaultPartitions: 3 })
    const producer = broker.producer()
    producer.send(out('made-by-send', 'k', 'v'))
    await producer.flush()
    await broker.consumer({ groupId: 'g' }).subscribe(['made-by-subscribe'], listener)
    expect([...(await broker.admin().partitionCounts(['made-by-send', 'made-by-subscribe']))]).toEqual([['made-by-send', 3], ['made-by-subscribe', 3]])
  })

  it('with autoCreateTopics false, refuses unknown topics and partitions with TOPIC_NOT_FOUND', async () => {
    broker = await createEmbeddedBroker({ inMemory: true, autoCreateTopics: false })
    await broker.admin().ensureTopics([{ name: 'known', partitions: 2 }])
    const producer = broker.producer()
    producer.send(out('unknown', 'k', 'v'))
    producer.send(out('known', 'k', 'v'))
    const error = await producer.flush().catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'TOPIC_NOT_FOUND', coordinates: { topic: 'unknown' } })
    expect(String((error as Error).message)).toContain('unknown')
    expect(await readAll(broker, 'known', 0).then(async (a) => a.length + (await readAll(broker!, 'known', 1)).length)).toBe(1)
    await producer.flush() // the failure was reported once
    producer.send(out('known', 'k', 'v', { partition: 5 }))
    await expect(producer.flush()).rejects.toMatchObject({ code: 'TOPIC_NOT_FOUND', coordinates: { topic: 'known', partition: 5 } })
    await expect(broker.consumer({ groupId: 'g' }).subscribe(['unknown'], listener)).rejects.toMatchObject({ code: 'TOPIC_NOT_FOUND' })

    const tx = broker.producer({ transactionalId: 'tx' })
    await tx.connect()
    await tx.beginTransaction()
    tx.send(out('unknown', 'k', 'v'))
    tx.send(out('known', 'k', 'in-failed-tx', { partition: 0 }))
    await expect(tx.commitTransaction()).rejects.toMatchObject({ code: 'TOPIC_NOT_FOUND' })
    await expect(tx.flush()).rejects.toMatchObject({ code: 'TOPIC_NOT_FOUND' })
    await expect(tx.commitTransaction()).rejects.toMatchObject({ code: 'TOPIC_NOT_FOUND' })
    await tx.abortTransaction()
    expect((await readAll(broker, 'known', 0, 'read_committed')).map((r) => r.value?.toString())).not.toContain('in-failed-tx')
    await tx.beginTransaction()
    await tx.commitTransaction()
  })

  it('rejects misuse with ILLEGAL_STATE', async () => {
    broker = await createEmbeddedBroker({ inMemory: true })
    const consumer = broker.consumer({ groupId: 'g' })
    await expect(consumer.poll(1, 0)).rejects.toMatchObject({ code: 'ILLEGAL_STATE' })
    await consumer.subscribe(['t'], listener)
    const first = consumer.poll(1, 200)
    await expect(consumer.poll(1, 0)).rejects.toMatchObject({ code: 'ILLEGAL_STATE' })
    await first
    await expect(broker.admin().setCommittedOffsets('g', [{ topic: 't', partition: 0, offset: 1 }])).rejects.toMatchObject({ code: 'ILLEGAL_STATE' })
    await consumer.close()
    await broker.admin().setCommittedOffsets('g', [{ topic: 't', partition: 0, offset: 1 }])
    await expect(consumer.poll(1, 0)).rejects.toMatchObject({ code: 'ILLEGAL_STATE' })
    const plain = broker.producer()
    await expect(plain.beginTransaction()).rejects.toMatchObject({ code: 'ILLEGAL_STATE' })
    const tx = broker.producer({ transactionalId: 'tx' })
    await expect(tx.beginTransaction()).rejects.toMatchObject({ code: 'ILLEGAL_STATE' })
    await tx.connect()
    await expect(tx.commitTransaction()).rejects.toMatchObject({ code: 'ILLEGAL_STATE' })
    await tx.beginTransaction()
    await expect(tx.beginTransaction()).rejects.toMatchObject({ code: 'ILLEGAL_STATE' })
  })

  it('close() wakes a waiting poll, flushes plain producers and then refuses new clients', async () => {
    broker = await createEmbeddedBroker({ dataDir: dataDir() })
    const consumer = broker.consumer({ groupId: 'g' })
    await consumer.subscribe(['t'], listener)
    const started = Date.now()
    const waiting = consumer.poll(10, 20_000)
    const producer = broker.producer()
    producer.send(out('t', 'k', 'unflushed'))
    await new Promise((r) => setTimeout(r, 50))
    await broker.close()
    await waiting
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(() => broker!.producer()).toThrow(expect.objectContaining({ code: 'ILLEGAL_STATE' }))
    broker = await createEmbeddedBroker({ dataDir: dataDir() })
    expect((await readAll(broker, 't')).map((r) => r.value?.toString())).toEqual(['unflushed'])
  })

  it('close() aborts an open transaction', async () => {
    broker = await createEmbeddedBroker({ dataDir: dataDir() })
    const tx = broker.producer({ transactionalId: 'tx' })
    await tx.connect()
    await tx.beginTransaction()
    tx.send(out('t', 'k', 'open'))
    await tx.flush()
    await broker.close()
    broker = await createEmbeddedBroker({ dataDir: dataDir() })
    expect(await readAll(broker, 't', 0, 'read_committed')).toEqual([])
    expect(await broker.admin().endOffsets([{ topic: 't', partition: 0 }], 'read_committed')).toEqual(await broker.admin().endOffsets([{ topic: 't', partition: 0 }]))
  })
})

describe('write pipeline', () => {
  it('fails every pending and later write once storage fails', async () => {
    let writes = 0
    const failing: KvStore = {
      range: async () => [],
      clear: async () => undefined,
      close: async () => undefined,
      write: async () => {
        if (++writes === 2) throw new Error('disk on fire')
      },
    }
    const pipeline = new WritePipeline(failing, true)
    const effects: string[] = []
    await pipeline.submit([{ type: 'del', key: Buffer.from('a') }], { acknowledged: false, onDurable: () => effects.push('a') })
    const b = pipeline.submit([{ type: 'del', key: Buffer.from('b') }], { acknowledged: true, onDurable: () => effects.push('b') })
    await expect(b).rejects.toMatchObject({ code: 'BROKER_ERROR' })
    await expect(pipeline.submit([], { acknowledged: true })).rejects.toMatchObject({ code: 'BROKER_ERROR' })
    expect(effects).toEqual(['a'])
    expect(pipeline.failed?.code).toBe('BROKER_ERROR')
  })

  it('groups what is submitted in one turn into one write, in order', async () => {
    const batches: number[] = []
    const store: KvStore = { range: async () => [], clear: async () => undefined, close: async () => undefined, write: async (ops) => void batches.push(ops.length) }
    const pipeline = new WritePipeline(store, false)
    const order: number[] = []
    const all = [1, 2, 3].map((i) => pipeline.submit([{ type: 'del', key: Buffer.from([i]) }], { acknowledged: false, onDurable: () => order.push(i) }))
    await Promise.all(all)
    expect(batches).toEqual([3])
    expect(order).toEqual([1, 2, 3])
  })
})
