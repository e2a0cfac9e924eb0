/**
 * The embedded consumer's concurrent reads (left in flight across polls) and the partition tail
 * cache: what they must never change. Records read ahead are dropped on seek and stay back while
 * paused; records served from the tail cache are private copies; reads that start below the cache
 * or below a moved log start are exact. Both storage modes.
 */
import type { BrokerRecord, GroupConsumer } from '../../../../src/runtime/broker/broker'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../../../src/runtime/broker/embedded/embedded-broker'
import { out, produce, readAll, useTempDir } from './embedded-test-support'

const listener = { onAssigned() {}, onRevoked() {}, onLost() {} }

async function pollUntil(consumer: GroupConsumer, count: number, max = 100): Promise<BrokerRecord[]> {
  const got: BrokerRecord[] = []
  for (let polls = 0; polls < 200 && got.length < count; polls++) got.push(...(await consumer.poll(Math.min(max, count - got.length), 50)))
  return got
}

describe.each(['durable', 'in-memory'] as const)('fetch ahead and tail cache (%s)', (mode) => {
  const dir = useTempDir()
  let broker: EmbeddedBroker
  beforeEach(async () => {
    broker = await createEmbeddedBroker(mode === 'durable' ? { dataDir: dir(), cleanerIntervalMs: 0 } : { inMemory: true, cleanerIntervalMs: 0 })
    await broker.admin().ensureTopics([{ name: 't', partitions: 2 }])
  })
  afterEach(async () => {
    await broker.close()
  })

  /** `batches` batches of `size` records into each partition, values `p<partition>-<n>`. */
  async function fill(batches: number, size: number, pad = 0): Promise<void> {
    for (let b = 0; b < batches; b++) {
      const records = []
      for (let p = 0; p < 2; p++) for (let i = 0; i < size; i++) records.push(out('t', `k${i}`, `p${p}-${b * size + i}${'x'.repeat(pad)}`, { partition: p }))
      await produce(broker, records)
    }
  }

  const offsets = (records: readonly BrokerRecord[], partition: number): number[] => records.filter((r) => r.partition === partition).map((r) => r.offset)

  it('hands out every record once and in order per partition, across many polls', async () => {
    await fill(20, 50)
    const consumer = broker.consumer({ groupId: 'g', autoOffsetReset: 'earliest' })
    await consumer.subscribe(['t'], listener)
    const got = await pollUntil(consumer, 2000, 70)
    expect(offsets(got, 0)).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    expect(offsets(got, 1)).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    expect(await consumer.poll(100, 50)).toEqual([])
    await consumer.close()
  })

  it('drops what it read ahead on seek, backwards and forwards', async () => {
    await fill(10, 100)
    const consumer = broker.consumer({ groupId: 'g', autoOffsetReset: 'earliest' })
    await consumer.subscribe(['t'], listener)
    const first = await pollUntil(consumer, 10, 10)
    const p = first[0]!.partition
    consumer.pause([{ topic: 't', partition: 1 - p }])
    await new Promise((r) => setTimeout(r, 20)) // let the read ahead land
    consumer.seek({ topic: 't', partition: p, offset: 3 })
    expect(offsets(await pollUntil(consumer, 3, 3), p)).toEqual([3, 4, 5])
    await new Promise((r) => setTimeout(r, 20))
    consumer.seek({ topic: 't', partition: p, offset: 700 })
    expect(offsets(await pollUntil(consumer, 4, 4), p)).toEqual([700, 701, 702, 703])
    await consumer.close()
  })

  it('keeps a paused partition back even when its next records were read ahead', async () => {
    await fill(10, 100)
    const consumer = broker.consumer({ groupId: 'g', autoOffsetReset: 'earliest' })
    await consumer.subscribe(['t'], listener)
    const first = await pollUntil(consumer, 20, 20)
    await new Promise((r) => setTimeout(r, 20))
    consumer.pause([{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }])
    expect(await consumer.poll(100, 50)).toEqual([])
    consumer.resume([{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }])
    const rest = [...first, ...(await pollUntil(consumer, 2000 - first.length, 500))]
    expect(offsets(rest, 0)).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    expect(offsets(rest, 1)).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    await consumer.close()
  })

  it('hands out copies from the tail cache: changing one reader\'s bytes changes nobody else\'s', async () => {
    await fill(1, 3)
    const a = broker.consumer({ groupId: 'a', autoOffsetReset: 'earliest' })
    await a.subscribe(['t'], listener)
    const mine = await pollUntil(a, 6)
    for (const r of mine) r.value!.fill(0x21)
    const b = broker.consumer({ groupId: 'b', autoOffsetReset: 'earliest' })
    await b.subscribe(['t'], listener)
    expect((await pollUntil(b, 6)).filter((r) => r.partition === 0).map((r) => r.value!.toString())).toEqual(['p0-0', 'p0-1', 'p0-2'])
    expect((await readAll(broker, 't', 1)).map((r) => r.value!.toString())).toEqual(['p1-0', 'p1-1', 'p1-2'])
    await a.close()
    await b.close()
  })

  it('reads a log longer than the tail cache exactly, from storage and then from memory', async () => {
    // 40 batches of 50 records of ~1 KiB: 2 MiB per partition, far past the cache (64 KiB).
    await fill(40, 50, 1000)
    const all = await readAll(broker, 't', 0)
    expect(all.map((r) => r.offset)).toEqual(Array.from({ length: 2000 }, (_, i) => i))
    expect(all.every((r, i) => r.value!.toString().startsWith(`p0-${i}x`))).toBe(true)
    const consumer = broker.consumer({ groupId: 'g', autoOffsetReset: 'earliest' })
    await consumer.subscribe(['t'], listener)
    const got = await pollUntil(consumer, 4000, 300)
    expect(offsets(got, 1)).toEqual(Array.from({ length: 2000 }, (_, i) => i))
    expect(got.filter((r) => r.partition === 1).every((r) => r.value!.toString().startsWith(`p1-${r.offset}x`))).toBe(true)
    await consumer.close()
  })

  it('starts at the moved log start after deleteRecords, although the deleted batches were cached', async () => {
    await fill(4, 5)
    await broker.admin().deleteRecords([{ topic: 't', partition: 0, offset: 12 }])
    expect((await readAll(broker, 't', 0)).map((r) => r.offset)).toEqual([12, 13, 14, 15, 16, 17, 18, 19])
    const consumer = broker.consumer({ groupId: 'g', autoOffsetReset: 'earliest' })
    await consumer.subscribe(['t'], listener)
    expect(offsets(await pollUntil(consumer, 28), 0)).toEqual([12, 13, 14, 15, 16, 17, 18, 19])
    await consumer.close()
  })

  it('filters an aborted transaction served from the tail cache for read_committed', async () => {
    const tx = broker.producer({ transactionalId: 'tx' })
    await tx.connect()
    await tx.beginTransaction()
    tx.send(out('t', 'k', 'aborted', { partition: 0 }))
    await tx.flush()
    await tx.abortTransaction()
    await tx.beginTransaction()
    tx.send(out('t', 'k', 'committed', { partition: 0 }))
    await tx.commitTransaction()
    const consumer = broker.consumer({ groupId: 'g', autoOffsetReset: 'earliest', isolationLevel: 'read_committed' })
    await consumer.subscribe(['t'], listener)
    expect((await pollUntil(consumer, 1)).map((r) => [r.offset, r.value!.toString()])).toEqual([[2, 'committed']])
    expect(await consumer.poll(10, 50)).toEqual([])
    await consumer.close()
    await tx.close()
  })
})
