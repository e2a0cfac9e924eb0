/**
 * Compaction and retention, Kafka's way:
 * - `cleanup.policy=compact`: below the cleanable end (the LSO: never an open transaction, never
 *   what is not stored yet) keep only the latest record per key. Offsets are preserved, so gaps
 *   appear and readers skip them. A tombstone that survived one pass is dropped by a later pass
 *   once `delete.retention.ms` (default one day) has passed since that first pass. Control
 *   markers and aborted transactional records are dropped too. Records without a key are kept.
 * - `retention.ms` (with policy `delete` or `compact,delete`): whole batches whose newest record
 *   is older are deleted from the start of the log, and the log start offset moves up.
 * - deleteRecords(): moves the log start offset (what Kafka Streams does to repartition topics).
 * Passes never run concurrently; each rewritten batch is one atomic put or delete, so a reader
 * that meets the log mid-pass sees either version of a batch, both valid.
 */
import type { Logger } from '../../../logger'
import type { KvOp, KvStore } from './kv-store'
import type { LogManager, TopicState } from './log-manager'
import type { PartitionLog } from './partition-log'
import { BATCH_CONTROL, BATCH_TRANSACTIONAL, batchRecords, encodeBatch, readBatchHeader, type BatchRecord } from './record-batch'
import { encodeOffset, storageKeys } from './storage-keys'
import type { WritePipeline } from './write-pipeline'

export interface CleanerStats {
  readonly partitionsCompacted: number
  readonly recordsRemoved: number
  readonly batchesDeleted: number
}

interface Totals {
  partitionsCompacted: number
  recordsRemoved: number
  batchesDeleted: number
}

const DAY_MS = 86_400_000
const CHUNK = 64

export class LogCleaner {
  private running: Promise<unknown> = Promise.resolve()

  private readonly store: KvStore
  private readonly pipeline: WritePipeline
  private readonly logs: LogManager
  private readonly logger: Logger

  constructor(deps: { readonly store: KvStore; readonly pipeline: WritePipeline; readonly logs: LogManager; readonly logger: Logger }) {
    this.store = deps.store
    this.pipeline = deps.pipeline
    this.logs = deps.logs
    this.logger = deps.logger
  }

  /** One pass over all topics; `force` compacts every compacted partition, dirty or not. */
  run(force: boolean): Promise<CleanerStats> {
    const pass = this.running.then(() => this.pass(force))
    this.running = pass.catch(() => undefined)
    return pass
  }

  /** Resolves when no pass is running. */
  idle(): Promise<void> {
    return this.running.then(() => undefined)
  }

  /** Moves a partition's log start offset up to `offset` (at most its high watermark). */
  deleteRecords(log: PartitionLog, offset: number): Promise<void> {
    const pass = this.running.then(() => this.truncate(log, Math.min(offset, log.lastStableOffset()), []))
    this.running = pass.catch(() => undefined)
    return pass
  }

  private async pass(force: boolean): Promise<CleanerStats> {
    const totals: Totals = { partitionsCompacted: 0, recordsRemoved: 0, batchesDeleted: 0 }
    const now = Date.now()
    for (const topic of [...this.logs.allTopics()]) {
      const policy = (topic.config['cleanup.policy'] ?? 'delete').split(',').map((s) => s.trim())
      const retentionMs = Number(topic.config['retention.ms'] ?? -1)
      for (const log of topic.partitions) {
        if (!this.alive(topic)) break
        if (policy.includes('delete') && retentionMs >= 0) await this.applyRetention(log, now - retentionMs, totals)
        if (policy.includes('compact') && (force || isDirty(log, topic))) await this.compact(topic, log, now, totals)
      }
    }
    if (totals.recordsRemoved > 0 || totals.batchesDeleted > 0) this.logger.debug({ ...totals }, 'log cleaner pass')
    return totals
  }

  private async applyRetention(log: PartitionLog, cutoff: number, totals: Totals): Promise<void> {
    const limit = log.lastStableOffset()
    const doomed: Buffer[] = []
    let newStart = log.logStartOffset
    for (let lower: { gte?: Buffer; gt?: Buffer } = { gte: storageKeys.logRange(log.topicId, log.partition).gte }; ; ) {
      const entries = await this.store.range({ ...lower, lt: storageKeys.log(log.topicId, log.partition, limit) }, CHUNK)
      for (const [key, value] of entries) {
        const header = readBatchHeader(value)
        const end = storageKeys.baseOffsetOf(key) + header.lastOffsetDelta + 1
        if (header.maxTimestamp >= cutoff || end > limit) return this.truncate(log, newStart, doomed, totals)
        doomed.push(key)
        newStart = end
      }
      if (entries.length < CHUNK) return this.truncate(log, newStart, doomed, totals)
      lower = { gt: entries[entries.length - 1]![0] }
    }
  }

  /** Deletes `doomed` (or every batch ending at or below `start`) and stores the new log start. */
  private async truncate(log: PartitionLog, start: number, doomed: Buffer[], totals?: Totals): Promise<void> {
    if (start <= log.logStartOffset) return
    if (doomed.length === 0) {
      const entries = await this.store.range({ gte: storageKeys.logRange(log.topicId, log.partition).gte, lt: storageKeys.log(log.topicId, log.partition, start) }, Number.MAX_SAFE_INTEGER)
      for (const [key, value] of entries) if (storageKeys.baseOffsetOf(key) + readBatchHeader(value).lastOffsetDelta < start) doomed.push(key)
    }
    const ops: KvOp[] = doomed.map((key) => ({ type: 'del', key }))
    ops.push({ type: 'put', key: storageKeys.logStart(log.topicId, log.partition), value: encodeOffset(start) })
    for (const t of log.abortedBelow(start)) ops.push({ type: 'del', key: storageKeys.aborted(log.topicId, log.partition, t.lastOffset) })
    await this.pipeline.submit(ops, {
      acknowledged: true,
      onDurable: () => {
        log.logStartOffset = Math.max(log.logStartOffset, start)
        log.dropAbortedBelow(start)
        log.dropCachedBelow(start)
      },
    })
    if (totals !== undefined) totals.batchesDeleted += doomed.length
  }

  private async compact(topic: TopicState, log: PartitionLog, now: number, totals: Totals): Promise<void> {
    const cleanableEnd = log.lastStableOffset()
    if (cleanableEnd <= log.logStartOffset) return
    const range = { gte: storageKeys.logRange(log.topicId, log.partition).gte, lt: storageKeys.log(log.topicId, log.partition, cleanableEnd) }
    const latest = new Map<string, number>()
    await this.scan(range, (base, value) => {
      if (this.discardable(log, base, value)) return
      for (const r of batchRecords(value)) if (r.key !== null) latest.set(r.key.toString('latin1'), base + r.offsetDelta!)
    })
    const deleteRetentionMs = Number(topic.config['delete.retention.ms'] ?? DAY_MS)
    let kept = 0
    let ops: KvOp[] = []
    await this.scan(range, (base, value, key) => {
      const header = readBatchHeader(value)
      const records = this.discardable(log, base, value) ? [] : batchRecords(value)
      const survivors = records.filter((r) => {
        if (r.key === null) return true
        if (latest.get(r.key.toString('latin1')) !== base + r.offsetDelta!) return false
        return r.value !== null || header.cleanedAt === 0 || header.cleanedAt + deleteRetentionMs > now
      })
      kept += survivors.length
      const removed = header.count - survivors.length
      const hasTombstone = survivors.some((r) => r.value === null)
      if (removed === 0 && header.count > 0 && (header.cleanedAt !== 0 || !hasTombstone)) return
      totals.recordsRemoved += removed
      if (survivors.length === 0 && base !== log.lastBatchBase) {
        ops.push({ type: 'del', key })
        totals.batchesDeleted++
      } else if (removed > 0 || header.cleanedAt === 0) {
        // The last batch stays, even empty: it carries the high watermark across restarts.
        ops.push({ type: 'put', key, value: rewrite(header, survivors, now) })
      }
      if (ops.length >= CHUNK && this.alive(topic)) {
        // A failed write fails the whole broker; the final submit below reports it.
        this.pipeline.submit(ops, { acknowledged: false }).catch(() => undefined)
        ops = []
      }
    })
    if (!this.alive(topic)) return
    // Readers of the tail cache see the compacted batches from now on.
    await this.pipeline.submit(ops, { acknowledged: true, onDurable: () => log.dropCachedBelow(cleanableEnd) })
    log.cleanedUpTo = cleanableEnd
    log.cleanRecords = kept
    totals.partitionsCompacted++
  }

  /** Control markers and batches of aborted transactions: never read, so never kept. */
  private discardable(log: PartitionLog, base: number, value: Buffer): boolean {
    const h = readBatchHeader(value)
    return (h.attributes & BATCH_CONTROL) !== 0 || ((h.attributes & BATCH_TRANSACTIONAL) !== 0 && log.isAborted(h.producerId, base))
  }

  private async scan(range: { gte: Buffer; lt: Buffer }, visit: (base: number, value: Buffer, key: Buffer) => void): Promise<void> {
    for (let lower: { gte?: Buffer; gt?: Buffer } = { gte: range.gte }; ; ) {
      const entries = await this.store.range({ ...lower, lt: range.lt }, CHUNK)
      for (const [key, value] of entries) visit(storageKeys.baseOffsetOf(key), value, key)
      if (entries.length < CHUNK) return
      lower = { gt: entries[entries.length - 1]![0] }
    }
  }

  private alive(topic: TopicState): boolean {
    return this.logs.topic(topic.name) === topic
  }
}

function isDirty(log: PartitionLog, topic: TopicState): boolean {
  const dirty = log.highWatermark - Math.max(log.cleanedUpTo, log.logStartOffset)
  if (dirty <= 0) return false
  const ratio = Number(topic.config['min.cleanable.dirty.ratio'] ?? 0.5)
  return dirty / (dirty + log.cleanRecords) >= ratio
}

function rewrite(header: ReturnType<typeof readBatchHeader>, records: readonly BatchRecord[], now: number): Buffer {
  const { attributes, producerId, lastOffsetDelta } = header
  return encodeBatch({ attributes, producerId, lastOffsetDelta, cleanedAt: header.cleanedAt === 0 ? now : header.cleanedAt }, records)
}
