/**
 * StreamsMetrics on prom-client: the only file that imports it. A registry per app (never the
 * global one), so two apps in one process or one test file do not mix their numbers. Plain
 * counters are kept alongside for snapshot(), which the summary line reads synchronously.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { APP_STATES, type AppState } from '../app-state'
import type { ErrorOutcome, ErrorStage } from '../errors/error-outcomes'
import type { MetricsSnapshot, RestoreProgress, StreamsMetrics } from './streams-metrics'

export interface PrometheusMetricsOptions {
  /** Constant labels on every series, e.g. `{ application_id: 'page-stats' }`. */
  readonly labels?: Readonly<Record<string, string>>
  /** Node.js process metrics (memory, CPU, event-loop lag); default true. */
  readonly processMetrics?: boolean
}

export class PrometheusMetrics implements StreamsMetrics {
  readonly registry = new Registry()
  private readonly processed: Counter<'task'>
  private readonly rate: Gauge<'task'>
  private readonly late: Counter<'task'>
  private readonly lag: Gauge<'topic' | 'partition'>
  private readonly commits: Counter<'result'>
  private readonly commitLatency: Histogram
  private readonly restoreRestored: Gauge<'store' | 'partition'>
  private readonly restoreRemaining: Gauge<'store' | 'partition'>
  private readonly errors: Counter<'stage' | 'outcome'>
  private readonly tasks: Gauge
  private readonly stateGauge: Gauge<'state'>

  private readonly totals = new Map<string, number>()
  private readonly lastTotals = new Map<string, number>()
  private readonly lags = new Map<string, number>()
  private readonly restoring = new Set<string>()
  private readonly errorCounts = new Map<string, number>()
  private lastTick = Date.now()
  private perSecond = 0
  private commitCount = 0
  private lateCount = 0
  private taskCount = 0
  private state: AppState | undefined

  constructor(options: PrometheusMetricsOptions = {}) {
    if (options.labels !== undefined) this.registry.setDefaultLabels({ ...options.labels })
    const registers = [this.registry]
    this.processed = new Counter({ name: 'streamfold_records_processed_total', help: 'Records processed, per task', labelNames: ['task'], registers })
    this.rate = new Gauge({ name: 'streamfold_records_processed_rate', help: 'Records processed per second over the last rate window, per task', labelNames: ['task'], registers })
    this.late = new Counter({ name: 'streamfold_late_records_dropped_total', help: 'Records dropped as later than their window grace period, per task', labelNames: ['task'], registers })
    this.lag = new Gauge({ name: 'streamfold_consumer_lag_records', help: 'Records between the committed offset and the end, per input partition', labelNames: ['topic', 'partition'], registers })
    this.commits = new Counter({ name: 'streamfold_commits_total', help: 'Commits, by result (ok, failed)', labelNames: ['result'], registers })
    this.commitLatency = new Histogram({
      name: 'streamfold_commit_latency_seconds',
      help: 'Duration of a commit',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    })
    this.restoreRestored = new Gauge({ name: 'streamfold_restore_restored_records', help: 'Changelog records restored so far, per store partition', labelNames: ['store', 'partition'], registers })
    this.restoreRemaining = new Gauge({ name: 'streamfold_restore_remaining_records', help: 'Changelog records left to restore, per store partition', labelNames: ['store', 'partition'], registers })
    this.errors = new Counter({ name: 'streamfold_record_errors_total', help: 'Record errors, by handler stage and outcome (failed, skipped, dead_lettered)', labelNames: ['stage', 'outcome'], registers })
    this.tasks = new Gauge({ name: 'streamfold_tasks', help: 'Tasks assigned to this instance', registers })
    this.stateGauge = new Gauge({ name: 'streamfold_app_state', help: 'The app state: 1 for the current one', labelNames: ['state'], registers })
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry })
  }

  recordsProcessed(taskId: string, count: number): void {
    if (count <= 0) return
    this.processed.inc({ task: taskId }, count)
    this.totals.set(taskId, (this.totals.get(taskId) ?? 0) + count)
  }

  lateRecordsDropped(taskId: string, count: number): void {
    if (count <= 0) return
    this.late.inc({ task: taskId }, count)
    this.lateCount += count
  }

  consumerLag(topic: string, partition: number, lag: number): void {
    this.lag.set({ topic, partition: String(partition) }, lag)
    this.lags.set(`${topic}\u0000${partition}`, lag)
  }

  lagUnassigned(topic: string, partition: number): void {
    this.lag.remove({ topic, partition: String(partition) })
    this.lags.delete(`${topic}\u0000${partition}`)
  }

  commitCompleted(durationMs: number, ok: boolean): void {
    this.commits.inc({ result: ok ? 'ok' : 'failed' })
    this.commitLatency.observe(durationMs / 1000)
    if (ok) this.commitCount++
  }

  restoreProgress(progress: RestoreProgress): void {
    const labels = { store: progress.store, partition: String(progress.partition) }
    this.restoreRestored.set(labels, progress.restored)
    this.restoreRemaining.set(labels, progress.done ? 0 : (progress.remaining ?? 0))
    const key = `${progress.store}\u0000${progress.partition}`
    if (progress.done) this.restoring.delete(key)
    else this.restoring.add(key)
  }

  errorOutcome(stage: ErrorStage, outcome: ErrorOutcome): void {
    this.errors.inc({ stage, outcome })
    const key = `${stage}/${outcome}`
    this.errorCounts.set(key, (this.errorCounts.get(key) ?? 0) + 1)
  }

  tasksAssigned(count: number): void {
    this.tasks.set(count)
    this.taskCount = count
  }

  appState(state: AppState): void {
    for (const s of APP_STATES) this.stateGauge.set({ state: s }, s === state ? 1 : 0)
    this.state = state
  }

  /** Closes a rate window: per-task rates become the records processed since the last tick. */
  tick(now = Date.now()): void {
    const seconds = (now - this.lastTick) / 1000
    if (seconds <= 0) return
    let all = 0
    for (const [task, total] of this.totals) {
      const delta = total - (this.lastTotals.get(task) ?? 0)
      this.rate.set({ task }, delta / seconds)
      this.lastTotals.set(task, total)
      all += delta
    }
    this.perSecond = all / seconds
    this.lastTick = now
  }

  snapshot(): MetricsSnapshot {
    let processed = 0
    for (const total of this.totals.values()) processed += total
    let lag = 0
    for (const l of this.lags.values()) lag += l
    return {
      state: this.state,
      tasks: this.taskCount,
      processed,
      recordsPerSecond: this.perSecond,
      lag,
      commits: this.commitCount,
      lateDropped: this.lateCount,
      restoring: this.restoring.size,
      errors: Object.fromEntries(this.errorCounts),
    }
  }

  /** The Prometheus text exposition. */
  render(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}
