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

/**
 * Windows of a KStream-KStream join (Kafka Streams' JoinWindows): a record at time t joins the
 * other stream's records of the same key with timestamps in [t - before, t + after]; seen from the
 * other stream the window is mirrored ([t - after, t + before]). Records later than the grace
 * period (stream time > t + after + grace, mirrored for the other side) are dropped, and a left or
 * outer join emits a record without a match only once that time has passed.
 */
export class JoinWindows {
  private constructor(
    readonly beforeMs: number,
    readonly afterMs: number,
    readonly graceMs: number,
  ) {
    // One of before/after may be negative (a window shifted to one side), never the whole window.
    if (beforeMs + afterMs < 0) {
      throw new StreamfoldError('CONFIG_INVALID', `JoinWindows before + after must not be negative, got ${beforeMs} + ${afterMs}`)
    }
  }

  /** Records within `timeDifferenceMs` of each other join; no grace: later records are dropped. */
  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): JoinWindows {
    return JoinWindows.ofTimeDifferenceAndGrace(timeDifferenceMs, 0)
  }

  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): JoinWindows {
    nonNegative('JoinWindows time difference', timeDifferenceMs)
    nonNegative('JoinWindows grace', graceMs)
    return new JoinWindows(timeDifferenceMs, timeDifferenceMs, graceMs)
  }

  /** How far before a record the other stream's records may be (may be negative if after covers it). */
  before(timeDifferenceMs: number): JoinWindows {
    wholeMs('JoinWindows before', timeDifferenceMs)
    return new JoinWindows(timeDifferenceMs, this.afterMs, this.graceMs)
  }

  /** How far after a record the other stream's records may be (may be negative if before covers it). */
  after(timeDifferenceMs: number): JoinWindows {
    wholeMs('JoinWindows after', timeDifferenceMs)
    return new JoinWindows(this.beforeMs, timeDifferenceMs, this.graceMs)
  }

  /** The window's length, before + after (Kafka's size()). */
  get sizeMs(): number {
    return this.beforeMs + this.afterMs
  }
}

function wholeMs(what: string, ms: number): void {
  if (!Number.isSafeInteger(ms)) {
    throw new StreamfoldError('CONFIG_INVALID', `${what} must be a whole number of milliseconds, got ${ms}`)
  }
}
