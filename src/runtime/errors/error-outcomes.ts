import type { ErrorCode } from '../../errors'

/** Which handler saw the error. */
export const ERROR_STAGES = ['deserialization', 'processing', 'production'] as const
export type ErrorStage = (typeof ERROR_STAGES)[number]

/** What the handler did: stopped the task, dropped the record with a log line, or dead-lettered it. */
export const ERROR_OUTCOMES = ['failed', 'skipped', 'dead_lettered'] as const
export type ErrorOutcome = (typeof ERROR_OUTCOMES)[number]

export interface ErrorOutcomeEvent {
  readonly stage: ErrorStage
  readonly outcome: ErrorOutcome
  readonly code: ErrorCode
}

export type ErrorOutcomeListener = (event: ErrorOutcomeEvent) => void

/**
 * Counts of handled errors by stage and outcome, for the summary line and the metrics registry
 * (which subscribes instead of polling, so Prometheus counters see every event).
 */
export class ErrorOutcomes {
  private readonly counts = new Map<string, number>()
  private readonly listeners: ErrorOutcomeListener[] = []

  record(event: ErrorOutcomeEvent): void {
    const key = `${event.stage}/${event.outcome}`
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1)
    for (const listener of this.listeners) listener(event)
  }

  onOutcome(listener: ErrorOutcomeListener): void {
    this.listeners.push(listener)
  }

  count(stage: ErrorStage, outcome: ErrorOutcome): number {
    return this.counts.get(`${stage}/${outcome}`) ?? 0
  }

  /** Every non-zero count, e.g. `{ 'deserialization/dead_lettered': 12 }`. */
  snapshot(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.counts)
  }
}
