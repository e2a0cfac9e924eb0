/** Transactions on the embedded broker beyond the port contract: LSO with several producers,
 *  atomicity across partitions, fencing details, markers. */
import { createEmbeddedBroker, type EmbeddedBroker } from '../../../../src/runtime/broker/embedded/embedded-broker'
import { out, readAll, triples } from './embedded-test-support'

describe('embedded transactions', () => {
  let broker: EmbeddedBroker
  beforeEach(async () => {
    broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0 })
    await broker.admin().ensureTopics([{ name: 't', partitions: 1 }, { name: 'u', partitions: 2 }])
  })
  afterEach(() => broker.close())

  const lso = async (topic = 't', partition = 0) => (await broker.admin().endOffsets([{ topic, partition }], 'read_committed'))[0]!.offset
  const hw = async (topic = 't', partition = 0) => (await broker.admin().endOffsets([{ topic, partition }]))[0]!.offset

  it('holds the LSO at the oldest open transaction of interleaved producers, and filters the aborted one', async () => {
    const p1 = broker.producer({ transactionalId: 'p1' })
    const p2 = broker.producer({ transactionalId: 'p2' })
    await p1.connect()
    await p2.connect()
    await p1.beginTransaction()
    await p2.beginTransaction()
    p1.send(out('t', 'a', 'p1-a'))
    await p1.flush() // 0
    p2.send(out('t', 'b', 'p2-b'))
    await p2.flush() // 1
    p1.send(out('t', 'c', 'p1-c'))
    await p1.flush() // 2
    expect([await lso(), await hw()]).toEqual([0, 3])
    await p2.commitTransaction() // marker 3
    expect([await lso(), await hw()]).toEqual([0, 4])
    expect(await readAll(broker, 't', 0, 'read_committed')).toEqual([])
    await p1.abortTransaction() // marker 4
    expect([await lso(), await hw()]).toEqual([5, 5])
    expect(triples(await readAll(broker, 't', 0, 'read_committed'))).toEqual([[1, 'b', 'p2-b']])
    expect(triples(await readAll(broker, 't', 0, 'read_uncommitted')).map(([o]) => o)).toEqual([0, 1, 2])
  })

  it('commits all partitions of a transaction at once', async () => {
    const p = broker.producer({ transactionalId: 'p' })
    await p.connect()
    await p.beginTransaction()
    p.send(out('t', 'k', 'x'))
    p.send(out('u', 'k', 'y', { partition: 0 }))
    p.send(out('u', 'k', 'z', { partition: 1 }))
    await p.flush()
    expect([await lso('t'), await lso('u', 0), await lso('u', 1)]).toEqual([0, 0, 0])
    await p.commitTransaction()
    expect([await lso('t'), await lso('u', 0), await lso('u', 1)]).toEqual([2, 2, 2])
    const values = [...(await readAll(broker, 't', 0, 'read_committed')), ...(await readAll(broker, 'u', 0, 'read_committed')), ...(await readAll(broker, 'u', 1, 'read_committed'))]
    expect(values.map((r) => r.value!.toString())).toEqual(['x', 'y', 'z'])
  })

  it('discards records still queued when the transaction aborts', async () => {
    const p = broker.producer({ transactionalId: 'p' })
    await p.connect()
    await p.beginTransaction()
    p.send(out('t', 'k', 'never-appended'))
    await p.abortTransaction()
    expect(await readAll(broker, 't')).toEqual([])
    expect(await hw()).toBe(0) // nothing was appended, so no marker either
  })

  it('fences: the older producer fails on every call, its send throws at once, and it can still be closed', async () => {
    const older = broker.producer({ transactionalId: 'p' })
    await older.connect()
    await older.beginTransaction()
    older.send(out('t', 'k', 'zombie'))
    const newer = broker.producer({ transactionalId: 'p' })
    await newer.connect()
    expect(() => older.send(out('t', 'k', 'more'))).toThrow(expect.objectContaining({ code: 'TASK_MIGRATED' }))
    await expect(older.flush()).rejects.toMatchObject({ code: 'TASK_MIGRATED' })
    await expect(older.abortTransaction()).rejects.toMatchObject({ code: 'TASK_MIGRATED' })
    await older.close()
    await newer.beginTransaction()
    newer.send(out('t', 'k', 'fresh'))
    await newer.commitTransaction()
    expect((await readAll(broker, 't', 0, 'read_committed')).map((r) => r.value!.toString())).toEqual(['fresh'])
  })

  it('an empty transaction writes nothing; offsets alone commit atomically', async () => {
    const c = broker.consumer({ groupId: 'g' })
    await c.subscribe(['t'], { onAssigned() {}, onRevoked() {}, onLost() {} })
    await c.poll(1, 10)
    const p = broker.producer({ transactionalId: 'p' })
    await p.connect()
    await p.beginTransaction()
    await p.commitTransaction()
    expect(await hw()).toBe(0)
    await p.beginTransaction()
    await p.sendOffsetsToTransaction([{ topic: 't', partition: 0, offset: 0 }], c)
    await p.commitTransaction()
    expect(await broker.admin().committedOffsets('g', [{ topic: 't', partition: 0 }])).toEqual([{ topic: 't', partition: 0, offset: 0 }])
    expect(await hw()).toBe(0)
  })

  it('aborts a transaction open past the transaction timeout and fences its producer', async () => {
    const quick = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0, transactionTimeoutMs: 100 })
    try {
      const p = quick.producer({ transactionalId: 'slow' })
      await p.connect()
      await p.beginTransaction()
      p.send(out('t', 'k', 'stuck'))
      await p.flush()
      const end = async (isolation: 'read_committed' | 'read_uncommitted') => (await quick.admin().endOffsets([{ topic: 't', partition: 0 }], isolation))[0]!.offset
      expect(await end('read_committed')).toBe(0)
      const deadline = Date.now() + 5_000
      while ((await end('read_committed')) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      expect(await end('read_committed')).toBe(await end('read_uncommitted'))
      expect(await readAll(quick, 't', 0, 'read_committed')).toEqual([])
      await expect(p.commitTransaction()).rejects.toMatchObject({ code: 'TASK_MIGRATED' })
    } finally {
      await quick.close()
    }
  })
})
