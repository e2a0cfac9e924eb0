/**
 * Keeps the global stores up to date while the app runs (Kafka Streams' GlobalStreamThread, here
 * a background read on the app's event loop): each `tick` from the processing loop starts a
 * catch-up when none is running and the last one ended `intervalMs` ago. A failed catch-up stops
 * the app at the next tick, as a dying global thread stops Kafka Streams.
 */
import type { Logger } from '../../logger'
import { loggableError } from '../app/loggable-error'
import type { CatchUpSource, GlobalState } from './global-state'

export const GLOBAL_REFRESH_INTERVAL_MS = 100

export class GlobalUpdater {
  private running: Promise<void> | undefined
  private lastEnded = 0
  private failure: unknown

  constructor(
    private readonly globals: GlobalState,
    private readonly source: CatchUpSource,
    private readonly logger: Logger,
    private readonly intervalMs = GLOBAL_REFRESH_INTERVAL_MS,
  ) {}

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
          if (applied > 0) this.logger.debug({ records: applied }, 'global stores updated')
        },
        (error: unknown) => {
          this.failure = error
          this.logger.error({ err: loggableError(error) }, 'updating the global stores failed: the app stops')
        },
      )
      .finally(() => {
        this.running = undefined
        this.lastEnded = Date.now()
      })
  }

  /** Waits for a running catch-up to end (its error is not rethrown: the app is closing). */
  async close(): Promise<void> {
    await this.running
  }
}
