/** A durable embedded broker closed and reopened keeps everything it acknowledged. */
import { createEmbeddedBroker } from '../../../../src/runtime/broker/embedded/embedded-broker'
import { out, produce, readAll, triples, useTempDir } from './embedded-test-support'

describe('embedded broker reopened from its data directory', () => {
  const dataDir = useTempDir()
  const open = () => createEmbeddedBroker({ dataDir: dataDir(), cleanerIntervalMs: 0 })

  it('keeps topics, records, offsets, group offsets and transaction outcomes', async () => {
    let broker = await open()
    await broker.admin().ensureTopics([{ name: 'a', partitions: 3 }, { name: 'b', partitions: 1, config: { 'cleanup.policy': 'compact' } }])
    await produce(broker, [
      out('a', 'k1', 'v1', { partition: 1, timestamp: 111, headers: [['h', Buffer.from('x')]] }),
      out('a', null, 'v2', { partition: 1, timestamp: 222 }),
      out('b', 'k', null, { timestamp: 333 }),
    ])
    const tx = broker.producer({ transactionalId: 'tx' })
    await tx.connect()
    await tx.beginTransaction()
    tx.send(out('b', 'c', 'committed'))
    await tx.commitTransaction()
    await tx.beginTransaction()
    tx.send(out('b', 'x', 'aborted'))
    await tx.flush()
    await tx.abortTransaction()
    await broker.admin().setCommittedOffsets('g', [{ topic: 'a', partition: 1, offset: 1 }])
    const before = await broker.admin().endOffsets([{ topic: 'b', partition: 0 }])
    await broker.close()

    broker = await open()
    try {
      expect(await broker.admin().listTopics()).toEqual(['a', 'b'])
      expect([...(await broker.admin().partitionCounts(['a', 'b']))]).toEqual([['a', 3], ['b', 1]])
      const a = await readAll(broker, 'a', 1)
      expect(triples(a)).toEqual([[0, 'k1', 'v1'], [1, null, 'v2']])
      expect(a.map((r) => r.timestamp)).toEqual([111, 222])
      expect(a[0]!.headers.map(([k, v]) => [k, v.toString()])).toEqual([['h', 'x']])
      expect(await broker.admin().committedOffsets('g', [{ topic: 'a', partition: 1 }])).toEqual([{ topic: 'a', partition: 1, offset: 1 }])
      // Markers occupy offsets: the end offset counts them, and survives the restart.
      expect(await broker.admin().endOffsets([{ topic: 'b', partition: 0 }])).toEqual(before)
      expect(triples(await readAll(broker, 'b', 0, 'read_committed')).map(([, , v]) => v)).toEqual([null, 'committed'])
      expect(triples(await readAll(broker, 'b', 0, 'read_uncommitted')).map(([, , v]) => v)).toEqual([null, 'committed', 'aborted'])
      // New records continue after the old ones.
      await produce(broker, [out('a', 'k3', 'v3', { partition: 1 })])
      expect(triples(await readAll(broker, 'a', 1)).at(-1)).toEqual([2, 'k3', 'v3'])
    } finally {
      await broker.close()
    }
  })

  it('keeps the log start offset moved by deleteRecords, and the end offset of an emptied log', async () => {
    let broker = await open()
    await produce(broker, Array.from({ length: 10 }, (_, i) => out('t', `k${i}`, `v${i}`)))
    await broker.admin().deleteRecords([{ topic: 't', partition: 0, offset: 4 }])
    expect(await broker.admin().beginningOffsets([{ topic: 't', partition: 0 }])).toEqual([{ topic: 't', partition: 0, offset: 4 }])
    await produce(broker, [out('u', 'k', 'v')])
    await broker.admin().deleteRecords([{ topic: 'u', partition: 0, offset: 1 }])
    await broker.close()

    broker = await open()
    try {
      expect(await broker.admin().beginningOffsets([{ topic: 't', partition: 0 }])).toEqual([{ topic: 't', partition: 0, offset: 4 }])
      expect((await readAll(broker, 't')).map((r) => r.offset)).toEqual([4, 5, 6, 7, 8, 9])
      expect(await broker.admin().endOffsets([{ topic: 'u', partition: 0 }])).toEqual([{ topic: 'u', partition: 0, offset: 1 }])
      expect(await broker.admin().beginningOffsets([{ topic: 'u', partition: 0 }])).toEqual([{ topic: 'u', partition: 0, offset: 1 }])
    } finally {
      await broker.close()
    }
  })

  it('never shows a deleted topic\'s records under a topic created later with the same name', async () => {
    let broker = await open()
    await produce(broker, [out('t', 'k', 'old')])
    await broker.admin().setCommittedOffsets('g', [{ topic: 't', partition: 0, offset: 1 }])
    await broker.admin().deleteTopics(['t'])
    await broker.close()
    broker = await open()
    try {
      expect(await broker.admin().listTopics()).toEqual([])
      await produce(broker, [out('t', 'k', 'new')])
      expect(triples(await readAll(broker, 't'))).toEqual([[0, 'k', 'new']])
      expect(await broker.admin().committedOffsets('g', [{ topic: 't', partition: 0 }])).toEqual([])
    } finally {
      await broker.close()
    }
  })

  it('refuses a second broker on the same directory', async () => {
    const broker = await open()
    try {
      await expect(open()).rejects.toMatchObject({ code: 'BROKER_ERROR' })
    } finally {
      await broker.close()
    }
  })
})
