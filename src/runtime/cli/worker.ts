/**
 * The long-lived worker behind `streamfold run`: a StreamsApp with error handlers, metrics, the
 * HTTP endpoints, the summary line and the restore progress bar around it, and one way out.
 *
 *   created ──run()──► starting ──app.start()──► running ──stop(signal) | app ERROR──► stopping ──► exit code
 *      (a start failure goes straight to stopping)            stopping: detach, app.close(timeout), release
 *
 * Exit code 0 after a requested stop that closed in time, 2 when what was given is wrong (module,
 * options, topics), 1 for a fatal runtime error or a stop that overran its timeout.
 */
import { StreamfoldError } from '../../errors'
import { createLogger, type Logger } from '../../logger'
import type { Broker } from '../broker/broker'
import { createErrorHandlers, type StreamErrorHandlers } from '../errors/error-handlers'
import { ErrorOutcomes } from '../errors/error-outcomes'
import { startObservabilityServer, type ObservabilityServer } from '../observability/observability-server'
import { PrometheusMetrics } from '../observability/prometheus-metrics'
import { RestoreProgressBar, type ProgressStream } from '../observability/restore-progress-bar'
import { RestoreTracker } from '../observability/restore-tracker'
import { SummaryReporter } from '../observability/summary-reporter'
import { StreamsApp } from '../streams-app'
import { describeBroker, openCliBroker } from './cli-broker'
import { EXIT_CODES, exitCodeFor, type ExitCode } from './exit-codes'
import { ObservedBroker } from './observed-broker'
import type { Detach, WorkerModule } from './worker-module'
import type { WorkerSettings } from './worker-settings'
import { loggableError } from '../app/loggable-error'

/** Records per second in the metrics and the example's progress are averaged over this window. */
const RATE_WINDOW_MS = 2_000

export interface WorkerOptions {
  readonly module: WorkerModule
  readonly settings: WorkerSettings
  readonly stdout: NodeJS.WritableStream
  readonly stderr: ProgressStream
}

type StopReason = { readonly signal: string } | { readonly error: unknown }

export class Worker {
  /** The worker's own lines, bound to the application id (the app binds it on its logger itself). */
  readonly logger: Logger
  private readonly appLogger: Logger
  private readonly metrics: PrometheusMetrics
  private readonly handlers: StreamErrorHandlers
  private readonly abort = new AbortController()
  private requestStop!: (reason: StopReason) => void
  private readonly stopRequested = new Promise<StopReason>((resolve) => (this.requestStop = resolve))

  constructor(private readonly options: WorkerOptions) {
    const { settings } = options
    this.appLogger = createLogger({
      level: settings.logLevel,
      format: settings.logFormat === 'auto' ? 'prettyOnTty' : settings.logFormat,
      destination: options.stdout,
    })
    this.logger = this.appLogger.child({ applicationId: settings.applicationId })
    this.metrics = new PrometheusMetrics({ labels: { application_id: settings.applicationId } })
    const outcomes = new ErrorOutcomes()
    outcomes.onOutcome((e) => this.metrics.errorOutcome(e.stage, e.outcome))
    this.handlers = createErrorHandlers({ ...settings.errorHandling, logger: this.logger, outcomes })
  }

  /** Begins a graceful stop (the first SIGTERM/SIGINT). */
  stop(signal: string): void {
    this.requestStop({ signal })
  }

  /** Runs until stopped; resolves to the process exit code. */
  async run(): Promise<ExitCode> {
    const { settings, module } = this.options
    const log = this.logger
    let broker: Broker | undefined
    let server: ObservabilityServer | undefined
    let detach: void | Detach
    let app: StreamsApp | undefined
    const summary = new SummaryReporter({ intervalMs: settings.summaryIntervalMs, snapshot: () => this.metrics.snapshot(), logger: log })
    let ticker: NodeJS.Timeout | undefined
    const bar = new RestoreProgressBar(this.options.stderr)
    let code: ExitCode = EXIT_CODES.ok
    try {
      this.checkDeadLetterTopic()
      broker = await openCliBroker(settings.broker, log, settings.applicationId)
      if (this.handlers.deadLetterTopic !== undefined) {
        // One partition unless it exists already: dead letters are few and read by people.
        await broker.admin().ensureTopics([{ name: this.handlers.deadLetterTopic, partitions: 1 }])
      }
      // The app's producer carries the dead letters (see observed-broker.ts).
      const observed = new ObservedBroker(broker, (producer) => this.handlers.connectDeadLetters(producer))
      const admin = broker.admin()
      // The app reports restore progress to the metrics itself; this tracker only drives the bar.
      const tracker = new RestoreTracker({
        metrics: { restoreProgress: () => undefined },
        endOffset: async (topic, partition) => (await admin.endOffsets([{ topic, partition }]))[0]?.offset ?? 0,
        logger: log,
        onChange: (totals) => bar.update(totals),
      })
      const started = new StreamsApp(module.topology, {
        applicationId: settings.applicationId,
        broker: { instance: observed },
        stateDir: settings.stateDir,
        processingGuarantee: settings.processingGuarantee,
        commitIntervalMs: settings.commitIntervalMs,
        repartitionPurgeIntervalMs: settings.repartitionPurgeIntervalMs,
        maxBatchRecords: settings.maxBatchRecords,
        maxBatchWaitMs: settings.maxBatchWaitMs,
        maxQueuedRecordsPerPartition: settings.maxQueuedRecordsPerPartition,
        cacheMaxBytes: settings.cacheMaxBytes,
        maxUncommittedBytes: settings.maxUncommittedBytes,
        taskDbCacheBytes: settings.taskDbCacheBytes,
        taskDbWriteBufferBytes: settings.taskDbWriteBufferBytes,
        sessionTimeoutMs: settings.sessionTimeoutMs,
        heartbeatIntervalMs: settings.heartbeatIntervalMs,
        maxPollIntervalMs: settings.maxPollIntervalMs,
        logger: this.appLogger,
        errorHandlers: this.handlers,
        metrics: this.metrics,
        onRestore: tracker,
        dedup: module.dedup,
      })
      app = started
      started.onStateChange((next) => {
        if (next === 'ERROR') this.requestStop({ error: started.error })
      })
      if (settings.httpPort !== undefined) {
        server = await startObservabilityServer({
          port: settings.httpPort,
          host: settings.httpHost,
          live: () => started.state !== 'ERROR' && started.state !== 'NOT_RUNNING',
          ready: () => started.state === 'RUNNING',
          status: () => started.state,
          metrics: this.metrics,
          logger: log,
        })
      }
      detach = await module.attach?.({
        applicationId: settings.applicationId,
        app: started,
        broker,
        logger: log,
        signal: this.abort.signal,
        stdout: this.options.stdout,
        stats: () => this.metrics.snapshot(),
      })
      await started.start()
      ticker = setInterval(() => this.metrics.tick(), RATE_WINDOW_MS)
      ticker.unref()
      summary.start()
      log.info(
        { broker: describeBroker(settings.broker), stateDir: settings.stateDir, http: server === undefined ? 'off' : `${server.host}:${server.port}` },
        'worker running. Stop it with Ctrl-C or SIGTERM: it finishes the batch, commits and exits 0. Started again, it resumes from its last commit with its state.',
      )
      const reason = await this.stopRequested
      if ('error' in reason) {
        code = EXIT_CODES.fatal
        log.fatal({ err: loggableError(reason.error) }, 'the app stopped on a fatal error: closing and exiting with status 1')
      } else {
        log.info({ signal: reason.signal, timeoutMs: settings.shutdownTimeoutMs }, 'stopping: finishing the current batch, committing, closing tasks')
      }
    } catch (error) {
      code = exitCodeFor(error)
      log.fatal({ err: loggableError(error) }, code === EXIT_CODES.usage ? 'cannot start: check the configuration' : 'cannot start')
    }
    this.abort.abort()
    summary.stop()
    const closed = await this.shutdown(async () => {
      clearInterval(ticker)
      if (typeof detach === 'function') await detach()
      return app === undefined ? true : app.close({ timeoutMs: settings.shutdownTimeoutMs })
    })
    bar.clear()
    if (!closed) {
      code = EXIT_CODES.fatal
      log.error({ timeoutMs: settings.shutdownTimeoutMs }, 'the worker did not close within the shutdown timeout: exiting with status 1; the next start resumes from the last commit')
    } else if (code === EXIT_CODES.ok) {
      summary.report('worker stopped cleanly')
    }
    await server?.close()
    if (closed) await broker?.close().catch((error: unknown) => log.warn({ err: loggableError(error) }, 'closing the broker failed'))
    return code
  }

  private async shutdown(steps: () => Promise<boolean>): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const expired = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.options.settings.shutdownTimeoutMs)))
    try {
      return await Promise.race([steps().catch((error: unknown) => (this.logger.error({ err: loggableError(error) }, 'stopping failed'), false)), expired])
    } finally {
      clearTimeout(timer)
    }
  }

  private checkDeadLetterTopic(): void {
    const topic = this.handlers.deadLetterTopic
    if (topic !== undefined && this.options.module.topology.sourceTopics.includes(topic)) {
      throw new StreamfoldError('CONFIG_INVALID', `invalid deadLetterTopic: ${topic} is a source topic of the topology; dead letters would be read back`)
    }
  }
}
