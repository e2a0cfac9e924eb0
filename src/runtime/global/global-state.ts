/**
 * The app's global stores (GlobalKTable): each holds every partition of its topic, in one
 * database outside any task (task id `global`). The topic is the store's changelog: records are
 * applied as they are read, a null value deleting the key, and the next offset to read per
 * partition is committed in the same LevelDB batch as the state, so a restart resumes exactly
 * where the last batch ended (Kafka Streams keeps a checkpoint file beside the store instead).
 *
 * `catchUp()` reads every partition to its current end: the app awaits it once before any task
 * processes (so joins see the whole table, as Kafka Streams bootstraps global stores first), then
 * keeps calling it in the background while it runs. Tasks read the stores between batches; the
 * event loop never interleaves a batch with a task's processing.
 */
import { ProcessingError, StreamfoldError } from '../../errors'
import { type Logger, silentLogger } from '../../logger'
import type { ValueAndTimestamp } from '../../processors/stateful/value-and-timestamp'
import type { KeyValueStore } from '../../state/key-value-store'
import type { StateMemory } from '../../state/memory-budget'
import { TaskDb } from '../../state/task-db'
import { TaskStores } from '../../state/task-stores'
import type { GlobalStoreSpec } from '../../topology/global-store-spec'
import type { BrokerAdmin, BrokerRecord, IsolationLevel, PartitionReader, TopicPartitionOffset } from '../broker/broker'
import { safeReason } from '../task/source-node'
import type { RecordErrorHandlers } from '../task/record-error-handlers'
import type { GlobalStoreLookup } from '../task/task-context'
import { bindingsOf, readBindings, writeBindings } from './global-bindings'
import { readOnlyKeyValueStore } from './read-only-store'

export const GLOBAL_TASK_ID = 'global'
/** Bootstrap rebuilds for records deleted while read, before giving up: retention outruns the read. */
const MAX_BOOTSTRAP_REBUILDS = 2

export interface GlobalStateOptions {
  readonly applicationId: string
  readonly specs: readonly GlobalStoreSpec[]
  /** Absent: in memory (the test driver). */
  readonly stateDir?: string
  readonly memory?: StateMemory
  readonly logger?: Logger
  /** Malformed records of a global topic go to the app's deserialization handler. */
  readonly errorHandlers: RecordErrorHandlers
}

export interface CatchUpSource {
  readonly reader: Pick<PartitionReader, 'readToEnd'>
  /** Each partition's log start and high watermark, to find stored offsets out of range. */
  readonly offsets: Pick<BrokerAdmin, 'beginningOffsets' | 'endOffsets'>
  /** Partition count of each global topic. */
  readonly partitions: ReadonlyMap<string, number>
  readonly isolationLevel: IsolationLevel
}

/**
 * The deserialization handler global topics use: the app's, except that a 'deadLetter' policy
 * skips with an error line instead. A dead letter could not be made atomic with the global store's
 * own commit (it is outside the app's transaction and commit), and the record is not lost either
 * way: it stays in the global topic.
 */
export function globalErrorHandlers(handlers: RecordErrorHandlers, logger: Logger): RecordErrorHandlers {
  const policies = (handlers as { readonly policies?: { readonly deserialization?: string } }).policies
  if (policies?.deserialization !== 'deadLetter') return handlers
  return {
    deserialization: (error) => {
      logger.error(
        { ...error.coordinates, code: error.code, reason: error.detail },
        'skipped a malformed global table record: dead letters are not written for global topics',
      )
      return 'continue'
    },
    processing: (error, record) => handlers.processing(error, record),
  }
}

export class GlobalState implements GlobalStoreLookup {
  private readonly bySpecTopic: ReadonlyMap<string, GlobalStoreSpec>
  private readonly views = new Map<string, unknown>()
  private readonly logger: Logger

  private constructor(
    private readonly options: GlobalStateOptions,
    private stores: TaskStores,
  ) {
    this.bySpecTopic = new Map(options.specs.map((s) => [s.topic, s]))
    this.logger = (options.logger ?? silentLogger()).child({ taskId: GLOBAL_TASK_ID })
  }

  static async open(options: GlobalStateOptions): Promise<GlobalState> {
    const stores = await TaskStores.open(storesOptions(options))
    return new GlobalState(options, stores)
  }

  static openInMemory(options: Omit<GlobalStateOptions, 'stateDir'>): GlobalState {
    return new GlobalState(options, TaskStores.openInMemory(storesOptions(options)))
  }

  get topics(): string[] {
    return [...this.bySpecTopic.keys()]
  }

  has(name: string): boolean {
    return this.options.specs.some((s) => s.store.name === name)
  }

  /** A read-only view of the store: only its topic writes it. */
  store(name: string): unknown {
    let view = this.views.get(name)
    if (view === undefined) {
      view = readOnlyKeyValueStore(this.stores.getKeyValueStore(name))
      this.views.set(name, view)
    }
    return view
  }

  /** The next offset to read of a global topic's partition (0 before anything was applied). */
  nextOffset(topic: string, partition: number): number {
    return this.stores.dedup.appliedOffset(topic, partition) ?? 0
  }

  /**
   * Reads every partition from where the store left off to its current end, committing after
   * each batch. Resolves to the number of records applied.
   *
   * A stored offset below the partition's log start (records deleted unread, tombstones among
   * them) or past its end (the topic was deleted and recreated), or a stored partition the topic
   * no longer has, means the store no longer matches its topic. Kafka Streams then wipes the
   * global store and reads the topic again (OffsetOutOfRange): the `bootstrap` does that, as no
   * task holds the stores yet; a `background` catch-up throws STATE_CORRUPTED (the app stops, and
   * its restart wipes). The bootstrap also leaves the record cache alone: no task reads yet, and
   * filling it with every row of a large table only to evict them again costs time.
   */
  async catchUp(source: CatchUpSource, mode: 'bootstrap' | 'background' = 'background'): Promise<number> {
    if (mode === 'bootstrap') await this.checkBindings()
    return this.readAll(source, mode, 0)
  }

  private async readAll(source: CatchUpSource, mode: 'bootstrap' | 'background', rebuilds: number): Promise<number> {
    const ranges = await this.partitionRanges(source)
    const outOfRange = this.outOfRange(ranges)
    if (outOfRange.length > 0) {
      const coordinates = outOfRange.slice(0, 10)
      if (mode === 'background') {
        throw new StreamfoldError('STATE_CORRUPTED', `a global store's stored offsets are out of range of its topic (deleted records or a recreated topic): restart the app to rebuild it`, {
          taskId: GLOBAL_TASK_ID,
          ...coordinates[0],
        })
      }
      this.logger.warn({ outOfRange: coordinates, partitions: outOfRange.length }, 'global store offsets are out of range of their topics (deleted records or a recreated topic): wiping the global stores and reading the topics again')
      await this.wipe()
    }
    let applied = 0
    const unread: TopicPartitionOffset[] = []
    for (const [topic, partitions] of ranges) {
      for (const { partition, start, end } of partitions) {
        const offset = this.nextOffset(topic, partition)
        if (offset >= end) continue
        // A partition never read starts wherever its log starts when the reader gets there (records
        // deleted before then are no loss, as for a new instance); one read before, at its offset.
        const readBefore = this.stores.dedup.appliedOffset(topic, partition) !== undefined
        const read = await this.readPartition(source, { topic, partition, offset: Math.max(offset, start) }, { cacheWrites: mode === 'background', readBefore })
        applied += read.applied
        if (read.firstUnread !== undefined) unread.push({ topic, partition, offset: read.firstUnread })
      }
    }
    const deleted = await this.deletedUnread(source, unread)
    if (deleted.length === 0) return applied
    if (mode === 'background' || rebuilds >= MAX_BOOTSTRAP_REBUILDS) {
      throw new StreamfoldError('STATE_CORRUPTED', `records of a global topic were deleted while the global store read them: restart the app to rebuild it`, {
        taskId: GLOBAL_TASK_ID,
        ...deleted[0],
      })
    }
    this.logger.warn({ deletedUnread: deleted.slice(0, 10), partitions: deleted.length }, 'records of global topics were deleted while they were read: wiping the global stores and reading the topics again')
    await this.wipe()
    return this.readAll(source, mode, rebuilds + 1)
  }

  /**
   * Offsets a read skipped that now lie below the log start: they may have been deleted before the
   * reader reached them (it then goes on from the log start, as a consumer resetting to earliest
   * would), a tombstone among them. Kafka Streams' global consumer has no offset reset and fails
   * with OffsetOutOfRange there. An offset skipped for another reason (compacted away, an aborted
   * record or a transaction marker) and deleted later only costs a needless rebuild.
   */
  private async deletedUnread(source: CatchUpSource, unread: readonly TopicPartitionOffset[]): Promise<TopicPartitionOffset[]> {
    if (unread.length === 0) return []
    const starts = await source.offsets.beginningOffsets(unread)
    return unread.filter((u) => {
      const start = starts.find((s) => s.topic === u.topic && s.partition === u.partition)
      return start !== undefined && start.offset > u.offset
    })
  }

  /**
   * Reads one partition to its end. Each batch's commit (its rows with the next offset, one
   * LevelDB batch) is written while the next batch is fetched and applied: records applied during
   * a commit belong to the next one, so stored offsets never run ahead of the stored rows.
   */
  private async readPartition(source: CatchUpSource, start: TopicPartitionOffset, how: { cacheWrites: boolean; readBefore: boolean }): Promise<PartitionRead> {
    const { topic, partition } = start
    const { cacheWrites } = how
    let applied = 0
    let writing: Promise<void> | undefined
    // The first offset the read passed over without a record, to find records deleted unread.
    let expected = how.readBefore ? start.offset : undefined
    let firstUnread: number | undefined
    try {
      const reached = await source.reader.readToEnd(
        start,
        async (records) => {
          if (records.length === 0) return
          for (const record of records) {
            if (expected !== undefined && record.offset > expected) firstUnread ??= expected
            expected = record.offset + 1
            this.apply(record)
          }
          applied += records.length
          await writing
          writing = this.commit({ topic, partition, offset: records[records.length - 1]!.offset + 1 }, cacheWrites)
          // Its failure is thrown where it is awaited (next batch or the end), not reported as unhandled meanwhile.
          writing.catch(() => undefined)
        },
        { isolationLevel: source.isolationLevel },
      )
      await writing
      writing = undefined
      // Past what no consumer receives (a transaction's commit marker, aborted records): else
      // every catch-up reads the partition again from there and waits for its end.
      if (reached > this.nextOffset(topic, partition)) await this.commit({ topic, partition, offset: reached }, cacheWrites)
      if (expected !== undefined && reached > expected) firstUnread ??= expected
      return { applied, firstUnread }
    } finally {
      // A failed read or record: the commit under way ends before the caller may close the database.
      await writing?.catch(() => undefined)
    }
  }

  private async partitionRanges(source: CatchUpSource): Promise<Map<string, PartitionRange[]>> {
    const ranges = new Map<string, PartitionRange[]>()
    for (const topic of this.topics) {
      const count = source.partitions.get(topic)
      if (count === undefined) throw new StreamfoldError('TOPIC_NOT_FOUND', `global table topic ${topic} does not exist`, { topic })
      const tps = Array.from({ length: count }, (_, partition) => ({ topic, partition }))
      // The high watermark even under read_committed: an offset at or below it is in range.
      const [starts, ends] = await Promise.all([source.offsets.beginningOffsets(tps), source.offsets.endOffsets(tps, 'read_uncommitted')])
      // A missing answer must not read as an offset out of range (that wipes the store).
      const offsetOf = (list: readonly TopicPartitionOffset[], partition: number): number => {
        const found = list.find((o) => o.partition === partition)
        if (found === undefined) throw new StreamfoldError('BROKER_ERROR', `no offsets returned for a global topic partition`, { topic, partition })
        return found.offset
      }
      ranges.set(
        topic,
        tps.map(({ partition }) => ({ partition, start: offsetOf(starts, partition), end: offsetOf(ends, partition) })),
      )
    }
    return ranges
  }

  private outOfRange(ranges: ReadonlyMap<string, readonly PartitionRange[]>): TopicPartitionOffset[] {
    return this.stores.dedup.appliedOffsets().filter(({ topic, partition, offset }) => {
      const range = ranges.get(topic)?.[partition]
      // A topic no global store reads any more keeps its stale offsets harmlessly.
      if (!ranges.has(topic)) return false
      return range === undefined || offset < range.start || offset > range.end
    })
  }

  /**
   * Rebuilds the global stores when one of them is not what the database was built for (renamed,
   * added for a topic already read, or reading another topic): see global-bindings.ts. A database
   * without bindings but with offsets (written before bindings were kept) is rebuilt once.
   */
  private async checkBindings(): Promise<void> {
    const dir = this.directory()
    if (dir === undefined) return
    const current = bindingsOf(this.options.specs)
    const stored = await readBindings(dir)
    const unknown = stored === undefined ? (this.stores.dedup.appliedOffsets().length > 0 ? current : []) : current.filter((b) => !stored.includes(b))
    if (unknown.length > 0) {
      this.logger.warn({ stores: unknown }, 'global stores changed since the global database was written (renamed, or reading another topic): wiping the global stores and reading the topics again')
      await this.wipe()
    } else if (stored === undefined || stored.length !== current.length) {
      await writeBindings(dir, current)
    }
  }

  private directory(): string | undefined {
    const { stateDir, applicationId } = this.options
    return stateDir === undefined ? undefined : TaskDb.location({ stateDir, applicationId, taskId: GLOBAL_TASK_ID })
  }

  /** Deletes the global database and opens it empty (only before tasks hold its stores). */
  private async wipe(): Promise<void> {
    await this.stores.wipe()
    this.views.clear()
    this.stores = await TaskStores.open(storesOptions(this.options))
    const dir = this.directory()
    if (dir !== undefined) await writeBindings(dir, bindingsOf(this.options.specs))
  }

  /**
   * Applies one record of a global topic, synchronously. A record with a null key is skipped
   * with a warning, as Kafka Streams does; one that cannot be deserialized goes to the app's
   * deserialization handler ('fail' throws, 'continue' skips it).
   */
  apply(record: BrokerRecord): void {
    const spec = this.bySpecTopic.get(record.topic)
    if (spec === undefined) throw new StreamfoldError('ILLEGAL_STATE', `no global store reads topic ${record.topic}`, { topic: record.topic })
    if (record.key === null) {
      this.logger.warn({ topic: record.topic, partition: record.partition, offset: record.offset }, 'Skipped a global table record with a null key')
      return
    }
    const store = this.stores.getKeyValueStore<unknown, ValueAndTimestamp<unknown>>(spec.store.name)
    let key: unknown
    let value: unknown
    try {
      key = decode(spec, 'key', record, record.key)
      value = record.value === null ? null : decode(spec, 'value', record, record.value)
    } catch (error) {
      if (!(error instanceof ProcessingError)) throw error
      if (this.options.errorHandlers.deserialization(error, record) === 'fail') throw error
      return
    }
    store.put(key, value === null ? null : { value, timestamp: record.timestamp })
  }

  /** Commits what was applied, with the next offset to read of the partition it came from. */
  async commit(next: TopicPartitionOffset, cacheWrites = true): Promise<void> {
    this.stores.prepareCommit([])
    await this.stores.commit({ appliedOffsets: [next], cacheWrites })
  }

  /** The test driver's synchronous commit (in-memory stores only). */
  commitInMemory(next: TopicPartitionOffset): void {
    this.stores.prepareCommit([])
    this.stores.commitInMemory({ appliedOffsets: [next] })
  }

  /** Writes applied records that were not committed yet (the test driver) and closes the database. */
  async close(): Promise<void> {
    await this.stores.close()
  }
}

interface PartitionRead {
  readonly applied: number
  readonly firstUnread: number | undefined
}

interface PartitionRange {
  readonly partition: number
  readonly start: number
  readonly end: number
}

function storesOptions(options: Omit<GlobalStateOptions, 'stateDir'> & { readonly stateDir?: string }) {
  return {
    applicationId: options.applicationId,
    taskId: GLOBAL_TASK_ID,
    stateDir: options.stateDir,
    changelogPartition: 0,
    stores: options.specs.map((s) => s.store),
    logger: options.logger,
    memory: options.memory,
  }
}

function decode(spec: GlobalStoreSpec, part: 'key' | 'value', record: BrokerRecord, bytes: Buffer): unknown {
  const serde = part === 'key' ? spec.keyDeserializer : spec.valueDeserializer
  try {
    return serde.deserialize(bytes, record.topic)
  } catch (error) {
    throw new ProcessingError(
      'DESERIALIZATION_FAILED',
      `Could not deserialize the global table record ${part} (${bytes.length} bytes) with the ${serde.name ?? 'given'} serde: ${safeReason(error)}`,
      { taskId: GLOBAL_TASK_ID, node: spec.sourceName, topic: record.topic, partition: record.partition, offset: record.offset, cause: error },
    )
  }
}

/** The typed store a GlobalKTable's join reads (for tests and the DSL). */
export type GlobalTableStore<K, V> = KeyValueStore<K, ValueAndTimestamp<V>>
