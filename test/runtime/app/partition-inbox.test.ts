import { PartitionInbox } from '../../../src/runtime/app/partition-inbox'
import type { BrokerRecord } from '../../../src/runtime/broker/broker'
import { DedupStore } from '../../../src/state/dedup-store'
import { partitionKey } from '../../../src/state/task-meta'

const record = (offset: number): BrokerRecord => ({ topic: 'in', partition: 0, offset, key: Buffer.from('k'), value: Buffer.from('v'), timestamp: offset, headers: [] })
const records = (from: number, to: number): BrokerRecord[] => Array.from({ length: to - from }, (_, i) => record(from + i))
const watermark = (offset: number): DedupStore => new DedupStore(new Map([[partitionKey('in', 0), { topic: 'in', partition: 0, offset }]]), undefined, '0_0')

describe('PartitionInbox', () => {
  it('drops records below the applied watermark and moves the commit position straight to it', () => {
    const inbox = new PartitionInbox({ topic: 'in', partition: 0 }, undefined, new Set())
    const dedup = watermark(100)
    // Only part of the redelivered range is fetched yet: a commit now must not store a lower watermark.
    inbox.add(records(40, 50))
    expect(inbox.next(dedup)).toBeUndefined()
    expect({ skipped: inbox.skipped, position: inbox.position }).toEqual({ skipped: 10, position: 100 })
    inbox.add(records(50, 102))
    expect(inbox.next(dedup)?.offset).toBe(100)
    expect(inbox.position).toBe(100)
    inbox.headDone(dedup)
    expect(inbox.position).toBe(101)
  })

  it('has no commit position until something was done', () => {
    const inbox = new PartitionInbox({ topic: 'in', partition: 0 }, undefined, new Set())
    inbox.add(records(100, 101))
    expect(inbox.next(watermark(100))?.offset).toBe(100)
    expect(inbox.position).toBeUndefined()
  })
})
