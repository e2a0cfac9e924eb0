/** The log batch format and the range assignor. */
import type { BrokerRecord } from '../../../../src/runtime/broker/broker'
import { rangeAssign } from '../../../../src/runtime/broker/embedded/range-assignor'
import { BATCH_TRANSACTIONAL, batchRecords, decodeBatchInto, encodeBatch, readBatchHeader } from '../../../../src/runtime/broker/embedded/record-batch'

describe('record batch', () => {
  const records = [
    { timestamp: 1_700_000_000_123, key: Buffer.from('k'), value: Buffer.from('v'), headers: [['a', Buffer.from('1')], ['ä', Buffer.alloc(0)]] as const },
    { timestamp: 0, key: null, value: null, headers: [] },
    { timestamp: 5, key: Buffer.alloc(0), value: Buffer.alloc(300, 9), headers: [] },
  ]

  it('round-trips records, header and bounds', () => {
    const batch = encodeBatch({ attributes: BATCH_TRANSACTIONAL, producerId: 7, lastOffsetDelta: 2, cleanedAt: 0 }, records)
    expect(readBatchHeader(batch)).toEqual({ attributes: BATCH_TRANSACTIONAL, producerId: 7, lastOffsetDelta: 2, count: 3, maxTimestamp: 1_700_000_000_123, cleanedAt: 0 })
    const out: BrokerRecord[] = []
    decodeBatchInto(batch, { topic: 't', partition: 3, baseOffset: 100, from: 101, to: 103 }, out)
    expect(out.map((r) => [r.topic, r.partition, r.offset, r.timestamp, r.key, r.value?.length ?? null])).toEqual([
      ['t', 3, 101, 0, null, null],
      ['t', 3, 102, 5, Buffer.alloc(0), 300],
    ])
    const all = batchRecords(batch)
    expect(all[0]!.headers.map(([k, v]) => [k, v.toString()])).toEqual([['a', '1'], ['ä', '']])
  })

  it('keeps offset gaps and the offset span of a rewritten batch', () => {
    const rewritten = encodeBatch({ attributes: 0, producerId: 0, lastOffsetDelta: 9, cleanedAt: 42 }, [{ ...records[0]!, offsetDelta: 4 }])
    expect(readBatchHeader(rewritten)).toMatchObject({ lastOffsetDelta: 9, count: 1, cleanedAt: 42 })
    const out: BrokerRecord[] = []
    decodeBatchInto(rewritten, { topic: 't', partition: 0, baseOffset: 10, from: 0, to: 100 }, out)
    expect(out.map((r) => r.offset)).toEqual([14])
  })
})

describe('range assignor', () => {
  it('deals contiguous ranges per topic, the first members one more, co-partitioned topics alike', () => {
    const all = new Set(['a', 'b'])
    const members = [{ id: 'm1', topics: all }, { id: 'm2', topics: all }, { id: 'm3', topics: new Set(['a']) }]
    const assignment = rangeAssign(members, new Map([['a', 5], ['b', 5]]))
    const show = (id: string): string[] => assignment.get(id)!.map((tp) => `${tp.topic}${tp.partition}`)
    expect(show('m1')).toEqual(['a0', 'a1', 'b0', 'b1', 'b2'])
    expect(show('m2')).toEqual(['a2', 'a3', 'b3', 'b4'])
    expect(show('m3')).toEqual(['a4'])
    const two = rangeAssign(members.slice(0, 2), new Map([['a', 4], ['b', 4]]))
    expect(two.get('m1')!.map((tp) => tp.partition)).toEqual([0, 1, 0, 1])
  })
})
