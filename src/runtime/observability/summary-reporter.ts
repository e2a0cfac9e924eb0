import type { Logger } from '../../logger'
import type { MetricsSnapshot } from './streams-metrics'

export interface SummaryReporterOptions {
  readonly intervalMs: number
  readonly snapshot: () => MetricsSnapshot
  readonly logger: Logger
}

/**
 * One info line every interval with what an operator checks first: state, tasks, throughput,
 * lag, errors by outcome. Counts only: never a key, value or header.
 */
export class SummaryReporter {
  private timer: NodeJS.Timeout | undefined
  private lastProcessed = 0
  private lastAt = Date.now()

  constructor(private readonly options: SummaryReporterOptions) {}

  start(): void {
    if (this.timer !== undefined || this.options.intervalMs <= 0) return
    this.lastAt = Date.now()
    this.timer = setInterval(() => this.report(), this.options.intervalMs)
    // The summary must never be what keeps a stopping worker alive.
    this.timer.unref()
  }

  /** Logs a line now; also used for the final line at shutdown. */
  report(message = 'summary'): void {
    const now = Date.now()
    const s = this.options.snapshot()
    const seconds = (now - this.lastAt) / 1000
    // Averaged over the whole interval, not the last rate window: steadier in a log.
    const recordsPerSecond = seconds > 0 ? round((s.processed - this.lastProcessed) / seconds) : 0
    this.lastProcessed = s.processed
    this.lastAt = now
    this.options.logger.info(
      { state: s.state, tasks: s.tasks, recordsPerSecond, processed: s.processed, lag: s.lag, commits: s.commits, restoring: s.restoring, lateDropped: s.lateDropped, errors: s.errors },
      message,
    )
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10
}
