/** The log batch format and the range assignor. */
import type { BrokerRecord } from '../../../../src/runtime/broker/broker'
import { rangeAssign } from '../../../../src/runtime/broker/embedded/range-assignor'
import { BATCH_TRANSACTIONAL, batchRecords, countBatchRecords, decodeBatchInto, encodeBatch, firstBatchOffset, readBatchHeader } from '../../../../src/runtime/broker/embedded/record-batch'

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

describe('record batch read without decoding', () => {
  // Offsets 10, 11 (with headers), 13 and 16 of a rewritten batch spanning 10-19.
  const batch = encodeBatch({ attributes: 0, producerId: 0, lastOffsetDelta: 9, cleanedAt: 1 }, [
    { offsetDelta: 0, timestamp: 1, key: Buffer.from('a'), value: Buffer.from('1'), headers: [] },
    { offsetDelta: 1, timestamp: 2, key: null, value: Buffer.alloc(70), headers: [['__src', Buffer.alloc(9)], ['x', Buffer.alloc(0)]] },
    { offsetDelta: 3, timestamp: 3, key: Buffer.alloc(0), value: null, headers: [] },
    { offsetDelta: 6, timestamp: 4, key: Buffer.from('d'), value: Buffer.from('4'), headers: [['h', Buffer.from('v')]] },
  ])

  it('counts and finds the first of the records a slice selects, as decoding them would', () => {
    for (const [from, to] of [[0, 100], [10, 20], [11, 20], [12, 14], [14, 16], [0, 12], [17, 30], [13, 14], [16, 17]] as const) {
      const slice = { topic: 't', partition: 0, baseOffset: 10, from, to }
      const decoded: BrokerRecord[] = []
      decodeBatchInto(batch, slice, decoded)
      expect([from, to, countBatchRecords(batch, slice), firstBatchOffset(batch, slice)]).toEqual([from, to, decoded.length, decoded[0]?.offset ?? -1])
    }
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
