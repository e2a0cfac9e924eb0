import type { Cancellable, PunctuationType, Punctuator } from '../../processors/processor'

interface Schedule {
  readonly nodeName: string
  readonly interval: number
  readonly punctuator: Punctuator
  next: number
  cancelled: boolean
}

/**
 * The punctuators of one task for one punctuation type, with Kafka Streams' timing: a
 * punctuator runs when time reaches its next due time, gets the current time as argument, and
 * after a gap of several intervals runs once, then realigns (it does not replay missed ticks).
 */
export class PunctuationQueue {
  private schedules: Schedule[] = []

  constructor(readonly type: PunctuationType) {}

  schedule(nodeName: string, firstDue: number, interval: number, punctuator: Punctuator): Cancellable {
    const entry: Schedule = { nodeName, interval, punctuator, next: firstDue, cancelled: false }
    this.schedules.push(entry)
    return {
      cancel: () => {
        entry.cancelled = true
        this.schedules = this.schedules.filter((s) => s !== entry)
      },
    }
  }

  get size(): number {
    return this.schedules.length
  }

  /** Runs every due punctuator through `run`, earliest first. Returns whether any ran. */
  punctuate(now: number, run: (nodeName: string, punctuator: Punctuator, now: number) => void): boolean {
    let punctuated = false
    for (;;) {
      const due = this.earliestDue(now)
      if (due === undefined) return punctuated
      run(due.nodeName, due.punctuator, now)
      punctuated = true
      // Realign after the call: the punctuator may have cancelled itself.
      const missed = Math.floor((now - due.next) / due.interval)
      due.next += (missed + 1) * due.interval
    }
  }

  private earliestDue(now: number): Schedule | undefined {
    let best: Schedule | undefined
    for (const s of this.schedules) {
      if (!s.cancelled && s.next <= now && (best === undefined || s.next < best.next)) best = s
    }
    return best
  }
}
