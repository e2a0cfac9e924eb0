import { RestoreProgressBar, render } from '../../src/runtime/observability/restore-progress-bar'
import { RestoreTracker } from '../../src/runtime/observability/restore-tracker'
import { SummaryReporter } from '../../src/runtime/observability/summary-reporter'
import type { RestoreProgress } from '../../src/runtime/observability/streams-metrics'
import { captureLogs } from './support/log-capture'

describe('SummaryReporter', () => {
  it('logs state, tasks, throughput, lag and errors; never anything else', () => {
    const logs = captureLogs()
    let processed = 0
    const reporter = new SummaryReporter({
      intervalMs: 60_000,
      logger: logs.logger,
      snapshot: () => ({ state: 'RUNNING', tasks: 3, processed, recordsPerSecond: 0, lag: 12, commits: 4, lateDropped: 1, restoring: 0, errors: { 'processing/skipped': 2 } }),
    })
    processed = 500
    reporter.report()
    expect(logs.lines).toHaveLength(1)
    const line = logs.lines[0]!
    expect(line).toMatchObject({ level: 30, msg: 'summary', state: 'RUNNING', tasks: 3, processed: 500, lag: 12, commits: 4, lateDropped: 1, restoring: 0, errors: { 'processing/skipped': 2 } })
    expect(typeof line.recordsPerSecond).toBe('number')
    expect(Object.keys(line).sort()).toEqual(
      ['commits', 'errors', 'lag', 'lateDropped', 'level', 'msg', 'name', 'pid', 'hostname', 'processed', 'recordsPerSecond', 'restoring', 'state', 'tasks', 'time'].sort(),
    )
  })
})

describe('RestoreTracker and the progress bar', () => {
  const start = { storeName: 'counts', topic: 'app-counts-changelog', partition: 0, startOffset: 100 }

  it('measures progress in changelog offsets and reports it to the metrics', async () => {
    const reported: RestoreProgress[] = []
    const tracker = new RestoreTracker({ metrics: { restoreProgress: (p) => void reported.push(p) }, endOffset: async () => 1100, logger: captureLogs().logger })
    tracker.onRestoreStart(start)
    await new Promise((r) => setImmediate(r))
    tracker.onBatchRestored({ ...start, batchEndOffset: 600, applied: 500, skipped: 0, totalApplied: 500 })
    expect(tracker.totals()).toEqual({ active: 1, done: 0, restored: 500, remaining: 500 })
    tracker.onRestoreEnd({ ...start, endOffset: 1100, applied: 990, skipped: 10, durationMs: 5, recordsPerSecond: 1 })
    expect(tracker.totals()).toEqual({ active: 0, done: 1, restored: 1000, remaining: 0 })
    expect(reported.map((p) => [p.restored, p.remaining, p.done])).toEqual([
      [0, undefined, false],
      [0, 1000, false],
      [500, 500, false],
      [1000, 0, true],
    ])
  })

  it('draws in place on a TTY, throttled, and clears when done', () => {
    const writes: string[] = []
    let now = 0
    const bar = new RestoreProgressBar({ isTTY: true, columns: 100, write: (t: string) => writes.push(t) }, () => now)
    bar.update({ active: 2, done: 0, restored: 250, remaining: 750 })
    now = 50
    bar.update({ active: 2, done: 0, restored: 300, remaining: 700 })
    now = 200
    bar.update({ active: 1, done: 1, restored: 500, remaining: 500 })
    bar.update({ active: 0, done: 2, restored: 1000, remaining: 0 })
    expect(writes).toHaveLength(3)
    expect(writes[0]).toBe(`\r${render({ active: 2, done: 0, restored: 250, remaining: 750 }, 100)}\u001b[K`)
    expect(writes[1]).toContain(' 50% 500/1,000 changelog records, 1/2 store partitions')
    expect(writes[2]).toBe('\r\u001b[K')
  })

  it('writes nothing when the stream is not a terminal', () => {
    const writes: string[] = []
    const bar = new RestoreProgressBar({ isTTY: false, write: (t: string) => writes.push(t) })
    bar.update({ active: 1, done: 0, restored: 1, remaining: 1 })
    bar.clear()
    expect(writes).toEqual([])
  })

  it('renders a bar proportional to progress', () => {
    expect(render({ active: 1, done: 0, restored: 0, remaining: 0 }, 80)).toMatch(/^restoring \[\.+\]   0% 0\/0 changelog records, 0\/1 store partitions$/)
    expect(render({ active: 1, done: 3, restored: 10, remaining: 0 }, 80)).toMatch(/^restoring \[#+\] 100% /)
  })
})
