/**
 * Keeps the global stores up to date while the app runs (Kafka Streams' GlobalStreamThread, here
 * a background read on the app's event loop): each `tick` from the processing loop starts a
 * catch-up when none is running and the last one ended `intervalMs` ago. A failed catch-up stops
 * the app at the next tick, as a dying global thread stops Kafka Streams, except a broker error
 * (BROKER_ERROR: a leader election, a request timeout): the next catch-up tries again, as Kafka's
 * global consumer rides out leader changes, and only one still failing `retryForMs` after the
 * first failure stops the app (Kafka Streams' task.timeout.ms, 5 minutes by default). A failed
 * catch-up keeps what it committed: each batch is committed with its offsets.
 */
import { StreamfoldError } from '../../errors'
import type { Logger } from '../../logger'
import { loggableError } from '../app/loggable-error'
import type { CatchUpSource, GlobalState } from './global-state'

export const GLOBAL_REFRESH_INTERVAL_MS = 100
export const GLOBAL_RETRY_FOR_MS = 300_000

export interface GlobalUpdaterTiming {
  readonly intervalMs?: number
  /** How long broker errors are retried, from the first of a run of failures. */
  readonly retryForMs?: number
}

export class GlobalUpdater {
  private running: Promise<void> | undefined
  private lastEnded = 0
  private failure: unknown
  /** When the current run of broker errors began; undefined after a catch-up that succeeded. */
  private failingSince: number | undefined
  private readonly intervalMs: number
  private readonly retryForMs: number

  constructor(
    private readonly globals: GlobalState,
    private readonly source: CatchUpSource,
    private readonly logger: Logger,
    timing: GlobalUpdaterTiming = {},
  ) {
    this.intervalMs = timing.intervalMs ?? GLOBAL_REFRESH_INTERVAL_MS
    this.retryForMs = timing.retryForMs ?? GLOBAL_RETRY_FOR_MS
  }

  /** Reads every global topic to its end before processing starts. */
  async bootstrap(): Promise<void> {
    const started = Date.now()
    const applied = await this.globals.catchUp(this.source, 'bootstrap')
    this.lastEnded = Date.now()
    this.logger.info({ globalTopics: this.globals.topics, records: applied, ms: this.lastEnded - started }, 'global stores are up to date')
  }

  /** Throws the error of a failed background catch-up; starts the next one when it is time. */
  tick(now: number): void {
    if (this.failure !== undefined) throw this.failure
    if (this.running !== undefined || now - this.lastEnded < this.intervalMs) return
    this.running = this.globals
      .catchUp(this.source)
      .then(
        (applied) => {
          if (this.failingSince !== undefined) this.logger.info({ records: applied }, 'global stores updated again after broker errors')
          this.failingSince = undefined
          if (applied > 0) this.logger.debug({ records: applied }, 'global stores updated')
        },
        (error: unknown) => this.failed(error),
      )
      .finally(() => {
        this.running = undefined
        this.lastEnded = Date.now()
      })
  }

  private failed(error: unknown): void {
    const now = Date.now()
    const transient = error instanceof StreamfoldError && error.code === 'BROKER_ERROR'
    this.failingSince ??= now
    const failingMs = now - this.failingSince
    if (transient && failingMs < this.retryForMs) {
      this.logger.warn({ err: loggableError(error), failingMs, retryForMs: this.retryForMs }, 'updating the global stores failed on a broker error: trying again')
      return
    }
    this.failure = error
    this.logger.error({ err: loggableError(error), failingMs }, 'updating the global stores failed: the app stops')
  }

  /** Waits for a running catch-up to end (its error is not rethrown: the app is closing). */
  async close(): Promise<void> {
    await this.running
  }
}
