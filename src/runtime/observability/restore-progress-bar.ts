import type { RestoreTotals } from './restore-tracker'

export interface ProgressStream {
  readonly isTTY?: boolean
  readonly columns?: number
  write(text: string): unknown
}

const REDRAW_MS = 100

/**
 * A one-line restore progress bar, redrawn in place. Only on a terminal: on a pipe or in a log
 * file the carriage returns would be noise, and the log already has a line per restored store.
 */
export class RestoreProgressBar {
  private lastDraw = 0
  private drawn = false
  private readonly enabled: boolean

  constructor(
    private readonly stream: ProgressStream,
    private readonly now: () => number = Date.now,
  ) {
    this.enabled = stream.isTTY === true
  }

  update(totals: RestoreTotals): void {
    if (!this.enabled) return
    if (totals.active === 0) {
      this.clear()
      return
    }
    const now = this.now()
    if (this.drawn && now - this.lastDraw < REDRAW_MS) return
    this.lastDraw = now
    this.drawn = true
    this.stream.write(`\r${render(totals, this.stream.columns ?? 80)}\u001b[K`)
  }

  /** Removes the bar (when restoring ends, or before the process exits). */
  clear(): void {
    if (!this.enabled || !this.drawn) return
    this.drawn = false
    this.stream.write('\r\u001b[K')
  }
}

export function render(totals: RestoreTotals, columns: number): string {
  const total = totals.restored + totals.remaining
  const fraction = total === 0 ? 0 : totals.restored / total
  const stores = `${totals.done}/${totals.done + totals.active} store partitions`
  const counts = `${totals.restored.toLocaleString('en-US')}/${total.toLocaleString('en-US')} changelog records`
  const text = `${Math.floor(fraction * 100)
    .toString()
    .padStart(3)}% ${counts}, ${stores}`
  const width = Math.max(10, Math.min(40, columns - text.length - 14))
  const filled = Math.round(fraction * width)
  return `restoring [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`
}
