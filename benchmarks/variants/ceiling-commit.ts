/**
 * The commits of the hand-written exactly_once count ceilings (port-loops.ts, rdkafka-loops.ts),
 * every `commitMs`, in Checkpoint's order: one changelog record per key changed since the last
 * commit (if there is a changelog), the consumed offsets and commitTransaction, then ONE LevelDB
 * batch of the changed counts and the consumed offsets, then the next transaction. Only the
 * client calls differ per broker.
 */
import { type CountChange, type HandCounts, offsetEntries } from './hand-counts'

export interface CeilingClient {
  /** Sends one changelog record; undefined: no changelog. */
  readonly sendChange?: (change: CountChange, timestamp: number) => Promise<void> | void
  /** sendOffsetsToTransaction + commitTransaction, and beginTransaction. */
  readonly transaction: { commit(): Promise<void>; begin(): Promise<void> }
}

export class CeilingCommits {
  private commits = 0
  private changelogRecords = 0
  private callMs = 0
  private lastCommit: number | undefined

  constructor(
    private readonly counts: HandCounts,
    private readonly positions: ReadonlyMap<number, number>,
    private readonly client: CeilingClient,
    private readonly commitMs: number,
  ) {}

  /** After each poll's records: commits once `commitMs` have passed since the last commit (or the first poll). */
  async afterPoll(): Promise<void> {
    const now = performance.now()
    this.lastCommit ??= now
    if (now - this.lastCommit < this.commitMs) return
    await this.commit(false)
    this.lastCommit = performance.now()
  }

  /** Commits; resolves to performance.now() when the transaction committed (where a window ends). */
  async commit(last: boolean): Promise<number> {
    const started = performance.now()
    const { sendChange, transaction } = this.client
    if (sendChange !== undefined) {
      const now = Date.now()
      const changes = this.counts.changes()
      this.changelogRecords += changes.length
      for (const change of changes) await sendChange(change, now)
    }
    await transaction.commit()
    const committedAt = performance.now()
    await this.counts.write(offsetEntries(this.positions))
    if (!last) await transaction.begin()
    this.commits++
    this.callMs += performance.now() - started
    return committedAt
  }

  /** For the result line: commits, changelog records, and the share of the window spent committing. */
  stats(windowMs: number): Record<string, number> {
    return { commits: this.commits, changelogRecords: this.changelogRecords, commitShare: Math.round((this.callMs / windowMs) * 100) / 100 }
  }
}
