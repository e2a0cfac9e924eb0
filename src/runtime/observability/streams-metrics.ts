import type { AppState } from '../app-state'
import type { ErrorOutcome, ErrorStage } from '../errors/error-outcomes'

/**
 * What the runtime reports, in our own small vocabulary; prom-client stays behind it (one
 * implementation: prometheus-metrics.ts). Every call is cheap and synchronous: the runtime calls
 * it once per batch, commit or restore chunk, never per record.
 */
export interface StreamsMetrics {
  /** Records a task processed (skipped duplicates excluded), reported once per batch. */
  recordsProcessed(taskId: string, count: number): void
  /** Records a task's built-in processors dropped as too late for their window or grace period. */
  lateRecordsDropped(taskId: string, count: number): void
  /** The group's committed offset behind the partition's end, per input partition. */
  consumerLag(topic: string, partition: number, lag: number): void
  /** The partition left this instance: its lag series goes away. */
  lagUnassigned(topic: string, partition: number): void
  /** One commit (all dirty tasks together): how long it took and whether it landed. */
  commitCompleted(durationMs: number, ok: boolean): void
  restoreProgress(progress: RestoreProgress): void
  errorOutcome(stage: ErrorStage, outcome: ErrorOutcome): void
  tasksAssigned(count: number): void
  appState(state: AppState): void
}

export interface RestoreProgress {
  readonly store: string
  readonly topic: string
  readonly partition: number
  /** Changelog records read so far by this restore. */
  readonly restored: number
  /** Records left to read, when known. */
  readonly remaining: number | undefined
  readonly done: boolean
}

/** What the summary line and the CLI's status print, read synchronously. */
export interface MetricsSnapshot {
  readonly state: AppState | undefined
  readonly tasks: number
  readonly processed: number
  /** Over the last rate window (see PrometheusMetrics.tick). */
  readonly recordsPerSecond: number
  readonly lag: number
  readonly commits: number
  readonly lateDropped: number
  readonly restoring: number
  /** Non-zero error counts by `stage/outcome`. */
  readonly errors: Readonly<Record<string, number>>
}
