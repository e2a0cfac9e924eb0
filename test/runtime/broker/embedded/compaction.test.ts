/** Compaction and retention of the embedded broker, in memory and durable. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createEmbeddedBroker, type EmbeddedBroker, type EmbeddedBrokerOptions } from '../../../../src/runtime/broker/embedded/embedded-broker'
import { out, produce, readAll, triples } from './embedded-test-support'

const COMPACT = { 'cleanup.policy': 'compact', 'delete.retention.ms': '0' }

describe.each(['memory', 'durable'] as const)('embedded broker compaction (%s)', (mode) => {
  let dataDir = ''
  let broker: EmbeddedBroker
  const open = (extra: Partial<EmbeddedBrokerOptions> = {}): Promise<EmbeddedBroker> =>
    createEmbeddedBroker(mode === 'memory' ? { inMemory: true, cleanerIntervalMs: 0, ...extra } : { dataDir, cleanerIntervalMs: 0, ...extra })

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'streamfold-compaction-'))
    broker = await open()
  })
  afterEach(async () => {
    await broker.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('keeps the latest record per key at its offset, and drops a tombstone on a later pass', async () => {
    await broker.admin().ensureTopics([{ name: 'c', partitions: 1, config: COMPACT }])
    await produce(broker, [out('c', 'a', 'a1'), out('c', 'b', 'b1'), out('c', 'a', 'a2'), out('c', null, 'no-key')])
    await produce(broker, [out('c', 'b', null), out('c', 'c', 'c1'), out('c', 'a', 'a3')])
    const stats = await broker.compactNow()
    expect(stats.recordsRemoved).toBe(3)
    expect(triples(await readAll(broker, 'c'))).toEqual([[3, null, 'no-key'], [4, 'b', null], [5, 'c', 'c1'], [6, 'a', 'a3']])
    await broker.compactNow()
    expect(triples(await readAll(broker, 'c'))).toEqual([[3, null, 'no-key'], [5, 'c', 'c1'], [6, 'a', 'a3']])
    expect(await broker.admin().endOffsets([{ topic: 'c', partition: 0 }])).toEqual([{ topic: 'c', partition: 0, offset: 7 }])
    expect(await broker.admin().beginningOffsets([{ topic: 'c', partition: 0 }])).toEqual([{ topic: 'c', partition: 0, offset: 0 }])
  })

  it('keeps tombstones for delete.retention.ms and leaves delete-policy topics alone', async () => {
    await broker.admin().ensureTopics([{ name: 'keep', partitions: 1, config: { 'cleanup.policy': 'compact' } }, { name: 'plain', partitions: 1 }])
    await produce(broker, [out('keep', 'a', 'a1'), out('keep', 'a', null), out('plain', 'a', 'a1'), out('plain', 'a', 'a2')])
    await broker.compactNow()
    await broker.compactNow()
    expect(triples(await readAll(broker, 'keep'))).toEqual([[1, 'a', null]])
    expect(triples(await readAll(broker, 'plain'))).toEqual([[0, 'a', 'a1'], [1, 'a', 'a2']])
  })

  it('never touches an open transaction, and drops aborted records and markers', async () => {
    await broker.admin().ensureTopics([{ name: 'c', partitions: 1, config: COMPACT }])
    const tx = broker.producer({ transactionalId: 'tx' })
    await tx.connect()
    await tx.beginTransaction()
    tx.send(out('c', 'a', 'a1'))
    tx.send(out('c', 'a', 'a2'))
    await tx.commitTransaction() // offsets 0, 1, marker 2
    await tx.beginTransaction()
    tx.send(out('c', 'a', 'aborted'))
    await tx.flush()
    await tx.abortTransaction() // 3, marker 4
    await tx.beginTransaction()
    tx.send(out('c', 'b', 'open-1'))
    tx.send(out('c', 'b', 'open-2'))
    await tx.flush() // 5, 6: open
    await broker.compactNow()
    expect(triples(await readAll(broker, 'c'))).toEqual([[1, 'a', 'a2'], [5, 'b', 'open-1'], [6, 'b', 'open-2']])
    await tx.commitTransaction()
    await broker.compactNow()
    expect(triples(await readAll(broker, 'c', 0, 'read_committed'))).toEqual([[1, 'a', 'a2'], [6, 'b', 'open-2']])
  })

  it('lets a consumer and a reader that are part-way through the log carry on across a pass', async () => {
    await broker.admin().ensureTopics([{ name: 'c', partitions: 1, config: COMPACT }])
    // Five batches of eight: a reader holds at most the batch it is in.
    for (let b = 0; b < 5; b++) await produce(broker, Array.from({ length: 8 }, (_, i) => out('c', `k${i % 4}`, `v${b * 8 + i}`)))
    const consumer = broker.consumer({ groupId: 'g', autoOffsetReset: 'earliest' })
    await consumer.subscribe(['c'], { onAssigned() {}, onRevoked() {}, onLost() {} })
    const first = await consumer.poll(10, 1000)
    expect(first.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    consumer.seek({ topic: 'c', partition: 0, offset: 10 }) // drop what it buffered
    const read: number[] = []
    await broker.reader().readToEnd(
      { topic: 'c', partition: 0, offset: 0 },
      async (batch) => {
        if (read.length === 0) await broker.compactNow()
        read.push(...batch.map((r) => r.offset))
      },
      { maxBatchRecords: 8 },
    )
    expect(read.slice(0, 8)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(read.slice(8)).toEqual([36, 37, 38, 39])
    const rest: number[] = []
    for (let polls = 0; polls < 5 && rest.length < 4; polls++) rest.push(...(await consumer.poll(100, 200)).map((r) => r.offset))
    expect(rest).toEqual([36, 37, 38, 39])
    await consumer.close()
  })

  it('deletes by time with compact,delete and retention.ms, moving the log start', async () => {
    await broker.admin().ensureTopics([{ name: 'r', partitions: 1, config: { 'cleanup.policy': 'compact,delete', 'retention.ms': '60000' } }])
    const old = Date.now() - 120_000
    await produce(broker, [out('r', 'a', 'old-a', { timestamp: old }), out('r', 'b', 'old-b', { timestamp: old })])
    await produce(broker, [out('r', 'c', 'new-c'), out('r', 'c', 'new-c2')])
    await broker.compactNow()
    expect(triples(await readAll(broker, 'r'))).toEqual([[3, 'c', 'new-c2']])
    expect(await broker.admin().beginningOffsets([{ topic: 'r', partition: 0 }])).toEqual([{ topic: 'r', partition: 0, offset: 2 }])
  })

  it('runs in the background at the configured interval', async () => {
    await broker.close()
    broker = await open({ cleanerIntervalMs: 20 })
    await broker.admin().ensureTopics([{ name: 'c', partitions: 1, config: COMPACT }])
    await produce(broker, Array.from({ length: 10 }, (_, i) => out('c', 'same', `v${i}`)))
    const deadline = Date.now() + 5_000
    while ((await readAll(broker, 'c')).length > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(triples(await readAll(broker, 'c'))).toEqual([[9, 'same', 'v9']])
  })

  if (mode === 'durable') {
    it('keeps the compacted log and its end offset across a restart, even when compaction emptied it', async () => {
      await broker.admin().ensureTopics([{ name: 'c', partitions: 1, config: COMPACT }])
      await produce(broker, [out('c', 'a', 'a1'), out('c', 'b', 'b1')])
      await produce(broker, [out('c', 'a', null), out('c', 'b', null)])
      await broker.compactNow()
      await broker.compactNow()
      expect(await readAll(broker, 'c')).toEqual([])
      await broker.close()
      broker = await open()
      expect(await readAll(broker, 'c')).toEqual([])
      expect(await broker.admin().endOffsets([{ topic: 'c', partition: 0 }])).toEqual([{ topic: 'c', partition: 0, offset: 4 }])
      await produce(broker, [out('c', 'a', 'again'), out('c', 'a', 'again2')])
      await broker.compactNow() // the config survived the restart too
      expect(triples(await readAll(broker, 'c'))).toEqual([[5, 'a', 'again2']])
    })
  }
})
