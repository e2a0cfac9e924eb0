import type { RestoreBatchEvent, RestoreEndEvent, RestoreListener, RestoreStartEvent } from '../../changelog/changelog-restorer'
import type { Logger } from '../../logger'
import type { RestoreProgress, StreamsMetrics } from './streams-metrics'
import { loggableError } from '../app/loggable-error'

export interface RestoreTrackerOptions {
  readonly metrics: Pick<StreamsMetrics, 'restoreProgress'>
  /** The changelog partition's end offset, for "remaining": the restore events do not carry it. */
  readonly endOffset: (topic: string, partition: number) => Promise<number>
  readonly logger: Logger
  /** Called after every change (a progress bar redraws). */
  readonly onChange?: (totals: RestoreTotals) => void
}

export interface RestoreTotals {
  /** Store partitions being restored now. */
  readonly active: number
  readonly done: number
  /** Changelog offsets read so far, over the active and finished restores. */
  readonly restored: number
  /** Offsets still to read, over the active restores whose end is known. */
  readonly remaining: number
}

interface Entry {
  readonly start: number
  end: number | undefined
  position: number
  done: boolean
}

/**
 * Follows every store partition's restore from the runtime's RestoreListener events: progress is
 * measured in changelog offsets (positions), the only unit the start, batch and end share.
 */
export class RestoreTracker implements RestoreListener {
  private readonly entries = new Map<string, Entry & RestoreStartEvent>()

  constructor(private readonly options: RestoreTrackerOptions) {}

  onRestoreStart(event: RestoreStartEvent): void {
    const entry: Entry & RestoreStartEvent = { ...event, start: event.startOffset, end: undefined, position: event.startOffset, done: false }
    this.entries.set(key(event), entry)
    this.publish(entry)
    // The listener must be quick: look the end up in the background, it only refines "remaining".
    this.options
      .endOffset(event.topic, event.partition)
      .then((end) => {
        if (entry.end === undefined) entry.end = end
        this.publish(entry)
      })
      .catch((error: unknown) => this.options.logger.debug({ err: loggableError(error), topic: event.topic, partition: event.partition }, 'changelog end offset unavailable for restore progress'))
  }

  onBatchRestored(event: RestoreBatchEvent): void {
    const entry = this.entries.get(key(event))
    if (entry === undefined) return
    entry.position = event.batchEndOffset
    this.publish(entry)
  }

  onRestoreEnd(event: RestoreEndEvent): void {
    const entry = this.entries.get(key(event))
    if (entry === undefined) return
    entry.position = event.endOffset
    entry.end = event.endOffset
    entry.done = true
    this.publish(entry)
  }

  totals(): RestoreTotals {
    let active = 0
    let done = 0
    let restored = 0
    let remaining = 0
    for (const e of this.entries.values()) {
      restored += e.position - e.start
      if (e.done) done++
      else {
        active++
        if (e.end !== undefined) remaining += Math.max(0, e.end - e.position)
      }
    }
    return { active, done, restored, remaining }
  }

  private publish(entry: Entry & RestoreStartEvent): void {
    const progress: RestoreProgress = {
      store: entry.storeName,
      topic: entry.topic,
      partition: entry.partition,
      restored: entry.position - entry.start,
      remaining: entry.end === undefined ? undefined : Math.max(0, entry.end - entry.position),
      done: entry.done,
    }
    this.options.metrics.restoreProgress(progress)
    this.options.onChange?.(this.totals())
  }
}

function key(e: { readonly topic: string; readonly partition: number }): string {
  return `${e.topic}\u0000${e.partition}`
}
