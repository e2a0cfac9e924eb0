/**
 * Group commit for the embedded broker: everything submitted while a write is in flight (or in
 * the same event-loop turn) goes to storage as ONE atomic batch, and writes happen strictly one
 * after another, in submission order. Two guarantees follow that the rest of the broker builds on:
 * - ops submitted together in one call are atomic (a commit's markers, offsets and state);
 * - when a submission's promise resolves, it and everything submitted before it is stored, and
 *   its `onDurable` effect (e.g. advancing a high watermark) has run.
 * A storage failure fails the broker: every pending and later submission rejects with it, since
 * offsets handed out in memory no longer match what is stored.
 */
import { StreamfoldError } from '../../../errors'
import type { KvOp, KvStore } from './kv-store'

export interface Submission {
  /** An acknowledgment point (flush, commit): fsync if the broker syncs acknowledged writes. */
  readonly acknowledged: boolean
  /** Runs once the write is stored, before the promise resolves, in submission order. */
  readonly onDurable?: () => void
}

interface Waiter {
  readonly onDurable: (() => void) | undefined
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
}

export class WritePipeline {
  private ops: KvOp[] = []
  private waiters: Waiter[] = []
  private sync = false
  private writing = false
  private scheduled = false
  /** Writes since the last fsync: an acknowledgment with no ops of its own must still sync them. */
  private unsynced = false
  private failure: StreamfoldError | undefined

  constructor(
    private readonly store: KvStore,
    private readonly syncAcknowledged: boolean,
  ) {}

  submit(ops: readonly KvOp[], submission: Submission): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure)
    for (const op of ops) this.ops.push(op)
    if (submission.acknowledged && this.syncAcknowledged) this.sync = true
    const done = new Promise<void>((resolve, reject) => {
      this.waiters.push({ onDurable: submission.onDurable, resolve, reject })
    })
    if (!this.writing && !this.scheduled) {
      this.scheduled = true
      setImmediate(() => void this.run())
    }
    return done
  }

  /** Resolves when everything submitted so far is stored. */
  drain(): Promise<void> {
    return this.submit([], { acknowledged: false })
  }

  get failed(): StreamfoldError | undefined {
    return this.failure
  }

  private async run(): Promise<void> {
    this.scheduled = false
    this.writing = true
    while (this.waiters.length > 0) {
      const ops = this.ops
      const waiters = this.waiters
      const sync = this.sync && (ops.length > 0 || this.unsynced)
      this.ops = []
      this.waiters = []
      this.sync = false
      try {
        if (ops.length > 0 || sync) await this.store.write(ops, sync)
      } catch (cause) {
        this.fail(new StreamfoldError('BROKER_ERROR', 'embedded broker storage write failed', { cause }), waiters)
        break
      }
      this.unsynced = sync ? false : this.unsynced || ops.length > 0
      for (const w of waiters) w.onDurable?.()
      for (const w of waiters) w.resolve()
    }
    this.writing = false
  }

  private fail(error: StreamfoldError, inFlight: readonly Waiter[]): void {
    this.failure = error
    const queued = this.waiters
    this.waiters = []
    this.ops = []
    for (const w of [...inFlight, ...queued]) w.reject(error)
  }
}
