/**
 * The binary format of one log entry: a batch of records with consecutive offsets, as Kafka
 * stores them. One batch per partition per producer flush keeps LevelDB entries few and large.
 *
 *   header  u8 version | u8 attributes | u32 producerId | u32 lastOffsetDelta | u32 count
 *           | f64 maxTimestamp | f64 cleanedAt                                   (30 bytes)
 *   record  u32 offsetDelta | f64 timestamp | i32 keyLength (-1: null) | key
 *           | i32 valueLength (-1: null) | value | u16 headerCount
 *           | (u16 nameLength | name utf8 | u32 valueLength | value) per header
 *
 * lastOffsetDelta survives compaction, so a batch emptied by the cleaner still spans its offsets.
 */
import type { HeaderEntry } from '../../../record-headers'
import type { BrokerRecord } from '../broker'

const VERSION = 1
const HEADER_SIZE = 30

export const BATCH_TRANSACTIONAL = 0b001
export const BATCH_CONTROL = 0b010
/** With BATCH_CONTROL: a commit marker (else an abort marker). */
export const BATCH_COMMIT = 0b100

export interface BatchHeader {
  readonly attributes: number
  /** 0 for records written outside a transaction. */
  readonly producerId: number
  readonly lastOffsetDelta: number
  readonly count: number
  readonly maxTimestamp: number
  /** When the cleaner first rewrote this batch (0: never); starts tombstones' delete.retention.ms. */
  readonly cleanedAt: number
}

/** A record of a batch, offsets relative to the batch's base offset. */
export interface BatchRecord {
  /** Defaults to the record's index in the batch. */
  readonly offsetDelta?: number
  readonly timestamp: number
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: readonly HeaderEntry[]
}

const NO_HEADERS: readonly HeaderEntry[] = Object.freeze([])

export function encodeBatch(
  header: Omit<BatchHeader, 'count' | 'maxTimestamp'>,
  records: readonly BatchRecord[],
): Buffer {
  let size = HEADER_SIZE
  let maxTimestamp = 0
  // Indexed loops and no destructuring of header pairs: iterators here were allocated per record
  // (per header, for changelog records) on the produce path.
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!
    size += 4 + 8 + 4 + 4 + 2 + (r.key?.length ?? 0) + (r.value?.length ?? 0)
    const headers = r.headers
    for (let h = 0; h < headers.length; h++) {
      const header = headers[h]!
      size += 2 + Buffer.byteLength(header[0], 'utf8') + 4 + header[1].length
    }
    if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp
  }
  const b = Buffer.allocUnsafe(size)
  b[0] = VERSION
  b[1] = header.attributes
  b.writeUInt32BE(header.producerId, 2)
  b.writeUInt32BE(header.lastOffsetDelta, 6)
  b.writeUInt32BE(records.length, 10)
  b.writeDoubleBE(maxTimestamp, 14)
  b.writeDoubleBE(header.cleanedAt, 22)
  let at = HEADER_SIZE
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!
    b.writeUInt32BE(r.offsetDelta ?? i, at)
    b.writeDoubleBE(r.timestamp, at + 4)
    at = writeBytes(b, r.key, at + 12)
    at = writeBytes(b, r.value, at)
    const headers = r.headers
    b.writeUInt16BE(headers.length, at)
    at += 2
    for (let h = 0; h < headers.length; h++) {
      const name = headers[h]![0]
      const value = headers[h]![1]
      const n = b.write(name, at + 2, 'utf8')
      b.writeUInt16BE(n, at)
      at += 2 + n
      b.writeUInt32BE(value.length, at)
      value.copy(b, at + 4)
      at += 4 + value.length
    }
  }
  return b
}

export function readBatchHeader(b: Buffer): BatchHeader {
  if (b[0] !== VERSION) throw new Error(`unknown log batch version ${b[0]}`)
  return {
    attributes: b[1]!,
    producerId: b.readUInt32BE(2),
    lastOffsetDelta: b.readUInt32BE(6),
    count: b.readUInt32BE(10),
    maxTimestamp: b.readDoubleBE(14),
    cleanedAt: b.readDoubleBE(22),
  }
}

/** Which records of a batch to decode, and where they live. */
export interface BatchSlice {
  readonly topic: string
  readonly partition: number
  readonly baseOffset: number
  /** Offsets in [from, to) are decoded. */
  readonly from: number
  readonly to: number
}

/**
 * Appends to `out` the records of batch `b` that the slice selects. Keys, values and header
 * values are views into `b`, which must not be reused.
 */
export function decodeBatchInto(b: Buffer, slice: BatchSlice, out: BrokerRecord[]): void {
  const { topic, partition, baseOffset, from, to } = slice
  const count = b.readUInt32BE(10)
  let at = HEADER_SIZE
  for (let i = 0; i < count; i++) {
    const offset = baseOffset + b.readUInt32BE(at)
    const timestamp = b.readDoubleBE(at + 4)
    at += 12
    const keyLength = b.readInt32BE(at)
    const key = keyLength < 0 ? null : b.subarray(at + 4, at + 4 + keyLength)
    at += 4 + Math.max(keyLength, 0)
    const valueLength = b.readInt32BE(at)
    const value = valueLength < 0 ? null : b.subarray(at + 4, at + 4 + valueLength)
    at += 4 + Math.max(valueLength, 0)
    const headerCount = b.readUInt16BE(at)
    at += 2
    let headers = NO_HEADERS
    if (headerCount > 0) {
      const list: HeaderEntry[] = []
      for (let h = 0; h < headerCount; h++) {
        const n = b.readUInt16BE(at)
        const name = headerName(b, at + 2, n)
        at += 2 + n
        const vl = b.readUInt32BE(at)
        list.push([name, b.subarray(at + 4, at + 4 + vl)])
        at += 4 + vl
      }
      headers = list
    }
    if (offset >= from && offset < to) {
      out.push({ topic, partition, offset, timestamp, key, value, headers })
    }
  }
}

/**
 * How many records of batch `b` the slice selects, without decoding them: all of them when the
 * batch lies inside [from, to) (`count` is exact, compaction included), else the selected
 * offsets counted by walking the records' lengths.
 */
export function countBatchRecords(b: Buffer, slice: BatchSlice): number {
  const { baseOffset, from, to } = slice
  if (baseOffset >= from && baseOffset + b.readUInt32BE(6) < to) return b.readUInt32BE(10)
  return walkSelected(b, slice, false)
}

/** The offset of the first record of batch `b` the slice selects (-1: none), without decoding. */
export function firstBatchOffset(b: Buffer, slice: BatchSlice): number {
  return walkSelected(b, slice, true)
}

/** Walks the records' lengths: the count of selected offsets, or the first one (-1: none). */
function walkSelected(b: Buffer, slice: BatchSlice, firstOnly: boolean): number {
  const { baseOffset, from, to } = slice
  const count = b.readUInt32BE(10)
  let selected = 0
  let at = HEADER_SIZE
  for (let i = 0; i < count; i++) {
    const offset = baseOffset + b.readUInt32BE(at)
    if (offset >= from && offset < to) {
      if (firstOnly) return offset
      selected++
    }
    at += 12
    at += 4 + Math.max(b.readInt32BE(at), 0)
    at += 4 + Math.max(b.readInt32BE(at), 0)
    const headerCount = b.readUInt16BE(at)
    at += 2
    for (let h = 0; h < headerCount; h++) {
      at += 2 + b.readUInt16BE(at)
      at += 4 + b.readUInt32BE(at)
    }
  }
  return firstOnly ? -1 : selected
}

// The last header name decoded, with its bytes: records of one producer mostly repeat the same
// names (every changelog record carries `__src`), so the string is reused instead of decoded again.
let lastName = ''
let lastNameBytes = Buffer.alloc(0)

function headerName(b: Buffer, start: number, length: number): string {
  const known = lastNameBytes
  if (known.length === length) {
    let same = true
    for (let i = 0; i < length; i++) {
      if (b[start + i] !== known[i]) {
        same = false
        break
      }
    }
    if (same) return lastName
  }
  lastName = b.toString('utf8', start, start + length)
  lastNameBytes = Buffer.from(b.subarray(start, start + length))
  return lastName
}

/** Every record of a batch with its relative offset, for the cleaner's rewrite. */
export function batchRecords(b: Buffer): BatchRecord[] {
  const records: BrokerRecord[] = []
  decodeBatchInto(b, { topic: '', partition: 0, baseOffset: 0, from: 0, to: Number.MAX_SAFE_INTEGER }, records)
  return records.map((r) => ({ offsetDelta: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers }))
}

function writeBytes(b: Buffer, bytes: Buffer | null, at: number): number {
  if (bytes === null) {
    b.writeInt32BE(-1, at)
    return at + 4
  }
  b.writeInt32BE(bytes.length, at)
  bytes.copy(b, at + 4)
  return at + 4 + bytes.length
}
