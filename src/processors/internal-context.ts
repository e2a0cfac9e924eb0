import type { Logger } from '../logger'
import type { ConsumedRecord } from '../topology/node-spec'
import type { ProcessorContext } from './processor'
import type { StreamRecord } from './stream-record'

/** Why a built-in processor dropped a record instead of applying it. */
export const DROP_REASONS = ['late-record', 'null-key', 'null-value', 'expired-window'] as const
export type DropReason = (typeof DROP_REASONS)[number]

/**
 * What built-in processors get beyond the public ProcessorContext: a logger and a way to report
 * a dropped record (counted per task and logged with coordinates, never silently lost).
 */
export interface InternalProcessorContext<KOut, VOut> extends ProcessorContext<KOut, VOut> {
  readonly logger: Logger
  recordDropped(reason: DropReason, detail: string): void
  /**
   * True when `storeName` has a record cache (the store's and the app's `cacheMaxBytes` are both
   * above 0): its aggregation then forwards once per key per commit (pending-changes.ts).
   */
  cachingEnabled(storeName: string): boolean
  /** Registers a flush, run before each commit (and after each record in the test driver), parents first. Returns whether it forwarded anything. */
  onFlush(flush: () => boolean): void
  /** The input record being processed (undefined in a punctuator or a flush). */
  currentRecord(): ConsumedRecord<unknown, unknown> | undefined
  /**
   * Forwards `record` as if `source` were being processed (its metadata, its coordinates in
   * errors). A processing error is handled per record by the configured handler.
   */
  forwardAs(source: ConsumedRecord<unknown, unknown> | undefined, record: StreamRecord<KOut, VOut>): void
}

export function asInternal<KOut, VOut>(context: ProcessorContext<KOut, VOut>): InternalProcessorContext<KOut, VOut> {
  return context as InternalProcessorContext<KOut, VOut>
}
