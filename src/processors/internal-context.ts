import type { Logger } from '../logger'
import type { ProcessorContext } from './processor'

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
}

export function asInternal<KOut, VOut>(context: ProcessorContext<KOut, VOut>): InternalProcessorContext<KOut, VOut> {
  return context as InternalProcessorContext<KOut, VOut>
}
