/**
 * The size Kafka gives a record for its `message.max.bytes` check: the record alone in an
 * uncompressed v2 record batch (61 bytes of batch header, then the record's varint-framed fields).
 * The embedded broker stores records in its own format (record-batch.ts) but refuses by this
 * measure, so a record it accepts is one a Kafka broker with the same limit accepts too.
 */
import type { OutgoingRecord } from '../broker'

/** Kafka's default `message.max.bytes` (1 MiB + 12 bytes of legacy log overhead). */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588

const RECORD_BATCH_OVERHEAD = 61

export function kafkaRecordSize(record: Pick<OutgoingRecord, 'key' | 'value' | 'headers'>): number {
  // attributes (1 byte), timestampDelta and offsetDelta (0: one varint byte each)
  const headers = record.headers
  let body = 3 + bytesField(record.key) + bytesField(record.value) + varintSize(headers.length)
  // Indexed, without destructuring: this runs for every record produced.
  for (let i = 0; i < headers.length; i++) {
    const nameBytes = Buffer.byteLength(headers[i]![0], 'utf8')
    body += varintSize(nameBytes) + nameBytes + bytesField(headers[i]![1])
  }
  return RECORD_BATCH_OVERHEAD + varintSize(body) + body
}

/** A length-prefixed byte field; null is the length -1 (one byte). */
function bytesField(bytes: Buffer | null): number {
  return bytes === null ? 1 : varintSize(bytes.length) + bytes.length
}

/** Bytes of a zigzag varint for a non-negative length (zigzag doubles it). */
function varintSize(n: number): number {
  let v = n * 2
  let bytes = 1
  while (v >= 0x80) {
    v = Math.floor(v / 0x80)
    bytes++
  }
  return bytes
}
