import type { RecordMetadata } from '../../processors/processor'
import type { RecordCollector } from './record-collector'
import type { PunctuationQueue } from './punctuation-queue'

/** Looks up a task's state stores by name; the state layer provides it. */
export type StoreLookup = (name: string) => unknown

/**
 * The mutable per-task state that nodes and processor contexts share: what is being processed
 * right now (for record metadata and error coordinates), the task's clocks and punctuators.
 * One object per task, created once; nothing here is allocated per record.
 */
export class TaskContext {
  /** The node running right now, for error coordinates. */
  currentNode = ''
  /** Coordinates of the input record being processed; undefined inside a punctuator. */
  currentRecord: RecordMetadata | undefined
  /** Largest record timestamp processed so far; -1 before the first record. */
  streamTime = -1

  constructor(
    readonly applicationId: string,
    readonly taskId: string,
    readonly collector: RecordCollector,
    readonly wallClock: () => number,
    readonly streamTimePunctuations: PunctuationQueue,
    readonly wallClockPunctuations: PunctuationQueue,
    readonly stores: StoreLookup,
  ) {}
}
