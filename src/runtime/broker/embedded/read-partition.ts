/**
 * Reads a partition's records in [from, to) from storage, whole batches at a time. Offsets can
 * be missing (compaction, control markers, aborted transactions filtered for read_committed):
 * the returned `next` says where the following read starts, past anything skipped.
 *
 * A range the partition's tail cache covers (partition-log.ts) is served from memory, without
 * a storage read; each read takes its own copy of the bytes, as a storage read would hand out.
 */
import type { BrokerRecord, IsolationLevel } from '../broker'
import type { KvEntry, KvStore } from './kv-store'
import type { PartitionLog } from './partition-log'
import { BATCH_CONTROL, BATCH_TRANSACTIONAL, countBatchRecords, decodeBatchInto, readBatchHeader, type BatchSlice } from './record-batch'
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

/** A batch read but not decoded yet, with the slice of it the read selected. */
export interface FetchedBatch {
  readonly bytes: Buffer
  /** Selects at least one record of the batch. */
  readonly slice: BatchSlice
}

export interface PartitionBatchesResult {
  readonly batches: FetchedBatch[]
  /** Records over all batches. */
  readonly count: number
  /** The offset to read from next. */
  readonly next: number
}

/** Where a batch's record count is (record-batch.ts). */
const COUNT_AT = 10
const FIRST_CHUNK = 8
const MAX_CHUNK = 256

export async function readPartition(store: KvStore, log: PartitionLog, read: PartitionRead): Promise<PartitionReadResult> {
  const { batches, next } = await readPartitionBatches(store, log, read)
  const records: BrokerRecord[] = []
  for (const batch of batches) decodeBatchInto(batch.bytes, batch.slice, records)
  return { records, next }
}

/**
 * `readPartition` without decoding: the selected batches, to be decoded when their records are
 * needed. A consumer reading ahead keeps bytes waiting instead of thousands of record objects,
 * which would outlive young-generation collections (each survivor is copied, then promoted).
 */
export async function readPartitionBatches(store: KvStore, log: PartitionLog, read: PartitionRead): Promise<PartitionBatchesResult> {
  const found = { batches: [] as FetchedBatch[], count: 0 }
  const { from, to } = read
  if (from >= to) return { ...found, next: from }
  const cached = log.cachedRange(from, to)
  if (cached !== undefined) {
    for (const batch of cached) {
      const next = visitBatch(log, read, batch.base, batch.value, found, true)
      if (next !== undefined) return { ...found, next }
    }
    return { ...found, next: to }
  }
  const { gte: partitionStart } = storageKeys.logRange(log.topicId, log.partition)
  const upper = storageKeys.log(log.topicId, log.partition, to)
  // The batch holding `from` may start before it: find the last batch based at or below it. That
  // entry is the first one to decode, and the forward reads continue after it.
  const floor = await store.range({ gte: partitionStart, lte: storageKeys.log(log.topicId, log.partition, from), reverse: true }, 1)
  let entries: readonly KvEntry[] = floor
  let lower: { gte?: Buffer; gt?: Buffer } = floor.length > 0 ? { gt: floor[0]![0] } : { gte: storageKeys.log(log.topicId, log.partition, from) }
  let chunk = FIRST_CHUNK
  let seen = 0
  let seenRecords = 0
  for (let first = true; ; first = false) {
    if (!first) entries = await store.range({ ...lower, lt: upper }, chunk)
    for (const [key, value] of entries) {
      seen++
      seenRecords += value.readUInt32BE(COUNT_AT)
      const next = visitBatch(log, read, storageKeys.baseOffsetOf(key), value, found, false)
      if (next !== undefined) return { ...found, next }
    }
    if (first) {
      // Size the first forward read by the batches seen so far, so it does not fetch (and copy
      // out of LevelDB) many more batches than `maxRecords` needs.
      const perBatch = seen > 0 ? Math.max(1, seenRecords / seen) : 0
      if (perBatch > 0) chunk = Math.min(MAX_CHUNK, Math.max(1, Math.ceil((read.maxRecords - found.count) / perBatch) + 1))
      continue
    }
    if (entries.length < chunk) return { ...found, next: to }
    lower = { gt: entries[entries.length - 1]![0] }
    chunk = Math.min(MAX_CHUNK, chunk * 4)
  }
}

/** Adds the batch at `base` to `found` unless it is skipped; returns where the next read starts
 *  once `maxRecords` is reached, else undefined (go on). */
function visitBatch(
  log: PartitionLog,
  read: PartitionRead,
  base: number,
  value: Buffer,
  found: { batches: FetchedBatch[]; count: number },
  copy: boolean,
): number | undefined {
  const header = readBatchHeader(value)
  const end = base + header.lastOffsetDelta + 1
  // Below the log start: deleted by retention or deleteRecords while this read was under
  // way (its aborted-index entries may be gone too).
  if (end <= read.from || end <= log.logStartOffset) return undefined
  const skip =
    (header.attributes & BATCH_CONTROL) !== 0 ||
    (read.isolation === 'read_committed' && (header.attributes & BATCH_TRANSACTIONAL) !== 0 && log.isAborted(header.producerId, base))
  if (!skip) {
    const slice: BatchSlice = { topic: log.topic, partition: log.partition, baseOffset: base, from: read.from, to: read.to }
    const count = countBatchRecords(value, slice)
    if (count > 0) {
      found.batches.push({ bytes: copy ? Buffer.from(value) : value, slice })
      found.count += count
    }
  }
  return found.count >= read.maxRecords ? Math.min(end, read.to) : undefined
}
