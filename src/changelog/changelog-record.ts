/**
 * Changelog records: one per key changed in a commit, made from the write buffer. Key and value
 * are the store's bytes (tombstone = null value), so a KV changelog reads like Kafka Streams' with
 * the same serdes. Each record carries the header `__src`: the positions of the task's input
 * partitions that the commit covers (docs/state.md, "Changelog record format"), which restore uses
 * to skip records of a commit that never completed.
 *
 * `__src` layout (compact binary, all integers unsigned LEB128 varints):
 *   version(=1) count { topicLength topicUtf8 partition offset }*count
 */
import { StreamfoldError } from '../errors'
import type { HeaderEntry } from '../record-headers'
import type { BrokerRecord, OutgoingRecord, TopicPartitionOffset } from '../runtime/broker/broker'

export const SOURCE_OFFSETS_HEADER = '__src'
const SOURCE_OFFSETS_VERSION = 1

/** A store change as it travels through the changelog. */
export interface ChangelogEntry {
  readonly key: Buffer
  readonly value: Buffer | null
  readonly timestamp: number
}

export interface DecodedChangelogRecord extends ChangelogEntry {
  readonly offset: number
  /** Undefined when the record has no `__src` header (written by another tool): always applied. */
  readonly sourceOffsets: readonly TopicPartitionOffset[] | undefined
}

export function encodeSourceOffsets(offsets: readonly TopicPartitionOffset[]): Buffer {
  const out: number[] = [SOURCE_OFFSETS_VERSION]
  writeVarint(out, offsets.length)
  for (const { topic, partition, offset } of offsets) {
    const name = Buffer.from(topic, 'utf8')
    writeVarint(out, name.length)
    for (const byte of name) out.push(byte)
    writeVarint(out, partition)
    writeVarint(out, offset)
  }
  return Buffer.from(out)
}

/** Throws a plain Error on malformed input; callers add coordinates. */
export function decodeSourceOffsets(bytes: Buffer): TopicPartitionOffset[] {
  const reader = { bytes, pos: 0 }
  if (readByte(reader) !== SOURCE_OFFSETS_VERSION) throw new Error('unknown __src header version')
  const count = readVarint(reader)
  const offsets: TopicPartitionOffset[] = []
  for (let i = 0; i < count; i++) {
    const length = readVarint(reader)
    if (reader.pos + length > bytes.length) throw new Error('truncated __src header')
    const topic = bytes.toString('utf8', reader.pos, reader.pos + length)
    reader.pos += length
    const partition = readVarint(reader)
    const offset = readVarint(reader)
    offsets.push({ topic, partition, offset })
  }
  if (reader.pos !== bytes.length) throw new Error('trailing bytes in __src header')
  return offsets
}

/** Makes the changelog records of one commit; they all share one encoded `__src` header. */
export class ChangelogRecordEncoder {
  private readonly headers: readonly HeaderEntry[]

  constructor(sourceOffsets: readonly TopicPartitionOffset[]) {
    this.headers = Object.freeze([[SOURCE_OFFSETS_HEADER, encodeSourceOffsets(sourceOffsets)] as const])
  }

  record(topic: string, partition: number, entry: ChangelogEntry): OutgoingRecord {
    return { topic, partition, key: entry.key, value: entry.value, timestamp: entry.timestamp, headers: this.headers }
  }
}

/**
 * Reads changelog records back. Consecutive records of one commit carry identical `__src` bytes,
 * so the last decoding is reused instead of parsing the header once per record.
 */
export class ChangelogRecordDecoder {
  private lastHeader: Buffer | undefined
  private lastOffsets: readonly TopicPartitionOffset[] | undefined

  decode(record: BrokerRecord): DecodedChangelogRecord {
    const { key, value, timestamp, offset } = this.entry(record)
    return { key, value, timestamp, offset, sourceOffsets: this.sourceOffsets(record) }
  }

  /** The record itself as a store change (restore's path: no object per record); throws without a key. */
  entry(record: BrokerRecord): BrokerRecord & ChangelogEntry {
    if (record.key === null) {
      throw new StreamfoldError('RESTORE_FAILED', 'changelog record without a key', coordinates(record))
    }
    return record as BrokerRecord & ChangelogEntry
  }

  /** The decoded `__src` header; undefined without one (the record is then always applied). */
  sourceOffsets(record: BrokerRecord): readonly TopicPartitionOffset[] | undefined {
    let header: Buffer | undefined
    const headers = record.headers
    for (let i = 0; i < headers.length; i++) if (headers[i]![0] === SOURCE_OFFSETS_HEADER) header = headers[i]![1]
    if (header === undefined) return undefined
    if (this.lastHeader !== undefined && sameBytes(this.lastHeader, header)) return this.lastOffsets
    try {
      this.lastOffsets = Object.freeze(decodeSourceOffsets(header))
    } catch (error) {
      throw new StreamfoldError('RESTORE_FAILED', 'malformed __src header on changelog record', {
        ...coordinates(record),
        cause: error,
      })
    }
    this.lastHeader = header
    return this.lastOffsets
  }
}

/** Buffer.equals for the short `__src` values: a byte loop costs less than the native call. */
function sameBytes(a: Buffer, b: Buffer): boolean {
  const n = a.length
  if (n !== b.length) return false
  if (n > 64) return a.equals(b)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false
  return true
}

function coordinates(record: BrokerRecord): { topic: string; partition: number; offset: number } {
  return { topic: record.topic, partition: record.partition, offset: record.offset }
}

// Offsets reach 2^53, past what the 32-bit bitwise operators handle: plain arithmetic instead.
function writeVarint(out: number[], value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError('varint must be a non-negative safe integer')
  let n = value
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80)
    n = Math.floor(n / 0x80)
  }
  out.push(n)
}

interface Reader {
  readonly bytes: Buffer
  pos: number
}

function readByte(reader: Reader): number {
  const byte = reader.bytes[reader.pos]
  if (byte === undefined) throw new Error('truncated __src header')
  reader.pos++
  return byte
}

function readVarint(reader: Reader): number {
  let value = 0
  let scale = 1
  for (let i = 0; i < 8; i++) {
    const byte = readByte(reader)
    value += (byte & 0x7f) * scale
    if (byte < 0x80) return value
    scale *= 0x80
  }
  throw new Error('varint too long in __src header')
}
