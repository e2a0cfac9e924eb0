/**
 * Wakes waiting polls when something they may care about happened (records became visible, a
 * transaction ended, group membership changed), so poll() sleeps instead of spinning. Waiters
 * re-check their own condition: a wake-up is a hint, never a promise of data.
 */
export class Notifier {
  private waiters = new Set<() => void>()

  notify(): void {
    if (this.waiters.size === 0) return
    const waiters = this.waiters
    this.waiters = new Set()
    for (const wake of waiters) wake()
  }

  /** Resolves on the next notify() or after `ms`, whichever comes first. */
  wait(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve()
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer)
        this.waiters.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, ms)
      this.waiters.add(wake)
    })
  }
}
