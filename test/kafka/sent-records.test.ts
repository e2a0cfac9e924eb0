/**
 * SentRecords: how a failed delivery report (topic, partition, key, value, timestamp) finds the
 * record it is about, without produce()'s opaque.
 */
import type { OutgoingRecord } from '../../src/runtime/broker/broker'
import { SentRecords } from '../../src/runtime/broker/kafka/sent-records'
import type { NativeDeliveryReport } from '../../src/runtime/broker/kafka/rdkafka'

const rec = (key: string | null, value: string | null, extra: Partial<OutgoingRecord> = {}): OutgoingRecord => ({
  topic: 't',
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  timestamp: 1000,
  headers: [],
  ...extra,
})

/** What the binding reports: copies of key and value, the partition librdkafka chose. */
const report = (r: OutgoingRecord, partition = r.partition ?? 3): NativeDeliveryReport => ({
  topic: r.topic,
  partition,
  offset: -1,
  key: r.key === null ? null : Buffer.from(r.key),
  value: r.value === null ? null : Buffer.from(r.value),
  timestamp: r.timestamp,
})

describe('SentRecords', () => {
  it('finds the record by contents and takes each one once, duplicates included', () => {
    const sent = new SentRecords()
    const a = rec('k', 'a')
    const b1 = rec('k', 'b')
    const b2 = rec('k', 'b')
    for (const r of [a, b1, b2]) sent.add(r)
    expect(sent.take(report(b1))).toBe(b1)
    expect(sent.take(report(b2))).toBe(b2)
    expect(sent.take(report(b1))).toBeUndefined()
    expect(sent.take(report(a))).toBe(a)
  })

  it('tells records apart by topic, explicit partition, timestamp, key and value', () => {
    const sent = new SentRecords()
    const base = rec('k', 'v', { partition: 1 })
    sent.add(base)
    expect(sent.take({ ...report(base), topic: 'other' })).toBeUndefined()
    expect(sent.take(report(base, 2))).toBeUndefined()
    expect(sent.take({ ...report(base), timestamp: 999 })).toBeUndefined()
    expect(sent.take({ ...report(base), key: Buffer.from('x') })).toBeUndefined()
    expect(sent.take({ ...report(base), value: Buffer.from('w') })).toBeUndefined()
    expect(sent.take(report(base))).toBe(base)
  })

  it('matches a record without partition on whatever partition was chosen, and null as empty', () => {
    const sent = new SentRecords()
    const r = rec(null, '')
    sent.add(r)
    expect(sent.take({ ...report(r, 7), key: null, value: null })).toBe(r)
  })

  it('forgets the records a finished flush covered, keeping later ones', () => {
    const sent = new SentRecords()
    const early = rec('k', 'early')
    const late = rec('k', 'late')
    sent.add(early)
    sent.add(late)
    sent.forget(1)
    expect(sent.length).toBe(1)
    expect(sent.take(report(early))).toBeUndefined()
    expect(sent.take(report(late))).toBe(late)
  })
})
