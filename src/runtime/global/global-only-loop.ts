/**
 * The whole processing loop of an app whose topology holds global stores only (a local, queryable
 * replica of topics). Kafka Streams runs such a topology with its global thread alone and zero
 * stream threads; here that is this loop alone: no consumer group, no producer, no tasks, only the
 * background catch-ups the GlobalUpdater starts, until the app stops.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { GlobalUpdater } from './global-updater'

/** How often the loop asks the updater whether a catch-up is due (the updater keeps its own interval). */
const WAKE_MS = 20

/**
 * Resolves once `stop` is aborted; rejects with the error of a failed catch-up (the updater
 * rethrows it at the next tick), as the stream loop does, so the app moves to ERROR.
 */
export async function runGlobalOnlyLoop(updater: GlobalUpdater, stop: AbortSignal): Promise<void> {
  while (!stop.aborted) {
    updater.tick(Date.now())
    // Abortable, so close() does not wait out the sleep; the abort itself is the normal way out.
    await sleep(WAKE_MS, undefined, { signal: stop }).catch(() => undefined)
  }
}
