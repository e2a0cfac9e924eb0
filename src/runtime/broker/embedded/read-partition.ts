/**
 * Reads a partition's records in [from, to) from storage, whole batches at a time. Offsets can
 * be missing (compaction, control markers, aborted transactions filtered for read_committed):
 * the returned `next` says where the following read starts, past anything skipped.
 */
import type { BrokerRecord, IsolationLevel } from '../broker'
import type { KvStore } from './kv-store'
import type { PartitionLog } from './partition-log'
import { BATCH_CONTROL, BATCH_TRANSACTIONAL, decodeBatchInto, readBatchHeader } from './record-batch'
import { storageKeys } from './storage-keys'

export interface PartitionRead {
  readonly from: number
  /** Exclusive bound: at most the high watermark (or the LSO for read_committed). */
  readonly to: number
  readonly isolation: IsolationLevel
  /** Stop after the batch that reaches this many records (whole batches: may return more). */
  readonly maxRecords: number
}

export interface PartitionReadResult {
  readonly records: BrokerRecord[]
  /** The offset to read from next. */
  readonly next: number
}

const FIRST_CHUNK = 8
const MAX_CHUNK = 256

export async function readPartition(store: KvStore, log: PartitionLog, read: PartitionRead): Promise<PartitionReadResult> {
  const records: BrokerRecord[] = []
  const { from, to } = read
  if (from >= to) return { records, next: from }
  const { gte: partitionStart } = storageKeys.logRange(log.topicId, log.partition)
  const upper = storageKeys.log(log.topicId, log.partition, to)
  // The batch holding `from` may start before it: find the last batch based at or below it.
  const floor = await store.range({ gte: partitionStart, lte: storageKeys.log(log.topicId, log.partition, from), reverse: true }, 1)
  let lower: { gte?: Buffer; gt?: Buffer } = { gte: floor[0]?.[0] ?? storageKeys.log(log.topicId, log.partition, from) }
  const committedOnly = read.isolation === 'read_committed'
  let chunk = FIRST_CHUNK
  for (;;) {
    const entries = await store.range({ ...lower, lt: upper }, chunk)
    for (const [key, value] of entries) {
      const base = storageKeys.baseOffsetOf(key)
      const header = readBatchHeader(value)
      const end = base + header.lastOffsetDelta + 1
      // Below the log start: deleted by retention or deleteRecords while this read was under
      // way (its aborted-index entries may be gone too).
      if (end <= from || end <= log.logStartOffset) continue
      const skip =
        (header.attributes & BATCH_CONTROL) !== 0 ||
        (committedOnly && (header.attributes & BATCH_TRANSACTIONAL) !== 0 && log.isAborted(header.producerId, base))
      if (!skip) decodeBatchInto(value, { topic: log.topic, partition: log.partition, baseOffset: base, from, to }, records)
      if (records.length >= read.maxRecords) return { records, next: Math.min(end, to) }
    }
    if (entries.length < chunk) return { records, next: to }
    lower = { gt: entries[entries.length - 1]![0] }
    chunk = Math.min(MAX_CHUNK, chunk * 4)
  }
}
