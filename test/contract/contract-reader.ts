/** Contract: PartitionReader.readToEnd (restore reads, outside any group). */
import type { Broker, BrokerRecord } from '../../src/runtime/broker/broker'
import { createTopics, freshTopic, itIf, produceRange, text, type ContractContext } from './contract-support'

function produce(broker: Broker, topic: string, from: number, to: number): Promise<void> {
  return produceRange(broker, topic, { from, to, partition: 0 })
}

export function describeReaderContract(ctx: ContractContext): void {
  const withPartitions = itIf(ctx.capabilities.topicsWithPartitions, 'cannot create topics with a chosen partition count')

  describe('partition reader', () => {
    withPartitions('reads from an offset to the end in bounded batches, in order, awaiting each batch', async () => {
      const t = ctx.current()
      const topic = freshTopic('reader')
      await createTopics(t, [{ name: topic, partitions: 1 }])
      await produce(t.broker, topic, 0, 25)
      const reader = t.broker.reader()
      const batches: (readonly BrokerRecord[])[] = []
      let inside = false
      const end = await reader.readToEnd(
        { topic, partition: 0, offset: 3 },
        async (batch) => {
          expect(inside).toBe(false)
          inside = true
          batches.push(batch)
          await new Promise((r) => setTimeout(r, 5))
          inside = false
        },
        { maxBatchRecords: 4 },
      )
      await reader.close()
      expect(end).toBe(25)
      expect(batches.every((b) => b.length >= 1 && b.length <= 4)).toBe(true)
      const all = batches.flat()
      expect(all.map((r) => r.offset)).toEqual(Array.from({ length: 22 }, (_, i) => i + 3))
      expect(all.map((r) => text(r.value))).toEqual(Array.from({ length: 22 }, (_, i) => `v${i + 3}`))
    })

    withPartitions('stops at the end that held when the read started', async () => {
      const t = ctx.current()
      const topic = freshTopic('reader-end')
      await createTopics(t, [{ name: topic, partitions: 1 }])
      await produce(t.broker, topic, 0, 10)
      const reader = t.broker.reader()
      let read = 0
      let producedMore = false
      const end = await reader.readToEnd(
        { topic, partition: 0, offset: 0 },
        async (batch) => {
          read += batch.length
          if (!producedMore) {
            producedMore = true
            await produce(t.broker, topic, 10, 20)
          }
        },
        { maxBatchRecords: 3 },
      )
      await reader.close()
      expect(end).toBe(10)
      expect(read).toBe(10)
    })

    withPartitions('resolves at once on an empty partition', async () => {
      const t = ctx.current()
      const topic = freshTopic('reader-empty')
      await createTopics(t, [{ name: topic, partitions: 1 }])
      const reader = t.broker.reader()
      const batches: unknown[] = []
      expect(await reader.readToEnd({ topic, partition: 0, offset: 0 }, (b) => void batches.push(b))).toBe(0)
      expect(batches).toEqual([])
      await reader.close()
    })
  })
}
