import { StreamfoldError } from '../errors'

/**
 * Window definitions with Kafka Streams' names and semantics. Durations are milliseconds.
 * A window's grace period is how long after its end out-of-order records are still accepted;
 * records later than that are dropped and counted, never applied.
 */

/** Tumbling (advance = size) or hopping (advance < size) windows: [start, start + size). */
export class TimeWindows {
  private constructor(
    readonly sizeMs: number,
    readonly advanceMs: number,
    readonly graceMs: number,
  ) {}

  static ofSizeWithNoGrace(sizeMs: number): TimeWindows {
    return TimeWindows.ofSizeAndGrace(sizeMs, 0)
  }

  static ofSizeAndGrace(sizeMs: number, graceMs: number): TimeWindows {
    positive('TimeWindows size', sizeMs)
    nonNegative('TimeWindows grace', graceMs)
    return new TimeWindows(sizeMs, sizeMs, graceMs)
  }

  /** Hopping windows: a new window every `advanceMs` (0 < advance <= size). */
  advanceBy(advanceMs: number): TimeWindows {
    positive('TimeWindows advance', advanceMs)
    if (advanceMs > this.sizeMs) {
      throw new StreamfoldError('CONFIG_INVALID', `TimeWindows advance (${advanceMs} ms) must not exceed the window size (${this.sizeMs} ms)`)
    }
    return new TimeWindows(this.sizeMs, advanceMs, this.graceMs)
  }

  /** Start times of every window containing `timestamp`, in ascending order. */
  windowStartsFor(timestamp: number): number[] {
    const starts: number[] = []
    let start = Math.floor(Math.max(0, timestamp - this.sizeMs + this.advanceMs) / this.advanceMs) * this.advanceMs
    for (; start <= timestamp; start += this.advanceMs) starts.push(start)
    return starts
  }
}

/** Windows defined by records: each record's window covers [t - timeDifference, t]. */
export class SlidingWindows {
  private constructor(
    readonly timeDifferenceMs: number,
    readonly graceMs: number,
  ) {}

  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): SlidingWindows {
    return SlidingWindows.ofTimeDifferenceAndGrace(timeDifferenceMs, 0)
  }

  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): SlidingWindows {
    positive('SlidingWindows time difference', timeDifferenceMs)
    nonNegative('SlidingWindows grace', graceMs)
    return new SlidingWindows(timeDifferenceMs, graceMs)
  }
}

/** Sessions: records of a key closer than the inactivity gap form one session; a record that
 *  bridges two sessions merges them. */
export class SessionWindows {
  private constructor(
    readonly inactivityGapMs: number,
    readonly graceMs: number,
  ) {}

  static ofInactivityGapWithNoGrace(inactivityGapMs: number): SessionWindows {
    return SessionWindows.ofInactivityGapAndGrace(inactivityGapMs, 0)
  }

  static ofInactivityGapAndGrace(inactivityGapMs: number, graceMs: number): SessionWindows {
    positive('SessionWindows inactivity gap', inactivityGapMs)
    nonNegative('SessionWindows grace', graceMs)
    return new SessionWindows(inactivityGapMs, graceMs)
  }
}

function positive(what: string, ms: number): void {
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new StreamfoldError('CONFIG_INVALID', `${what} must be a whole number of milliseconds > 0, got ${ms}`)
  }
}

function nonNegative(what: string, ms: number): void {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new StreamfoldError('CONFIG_INVALID', `${what} must be a whole number of milliseconds >= 0, got ${ms}`)
  }
}
