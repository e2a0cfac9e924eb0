import { PrometheusMetrics } from '../../src/runtime/observability/prometheus-metrics'

describe('PrometheusMetrics', () => {
  it('exposes every series the runtime reports, with our labels', async () => {
    const metrics = new PrometheusMetrics({ labels: { application_id: 'app-1' }, processMetrics: false })
    metrics.recordsProcessed('0_0', 10)
    metrics.recordsProcessed('0_1', 5)
    metrics.recordsProcessed('0_0', 0)
    metrics.lateRecordsDropped('1_0', 2)
    metrics.consumerLag('in', 0, 7)
    metrics.consumerLag('in', 1, 3)
    metrics.commitCompleted(12, true)
    metrics.commitCompleted(40, false)
    metrics.restoreProgress({ store: 'counts', topic: 'app-1-counts-changelog', partition: 0, restored: 100, remaining: 50, done: false })
    metrics.errorOutcome('deserialization', 'dead_lettered')
    metrics.errorOutcome('deserialization', 'dead_lettered')
    metrics.tasksAssigned(2)
    metrics.appState('RUNNING')
    const text = await metrics.render()
    for (const line of [
      'streamfold_records_processed_total{task="0_0",application_id="app-1"} 10',
      'streamfold_records_processed_total{task="0_1",application_id="app-1"} 5',
      'streamfold_late_records_dropped_total{task="1_0",application_id="app-1"} 2',
      'streamfold_consumer_lag_records{topic="in",partition="1",application_id="app-1"} 3',
      'streamfold_commits_total{result="ok",application_id="app-1"} 1',
      'streamfold_commits_total{result="failed",application_id="app-1"} 1',
      'streamfold_commit_latency_seconds_count{application_id="app-1"} 2',
      'streamfold_restore_remaining_records{store="counts",partition="0",application_id="app-1"} 50',
      'streamfold_record_errors_total{stage="deserialization",outcome="dead_lettered",application_id="app-1"} 2',
      'streamfold_tasks{application_id="app-1"} 2',
      'streamfold_app_state{state="RUNNING",application_id="app-1"} 1',
      'streamfold_app_state{state="ERROR",application_id="app-1"} 0',
    ]) {
      expect(text).toContain(line)
    }
    expect(metrics.contentType).toMatch(/^text\/plain/)
    expect(metrics.snapshot()).toEqual({
      state: 'RUNNING',
      tasks: 2,
      processed: 15,
      recordsPerSecond: 0,
      lag: 10,
      commits: 1,
      lateDropped: 2,
      restoring: 1,
      errors: { 'deserialization/dead_lettered': 2 },
    })
  })

  it('computes per-task rates over each tick window', async () => {
    const metrics = new PrometheusMetrics({ processMetrics: false })
    const t0 = Date.now() + 1_000
    metrics.tick(t0)
    metrics.recordsProcessed('0_0', 300)
    metrics.recordsProcessed('0_1', 100)
    metrics.tick(t0 + 2_000)
    expect(metrics.snapshot().recordsPerSecond).toBe(200)
    expect(await metrics.render()).toContain('streamfold_records_processed_rate{task="0_0"} 150')
    metrics.tick(t0 + 3_000)
    expect(metrics.snapshot().recordsPerSecond).toBe(0)
  })

  it('keeps two registries apart and includes process metrics by default', async () => {
    const a = new PrometheusMetrics()
    const b = new PrometheusMetrics({ processMetrics: false })
    a.recordsProcessed('0_0', 1)
    expect(await b.render()).not.toContain('streamfold_records_processed_total{')
    expect(await a.render()).toContain('process_cpu_user_seconds_total')
  })
})
