/**
 * Restore: brings stores up to their changelogs before a task processes anything.
 *
 * For each logged store, read its changelog partition from the offset the local state is known to
 * be at (`__meta`, 0 for a new, wiped or in-memory store) to the end, in chunks of at most
 * `maxBatchRecords`. Each chunk becomes ONE atomic write holding its records and the new changelog
 * position, so memory stays bounded and a crash mid-restore resumes where it stopped.
 *
 * The rule (Quix Streams' recovery): a record is applied only if every source position in its
 * `__src` header is covered by a committed offset, i.e. the commit that produced it completed.
 * Records of a batch that was flushed but never committed are skipped, yet still advance the
 * changelog position: their commit can never complete any more, since the inputs are reprocessed
 * and logged again after the crash. Records without `__src` (written by other tools) are applied.
 */
import { StreamfoldError, TaskCorruptedError } from '../errors'
import type { Logger } from '../logger'
import type { BrokerRecord, PartitionReader, TopicPartitionOffset } from '../runtime/broker/broker'
import { type ChangelogEntry, ChangelogRecordDecoder } from './changelog-record'

export interface RestoreTarget {
  readonly storeName: string
  readonly topic: string
  readonly partition: number
  /** The next changelog offset the local state has not seen. */
  readonly startOffset: number
  /** Applies one chunk atomically with the new changelog position (`nextOffset`). */
  applyChunk(entries: readonly ChangelogEntry[], nextOffset: number): Promise<void>
}

interface RestoreCoordinates {
  readonly storeName: string
  readonly topic: string
  readonly partition: number
}

export interface RestoreStartEvent extends RestoreCoordinates {
  readonly startOffset: number
}

export interface RestoreBatchEvent extends RestoreCoordinates {
  /** The next offset after this batch. */
  readonly batchEndOffset: number
  readonly applied: number
  readonly skipped: number
  readonly totalApplied: number
}

export interface RestoreEndEvent extends RestoreCoordinates {
  readonly startOffset: number
  readonly endOffset: number
  readonly applied: number
  /** Records left out because their commit never completed. */
  readonly skipped: number
  readonly durationMs: number
  readonly recordsPerSecond: number
}

/** Progress of a restore (Kafka Streams' StateRestoreListener). Listeners must be quick. */
export interface RestoreListener {
  onRestoreStart?(event: RestoreStartEvent): void
  onBatchRestored?(event: RestoreBatchEvent): void
  onRestoreEnd?(event: RestoreEndEvent): void
}

export interface RestoreOptions {
  readonly reader: Pick<PartitionReader, 'readToEnd'>
  /**
   * Per input partition, the position up to which source records count as committed: the group's
   * committed offsets (the caller may raise them to what the local state already applied).
   */
  readonly committedOffsets: readonly TopicPartitionOffset[]
  /** Records per chunk, and so per atomic write (default 1000). */
  readonly maxBatchRecords?: number
  readonly listener?: RestoreListener
  readonly logger: Logger
}

export const DEFAULT_RESTORE_BATCH = 1000

export async function restoreChangelogs(
  targets: readonly RestoreTarget[],
  options: RestoreOptions,
): Promise<RestoreEndEvent[]> {
  const committed = new Map<string, number>()
  for (const { topic, partition, offset } of options.committedOffsets) committed.set(partitionKey(topic, partition), offset)
  const results: RestoreEndEvent[] = []
  for (const target of targets) results.push(await restoreOne(target, committed, options))
  return results
}

async function restoreOne(
  target: RestoreTarget,
  committed: ReadonlyMap<string, number>,
  options: RestoreOptions,
): Promise<RestoreEndEvent> {
  const { storeName, topic, partition, startOffset } = target
  const where = { storeName, topic, partition }
  const maxBatch = Math.max(1, options.maxBatchRecords ?? DEFAULT_RESTORE_BATCH)
  const decoder = new ChangelogRecordDecoder()
  const verdicts = new WeakMap<readonly TopicPartitionOffset[], boolean>()
  const started = performance.now()
  let position = startOffset
  let applied = 0
  let skipped = 0
  notify(options, () => options.listener?.onRestoreStart?.({ ...where, startOffset }))

  const restoreChunk = async (records: readonly BrokerRecord[]): Promise<void> => {
    const entries: ChangelogEntry[] = []
    for (const record of records) {
      const entry = decoder.entry(record)
      const src = decoder.sourceOffsets(record)
      let apply = true
      if (src !== undefined) {
        const known = verdicts.get(src)
        apply = known ?? isCommitted(src, committed)
        if (known === undefined) verdicts.set(src, apply)
      }
      if (apply) entries.push(entry)
    }
    const last = records[records.length - 1]
    if (last === undefined) return
    position = last.offset + 1
    await target.applyChunk(entries, position)
    applied += entries.length
    skipped += records.length - entries.length
    const batch = { ...where, batchEndOffset: position, applied: entries.length, skipped: records.length - entries.length }
    notify(options, () => options.listener?.onBatchRestored?.({ ...batch, totalApplied: applied }))
  }

  let endOffset: number
  try {
    endOffset = await options.reader.readToEnd(
      { topic, partition, offset: startOffset },
      async (records) => {
        for (let i = 0; i < records.length; i += maxBatch) await restoreChunk(records.slice(i, i + maxBatch))
      },
      { isolationLevel: 'read_committed', maxBatchRecords: maxBatch },
    )
    if (endOffset < startOffset) {
      throw new TaskCorruptedError('changelog ends before the offset the local state has reached', {
        store: storeName,
        topic,
        partition,
        offset: startOffset,
      })
    }
    // Control records (transaction markers) at the end advance the position without records.
    if (endOffset > position) {
      position = endOffset
      await target.applyChunk([], endOffset)
    }
  } catch (error) {
    if (error instanceof StreamfoldError) throw error
    throw new StreamfoldError('RESTORE_FAILED', 'restoring a state store from its changelog failed', {
      store: storeName,
      topic,
      partition,
      offset: position,
      cause: error,
    })
  }

  const durationMs = performance.now() - started
  const total = applied + skipped
  const recordsPerSecond = durationMs > 0 ? Math.round((total * 1000) / durationMs) : total
  const end: RestoreEndEvent = { ...where, startOffset, endOffset, applied, skipped, durationMs, recordsPerSecond }
  options.logger.info(
    { store: storeName, topic, partition, startOffset, endOffset, applied, skipped, durationMs: Math.round(durationMs), recordsPerSecond },
    'state store restored',
  )
  notify(options, () => options.listener?.onRestoreEnd?.(end))
  return end
}

function isCommitted(src: readonly TopicPartitionOffset[], committed: ReadonlyMap<string, number>): boolean {
  for (const { topic, partition, offset } of src) {
    const done = committed.get(partitionKey(topic, partition))
    if (done === undefined || offset > done) return false
  }
  return true
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

/** A failing listener must not fail the restore: it is logged and ignored. */
function notify(options: RestoreOptions, call: () => void): void {
  try {
    call()
  } catch (error) {
    options.logger.warn({ err: error }, 'restore listener threw; ignored')
  }
}
