/**
 * Key layout of the embedded broker's store. The first byte names the kind of entry; numbers are
 * big-endian so that bytewise order is numeric order, which makes one partition's log batches a
 * contiguous key range sorted by offset (docs/embedded-broker.md, "Storage layout").
 */

const META = 0x01
const TOPIC = 0x02
const LOG = 0x03
const LOG_START = 0x04
const ABORTED = 0x05
const GROUP_OFFSET = 0x06
const TRANSACTION = 0x07

export const storageKeys = {
  meta(name: string): Buffer {
    return prefixed(META, name)
  },

  topic(name: string): Buffer {
    return prefixed(TOPIC, name)
  },
  topicRange(): { gte: Buffer; lt: Buffer } {
    return kindRange(TOPIC)
  },

  /** A log batch, named by the offset of its first record. */
  log(topicId: number, partition: number, baseOffset: number): Buffer {
    return partitionKey(LOG, topicId, partition, baseOffset)
  },
  logRange(topicId: number, partition: number): { gte: Buffer; lt: Buffer } {
    return partitionRange(LOG, topicId, partition)
  },
  /** Every log batch of a topic, all partitions. */
  topicLogRange(topicId: number): { gte: Buffer; lt: Buffer } {
    const gte = Buffer.alloc(5)
    gte[0] = LOG
    gte.writeUInt32BE(topicId, 1)
    return { gte, lt: prefixEnd(gte) }
  },
  baseOffsetOf(logKey: Buffer): number {
    return readOffset(logKey, 9)
  },

  logStart(topicId: number, partition: number): Buffer {
    const k = Buffer.alloc(9)
    k[0] = LOG_START
    k.writeUInt32BE(topicId, 1)
    k.writeUInt32BE(partition, 5)
    return k
  },

  /** An aborted transaction's index entry, named by the offset of its abort marker. */
  aborted(topicId: number, partition: number, markerOffset: number): Buffer {
    return partitionKey(ABORTED, topicId, partition, markerOffset)
  },
  abortedRange(topicId: number, partition: number): { gte: Buffer; lt: Buffer } {
    return partitionRange(ABORTED, topicId, partition)
  },

  groupOffset(groupId: string, topic: string, partition: number): Buffer {
    const g = Buffer.from(groupId, 'utf8')
    const t = Buffer.from(topic, 'utf8')
    const k = Buffer.alloc(1 + 2 + g.length + 2 + t.length + 4)
    k[0] = GROUP_OFFSET
    k.writeUInt16BE(g.length, 1)
    g.copy(k, 3)
    k.writeUInt16BE(t.length, 3 + g.length)
    t.copy(k, 5 + g.length)
    k.writeUInt32BE(partition, 5 + g.length + t.length)
    return k
  },
  groupOffsetRange(): { gte: Buffer; lt: Buffer } {
    return kindRange(GROUP_OFFSET)
  },
  parseGroupOffset(key: Buffer): { groupId: string; topic: string; partition: number } {
    const gl = key.readUInt16BE(1)
    const groupId = key.toString('utf8', 3, 3 + gl)
    const tl = key.readUInt16BE(3 + gl)
    const topic = key.toString('utf8', 5 + gl, 5 + gl + tl)
    return { groupId, topic, partition: key.readUInt32BE(5 + gl + tl) }
  },

  transaction(transactionalId: string): Buffer {
    return prefixed(TRANSACTION, transactionalId)
  },
  transactionRange(): { gte: Buffer; lt: Buffer } {
    return kindRange(TRANSACTION)
  },
} as const

/** An aborted-transaction index entry: the key holds the marker offset, the value the rest. */
export function encodeAborted(txn: { readonly producerId: number; readonly firstOffset: number }): Buffer {
  const b = Buffer.alloc(12)
  b.writeUInt32BE(txn.producerId, 0)
  writeOffset(b, txn.firstOffset, 4)
  return b
}

export function decodeAborted(key: Buffer, value: Buffer): { producerId: number; firstOffset: number; lastOffset: number } {
  return { producerId: value.readUInt32BE(0), firstOffset: readOffset(value, 4), lastOffset: readOffset(key, 9) }
}

/** 8-byte big-endian encoding of an offset (offsets stay below 2^53). */
export function encodeOffset(offset: number): Buffer {
  const b = Buffer.alloc(8)
  writeOffset(b, offset, 0)
  return b
}

export function decodeOffset(b: Buffer): number {
  return readOffset(b, 0)
}

/** kind | topicId | partition | offset: 17 bytes. */
function partitionKey(kind: number, topicId: number, partition: number, offset: number): Buffer {
  const k = Buffer.alloc(17)
  k[0] = kind
  k.writeUInt32BE(topicId, 1)
  k.writeUInt32BE(partition, 5)
  writeOffset(k, offset, 9)
  return k
}

function partitionRange(kind: number, topicId: number, partition: number): { gte: Buffer; lt: Buffer } {
  const gte = Buffer.alloc(9)
  gte[0] = kind
  gte.writeUInt32BE(topicId, 1)
  gte.writeUInt32BE(partition, 5)
  return { gte, lt: prefixEnd(gte) }
}

function kindRange(kind: number): { gte: Buffer; lt: Buffer } {
  return { gte: Buffer.from([kind]), lt: Buffer.from([kind + 1]) }
}

function prefixed(kind: number, name: string): Buffer {
  const s = Buffer.from(name, 'utf8')
  const k = Buffer.alloc(1 + s.length)
  k[0] = kind
  s.copy(k, 1)
  return k
}

/** The smallest key above every key that starts with `prefix`. */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix)
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1
      return end.subarray(0, i + 1)
    }
  }
  return Buffer.from([0xff, 0xff])
}

function writeOffset(b: Buffer, offset: number, at: number): void {
  b.writeUInt32BE(Math.floor(offset / 0x1_0000_0000), at)
  b.writeUInt32BE(offset >>> 0, at + 4)
}

function readOffset(b: Buffer, at: number): number {
  return b.readUInt32BE(at) * 0x1_0000_0000 + b.readUInt32BE(at + 4)
}
