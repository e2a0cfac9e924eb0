import type { Logger } from '../../logger'
import type { DropReason } from '../../processors/internal-context'
import type { ConsumedRecord } from '../../topology/node-spec'
import type { RecordCollector } from './record-collector'
import type { PunctuationQueue } from './punctuation-queue'

/** Looks up a task's state stores by name; the state layer provides it. */
export type StoreLookup = (name: string) => unknown

/** The app's global stores (GlobalKTable), which every task reads without being connected to them. */
export interface GlobalStoreLookup {
  has(name: string): boolean
  store(name: string): unknown
}

/**
 * The mutable per-task state that nodes and processor contexts share: what is being processed
 * right now (for record metadata and error coordinates), the task's clocks and punctuators.
 * One object per task, created once; nothing here is allocated per record.
 */
export class TaskContext {
  /** The node running right now, for error coordinates. */
  currentNode = ''
  /** The input record being processed (its coordinates); undefined inside a punctuator. */
  currentRecord: ConsumedRecord<unknown, unknown> | undefined
  /**
   * The input bytes of the current record's key, when its source reads keys with the string serde
   * (a sink writing the same key with the same serde may reuse them); undefined otherwise.
   */
  currentRawKey: Buffer | null | undefined
  /** Largest record timestamp processed so far; -1 before the first record. */
  streamTime = -1
  /** Records built-in processors dropped, by reason (late records, null keys, ...). */
  readonly droppedRecords = new Map<DropReason, number>()
  /** Flushes of cached aggregations (pending-changes.ts), in the order their processors were initialized. */
  readonly flushes: Array<{ readonly node: string; readonly flush: () => boolean }> = []
  /** Applies the processing-error handler to an error thrown outside `process` (flushes); set by the task. */
  processingError: (error: unknown) => void = (error) => {
    throw error
  }

  constructor(
    readonly applicationId: string,
    readonly taskId: string,
    readonly collector: RecordCollector,
    readonly wallClock: () => number,
    readonly streamTimePunctuations: PunctuationQueue,
    readonly wallClockPunctuations: PunctuationQueue,
    readonly stores: StoreLookup,
    readonly logger: Logger,
    /** Whether a store has a record cache (its aggregation forwards at flush); default none. */
    readonly caching: (storeName: string) => boolean = () => false,
    readonly globalStores: GlobalStoreLookup | undefined = undefined,
  ) {}

  recordDropped(reason: DropReason, node: string, detail: string): void {
    this.droppedRecords.set(reason, (this.droppedRecords.get(reason) ?? 0) + 1)
    const r = this.currentRecord
    this.logger.warn({ reason, node, topic: r?.topic, partition: r?.partition, offset: r?.offset }, `Dropped a record: ${detail}`)
  }
}
