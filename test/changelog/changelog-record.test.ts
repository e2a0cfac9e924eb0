import {
  ChangelogRecordDecoder,
  ChangelogRecordEncoder,
  decodeSourceOffsets,
  encodeSourceOffsets,
  SOURCE_OFFSETS_HEADER,
} from '../../src/changelog/changelog-record'
import { changelogTopicName, changelogTopicSpec } from '../../src/changelog/changelog-topic'
import type { BrokerRecord } from '../../src/runtime/broker/broker'

const offsets = [
  { topic: 'orders', partition: 0, offset: 0 },
  { topic: 'pägé-views', partition: 127, offset: 128 },
  { topic: 'x', partition: 5, offset: Number.MAX_SAFE_INTEGER },
]

describe('changelog records', () => {
  it('round-trips the __src header in a compact binary form', () => {
    const bytes = encodeSourceOffsets(offsets)
    expect(decodeSourceOffsets(bytes)).toEqual(offsets)
    expect(bytes.length).toBeLessThan(JSON.stringify(offsets).length / 2)
    expect(decodeSourceOffsets(encodeSourceOffsets([]))).toEqual([])
  })

  it('rejects malformed headers', () => {
    const bytes = encodeSourceOffsets(offsets)
    expect(() => decodeSourceOffsets(bytes.subarray(0, bytes.length - 1))).toThrow()
    expect(() => decodeSourceOffsets(Buffer.concat([bytes, Buffer.from([0])]))).toThrow()
    expect(() => decodeSourceOffsets(Buffer.from([2, 0]))).toThrow()
    expect(() => encodeSourceOffsets([{ topic: 't', partition: 0, offset: -1 }])).toThrow()
  })

  it('encodes records of one commit with one shared header and decodes them back', () => {
    const encoder = new ChangelogRecordEncoder(offsets)
    const a = encoder.record('app-s-changelog', 3, { key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 7 })
    const b = encoder.record('app-s-changelog', 3, { key: Buffer.from('j'), value: null, timestamp: 8 })
    expect(a).toEqual({ topic: 'app-s-changelog', partition: 3, key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 7, headers: a.headers })
    expect(a.headers).toBe(b.headers)
    expect(a.headers[0]![0]).toBe(SOURCE_OFFSETS_HEADER)

    const decoder = new ChangelogRecordDecoder()
    const asRead = (r: typeof a, offset: number): BrokerRecord => ({ ...r, partition: 3, offset })
    const da = decoder.decode(asRead(a, 0))
    const db = decoder.decode(asRead(b, 1))
    expect(da).toEqual({ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 7, offset: 0, sourceOffsets: offsets })
    expect(db.value).toBeNull()
    expect(db.sourceOffsets).toBe(da.sourceOffsets) // parsed once per commit, not per record
    expect(decoder.decode({ ...asRead(a, 2), headers: [] }).sourceOffsets).toBeUndefined()
  })

  it('reports bad records with RESTORE_FAILED and coordinates', () => {
    const decoder = new ChangelogRecordDecoder()
    const record: BrokerRecord = { topic: 't', partition: 0, offset: 9, timestamp: 0, key: Buffer.from('k'), value: null, headers: [[SOURCE_OFFSETS_HEADER, Buffer.from([1, 5])]] }
    expect(() => decoder.decode(record)).toThrow(expect.objectContaining({ code: 'RESTORE_FAILED', coordinates: expect.objectContaining({ offset: 9 }) }))
    expect(() => decoder.decode({ ...record, key: null })).toThrow(expect.objectContaining({ code: 'RESTORE_FAILED' }))
  })

  it('names changelog topics from the application id and store name', () => {
    expect(changelogTopicName('billing', 'totals')).toBe('billing-totals-changelog')
    expect(changelogTopicSpec({ applicationId: 'a', storeName: 's', partitions: 2, config: { 'cleanup.policy': 'compact', 'segment.ms': '1000' } })).toEqual({
      name: 'a-s-changelog',
      partitions: 2,
      config: { 'cleanup.policy': 'compact', 'segment.ms': '1000' },
    })
  })
})
