/**
 * StreamsApp: runs a Topology as a long-lived member of a consumer group (Kafka Streams'
 * KafkaStreams). States and their moves: app-state.ts. One loop, one consumer, one producer:
 *
 *   poll (rebalance callbacks run inside) ─► restore new tasks ─► [exactly_once: open transaction]
 *     ─► route records to tasks ─► process micro-batches (+ stream-time punctuation)
 *     ─► wall-clock punctuation ─► every commitIntervalMs: Checkpoint.commit (checkpoint.ts)
 *
 * A topology of global stores only has no consumer, producer or tasks: its loop only keeps the
 * global stores caught up (global/global-only-loop.ts), as Kafka Streams runs no stream thread.
 */
import { ProcessingError, StreamfoldError } from '../errors'
import type { Logger } from '../logger'
import type { Topology } from '../topology/topology'
import { resolveTopicName } from '../topology/internal-topic-name'
import { AppStateMachine, type AppState, type StateListener } from './app-state'
import { openBroker, type OpenedBroker } from './app/open-broker'
import { claimProcessIdentity, type ProcessIdentity } from './app/process-identity'
import { ProducerCollector } from './app/producer-collector'
import type { StreamErrorHandlers } from './errors/error-handlers'
import { planTopics, type TopicPlan } from './app/topic-plan'
import type { BrokerAdmin, GroupConsumer, PartitionReader, ProducerOptions } from './broker/broker'
import { Checkpoint } from './checkpoint'
import { partitionKey } from './partition-key'
import { resolveStreamsConfig, type ResolvedStreamsConfig, type StreamsConfig } from './streams-config'
import { TaskManager } from './task-manager'
import { RepartitionPurger, repartitionTopicsOf } from './repartition-purger'
import { loggableError } from './app/loggable-error'
import { GlobalState, globalErrorHandlers } from './global/global-state'
import { GlobalUpdater } from './global/global-updater'
import { runGlobalOnlyLoop } from './global/global-only-loop'
import { QueryableStores, type QueryRuntime } from './query/queryable-stores'
import type { ReadOnlyKeyValueStore, ReadOnlySessionStore, ReadOnlyWindowStore, StoreQueryOptions } from './query/read-only-stores'
import { keyQueryMetadata, type KeyQueryMetadata } from './query/key-query-metadata'
import type { Serializer } from '../serdes/serde'

const SUMMARY_INTERVAL_MS = 60_000
/** How often consumer lag is measured for metrics (an admin round trip, off the hot path). */
const LAG_INTERVAL_MS = 10_000

export interface CloseOptions {
  /** How long close() waits for a clean shutdown before it resolves false; default: no limit. */
  readonly timeoutMs?: number
}

/** What a started app holds; filled in step by step so a failed start releases what it got. */
interface Runtime {
  identity?: ProcessIdentity
  broker?: OpenedBroker
  consumer?: GroupConsumer
  reader?: PartitionReader
  checkpoint?: Checkpoint
  tasks?: TaskManager
  purger?: RepartitionPurger
  globals?: GlobalState
  globalReader?: PartitionReader
  globalUpdater?: GlobalUpdater
}

export class StreamsApp {
  private readonly config: ResolvedStreamsConfig
  private readonly logger: Logger
  private readonly machine = new AppStateMachine()
  private runtime: Runtime = {}
  private starting: Promise<void> | undefined
  private loop: Promise<void> | undefined
  private closing: Promise<void> | undefined
  /** Aborted by close(): the loops end at their next turn (an idle global-only loop at once). */
  private readonly stop = new AbortController()
  private failure: unknown

  constructor(
    private readonly topology: Topology,
    config: StreamsConfig,
  ) {
    this.config = resolveStreamsConfig(config)
    this.logger = this.config.logger.child({ applicationId: this.config.applicationId })
    const { metrics } = this.config
    if (metrics !== undefined) {
      metrics.appState(this.machine.state)
      this.machine.onChange((state) => metrics.appState(state))
    }
  }

  get state(): AppState {
    return this.machine.state
  }

  /** The error that moved the app to ERROR, if any. */
  get error(): unknown {
    return this.failure
  }

  onStateChange(listener: StateListener): void {
    this.machine.onChange(listener)
  }

  /** What interactive queries read: looked up at every call, since tasks and globals come and go. */
  private get queryRuntime(): QueryRuntime {
    return { topology: this.topology, state: () => this.state, tasks: () => this.runtime.tasks, globals: () => this.runtime.globals }
  }

  /** Interactive queries (Kafka's KafkaStreams.store): a read-only view over the store in every local task. docs/interactive-queries.md */
  store<K, V>(name: string, options?: StoreQueryOptions & { readonly type?: 'keyValue' }): ReadOnlyKeyValueStore<K, V>
  store<K, V>(name: string, options: StoreQueryOptions & { readonly type: 'window' }): ReadOnlyWindowStore<K, V>
  store<K, V>(name: string, options: StoreQueryOptions & { readonly type: 'session' }): ReadOnlySessionStore<K, V>
  store<K, V>(name: string, options: StoreQueryOptions = {}): ReadOnlyKeyValueStore<K, V> | ReadOnlyWindowStore<K, V> | ReadOnlySessionStore<K, V> {
    if (options.type === 'window') return new QueryableStores(this.queryRuntime).window<K, V>(name, options)
    if (options.type === 'session') return new QueryableStores(this.queryRuntime).session<K, V>(name, options)
    return new QueryableStores(this.queryRuntime).keyValue<K, V>(name, options)
  }

  /** Which partition holds `key` in the store and whether this instance hosts it (no host: route by partition yourself). */
  queryMetadataForKey<K>(storeName: string, key: K, keySerializer: Serializer<K>): KeyQueryMetadata {
    return keyQueryMetadata(this.queryRuntime, storeName, key, keySerializer)
  }

  /**
   * Checks and creates topics, connects, joins the group and starts processing in the
   * background. Resolves once the app is a group member; tasks restore and run after that
   * (state REBALANCING, then RUNNING). Rejects, in state ERROR, when the app cannot run.
   * A topology of global stores only joins no group: it resolves RUNNING, its stores read.
   */
  start(): Promise<void> {
    if (this.state !== 'CREATED') return Promise.reject(new StreamfoldError('ILLEGAL_STATE', `start() on an app that is ${this.state}`))
    this.machine.moveTo('REBALANCING')
    this.starting = this.boot()
    return this.starting
  }

  /**
   * Stops processing, commits and closes every task, leaves the group and releases the broker.
   * Resolves true once closed, or false when `timeoutMs` passed first (closing goes on).
   */
  async close(options: CloseOptions = {}): Promise<boolean> {
    this.closing ??= this.shutdown()
    if (options.timeoutMs === undefined) {
      await this.closing
      return true
    }
    let timer: NodeJS.Timeout | undefined
    const expired = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), options.timeoutMs)))
    try {
      return await Promise.race([this.closing.then(() => true), expired])
    } finally {
      clearTimeout(timer)
    }
  }

  /**
   * Dead letters go through the app's own producer (via the collector, which follows producer
   * replacements), so in exactly_once they commit atomically with the offsets that skip them.
   */
  private async connectDeadLetters(admin: BrokerAdmin, collector: ProducerCollector): Promise<void> {
    const handlers = this.config.errorHandlers as Partial<Pick<StreamErrorHandlers, 'connectDeadLetters' | 'deadLetterTopic'>>
    if (typeof handlers.connectDeadLetters !== 'function') return
    if (handlers.deadLetterTopic !== undefined) await admin.ensureTopics([{ name: handlers.deadLetterTopic, partitions: 1 }])
    handlers.connectDeadLetters({ send: (record) => collector.send(record) })
  }

  /**
   * The production handler decides about output records the broker refused for good. A refused
   * changelog record always fails the commit: dropping it would leave the store ahead of its
   * changelog, and the next restore would lose the update without a trace.
   */
  private productionHandler(plan: TopicPlan): ProducerOptions['onRecordFailure'] {
    const handlers = this.config.errorHandlers
    if (typeof handlers.production !== 'function') return undefined
    // Internal topics nobody reads are changelogs; repartition topics are some sub-topology's input.
    const changelogs = new Set(plan.internalTopics.filter((t) => !plan.readerOf.has(t.name)).map((t) => t.name))
    return (record, error) => (changelogs.has(record.topic) ? 'fail' : handlers.production!(error, record))
  }

  private async boot(): Promise<void> {
    const { config } = this
    const rt = this.runtime
    try {
      rt.identity = await claimProcessIdentity(config.stateDir, config.applicationId)
      rt.broker = await openBroker(config.broker, config.applicationId, this.logger)
      const admin = rt.broker.broker.admin()
      const plan = await planTopics({ topology: this.topology, applicationId: config.applicationId, admin, dedup: config.dedup })
      const exactlyOnce = config.processingGuarantee === 'exactly_once'
      await this.bootstrapGlobalStores(rt, admin, exactlyOnce)
      if (this.topology.subtopologies.length > 0) {
        await this.joinGroup(rt, plan, admin, exactlyOnce)
      } else {
        // Global stores only: Kafka Streams runs no stream thread, joins no group and is RUNNING
        // once its global thread has bootstrapped. Nothing is consumed or produced here either.
        this.logger.info({ broker: rt.broker.broker.kind, processingGuarantee: config.processingGuarantee, globalTopics: rt.globals!.topics.length }, 'app started: global stores only, no consumer group')
        this.machine.moveTo('RUNNING')
      }
    } catch (error) {
      await this.release(false)
      this.fail(error)
      throw error
    }
    this.loop =
      rt.tasks === undefined
        ? this.followGlobalStores(rt.globalUpdater!)
        : this.run(rt.tasks, rt.consumer!, rt.checkpoint!, rt.purger!, rt.broker.broker.kind, rt.globalUpdater)
  }

  /** Creates the consumer, producer and tasks, and subscribes: the app becomes a group member. */
  private async joinGroup(rt: Runtime, plan: TopicPlan, admin: BrokerAdmin, exactlyOnce: boolean): Promise<void> {
    const { config } = this
    const { broker } = rt.broker!
    const collector = new ProducerCollector(await admin.partitionCounts(this.sinkTopics()), admin, this.logger)
    await this.connectDeadLetters(admin, collector)
    const clientId = `${config.applicationId}-${rt.identity!.processId}`
    rt.consumer = broker.consumer({
      groupId: config.applicationId,
      clientId,
      isolationLevel: exactlyOnce ? 'read_committed' : 'read_uncommitted',
      autoOffsetReset: 'earliest',
      sessionTimeoutMs: config.sessionTimeoutMs,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      maxPollIntervalMs: config.maxPollIntervalMs,
    })
    rt.reader = broker.reader()
    // Stable across restarts: the new producer fences the old one and aborts its open transaction.
    const transactionalId = exactlyOnce ? clientId : undefined
    const onRecordFailure = this.productionHandler(plan)
    rt.checkpoint = await Checkpoint.create({
      guarantee: config.processingGuarantee,
      consumer: rt.consumer,
      admin,
      collector,
      logger: this.logger,
      faults: config.faults,
      metrics: config.metrics,
      createProducer: async () => {
        const producer = broker.producer({ clientId, transactionalId, onRecordFailure })
        await producer.connect()
        return producer
      },
    })
    rt.tasks = new TaskManager({
      topology: this.topology,
      plan,
      config,
      consumer: rt.consumer,
      admin,
      reader: rt.reader,
      checkpoint: rt.checkpoint,
      collector,
      logger: this.logger,
      globalStores: rt.globals,
      onRebalance: () => {
        if (this.state === 'RUNNING') this.machine.moveTo('REBALANCING')
      },
    })
    const { consumer, checkpoint } = rt
    rt.purger = new RepartitionPurger({
      admin,
      repartitionTopics: repartitionTopicsOf(plan),
      intervalMs: config.repartitionPurgeIntervalMs,
      owned: () => consumer.assignment(),
      committed: (tp) => checkpoint.committed(tp),
      logger: this.logger,
    })
    await rt.consumer.subscribe(plan.inputTopics, rt.tasks)
    this.logger.info(
      { broker: broker.kind, processingGuarantee: config.processingGuarantee, inputTopics: plan.inputTopics.length, subtopologies: plan.partitions.size },
      'app started',
    )
  }

  /** The loop of a global-only app: keeps the global stores caught up; a failed catch-up stops the app. */
  private async followGlobalStores(updater: GlobalUpdater): Promise<void> {
    try {
      await runGlobalOnlyLoop(updater, this.stop.signal)
    } catch (error) {
      await this.release(false)
      this.fail(error)
    }
  }

  /**
   * Global stores (GlobalKTable) hold every partition of their topics; they are read to the end
   * before the app joins the group, so the first record processed already sees the whole table,
   * then kept up to date in the background. Their own reader: restores use the app's meanwhile.
   * Before the group consumer exists: a global-only app never makes one.
   */
  private async bootstrapGlobalStores(rt: Runtime, admin: BrokerAdmin, exactlyOnce: boolean): Promise<void> {
    const specs = this.topology.globalStores
    if (specs.length === 0) return
    const topics = specs.map((s) => s.topic)
    const partitions = await admin.partitionCounts(topics)
    const missing = topics.filter((t) => !partitions.has(t))
    if (missing.length > 0) throw new StreamfoldError('TOPIC_NOT_FOUND', `global table topics do not exist: ${missing.join(', ')}`)
    const { config } = this
    rt.globals = await GlobalState.open({
      applicationId: config.applicationId,
      specs,
      stateDir: config.stateDir,
      memory: config.stateMemory,
      logger: this.logger,
      errorHandlers: globalErrorHandlers(config.errorHandlers, this.logger),
    })
    rt.globalReader = rt.broker!.broker.reader()
    const source = { reader: rt.globalReader, offsets: admin, partitions, isolationLevel: exactlyOnce ? ('read_committed' as const) : ('read_uncommitted' as const) }
    rt.globalUpdater = new GlobalUpdater(rt.globals, source, this.logger)
    await rt.globalUpdater.bootstrap()
  }

  private async run(
    tasks: TaskManager,
    consumer: GroupConsumer,
    checkpoint: Checkpoint,
    purger: RepartitionPurger,
    brokerKind: string,
    globalUpdater: GlobalUpdater | undefined,
  ): Promise<void> {
    const { commitIntervalMs, maxBatchRecords, maxBatchWaitMs } = this.config
    const { maxUncommittedBytes } = this.config.stateMemory
    let lastCommit = Date.now()
    let lastSummary = Date.now()
    let lastLag = 0
    try {
      while (!this.stop.signal.aborted) {
        // An idle poll waits for records, but never past the next commit's time: under exactly_once
        // the records processed so far become visible only with that commit.
        const untilCommit = Math.max(0, lastCommit + commitIntervalMs - Date.now())
        let records = await consumer.poll(maxBatchRecords, tasks.backlog > 0 ? 0 : Math.min(maxBatchWaitMs, untilCommit))
        checkpoint.takeRewound()
        await tasks.restorePending()
        // The embedded group assigns within the first poll; a Kafka member waits for its first assignment.
        if (this.state === 'REBALANCING' && tasks.restoring === 0 && (tasks.assignmentSeen || brokerKind === 'embedded')) {
          this.machine.moveTo('RUNNING')
        }
        await checkpoint.ensureTransaction()
        // Nothing is processed on top of a failed background commit: it is rolled back first.
        await tasks.settleFailedCommit()
        // A partition rewound since the poll returned (a failed commit rolled back) is read again.
        const rewound = checkpoint.takeRewound()
        if (rewound.size > 0) records = records.filter((r) => !rewound.has(partitionKey(r)))
        globalUpdater?.tick(Date.now())
        tasks.route(records)
        const processed = await tasks.process()
        tasks.punctuate(Date.now())
        const due = Date.now() - lastCommit >= commitIntervalMs
        // Kafka Streams' statestore.uncommitted.max.bytes: the write buffers are the transaction,
        // so only a commit frees them; without this an at_least_once app (30 s interval) holds
        // every key changed in 30 s.
        const uncommitted = due ? 0 : tasks.uncommittedBytes
        if (due || (uncommitted > 0 && uncommitted >= maxUncommittedBytes)) {
          if (!due) this.logger.debug({ uncommittedBytes: uncommitted, maxUncommittedBytes }, 'early commit: uncommitted state writes reached maxUncommittedBytes')
          // Measured from the commit's start (as Kafka Streams does): the period is the interval,
          // not the interval plus the commit's duration.
          const commitStarted = Date.now()
          await tasks.startCommit()
          lastCommit = commitStarted
          // Deletes what the group has committed of repartition topics, in the background.
          purger.afterCommit()
        }
        if (processed > 0 && this.logger.isLevelEnabled('trace')) this.logger.trace({ fetched: records.length, processed }, 'batch')
        if (this.config.metrics !== undefined && Date.now() - lastLag >= LAG_INTERVAL_MS) {
          lastLag = Date.now()
          tasks.reportLag().catch((error: unknown) => this.logger.debug({ err: loggableError(error) }, 'measuring consumer lag failed'))
        }
        // With a metrics port its owner reports (the worker's summary line); otherwise one line here.
        if (this.config.metrics === undefined && Date.now() - lastSummary >= SUMMARY_INTERVAL_MS) {
          lastSummary = Date.now()
          this.logger.info({ tasks: tasks.size, processed: tasks.processed, skippedDuplicates: tasks.skipped }, 'summary')
        }
      }
    } catch (error) {
      this.logger.error({ err: loggableError(error) }, 'processing stopped by an error: tasks closed without committing')
      await this.release(false)
      this.fail(error)
    }
  }

  private async shutdown(): Promise<void> {
    await this.starting?.catch(() => undefined)
    if (this.state === 'CREATED') {
      this.machine.moveTo('PENDING_SHUTDOWN')
      this.machine.moveTo('NOT_RUNNING')
      return
    }
    if (this.state === 'NOT_RUNNING') return
    this.machine.moveTo('PENDING_SHUTDOWN')
    this.stop.abort()
    await this.loop
    await this.release(this.failure === undefined)
    this.machine.moveTo('NOT_RUNNING')
    this.logger.info({}, 'app closed')
  }

  /** Releases whatever the runtime holds, in dependency order; safe to call twice. */
  private async release(clean: boolean): Promise<void> {
    const rt = this.runtime
    this.runtime = {}
    const attempt = async (what: string, action: (() => Promise<void>) | undefined): Promise<void> => {
      try {
        await action?.()
      } catch (error) {
        this.logger.warn({ err: loggableError(error) }, `${what} failed during shutdown`)
      }
    }
    await attempt(
      'closing tasks',
      rt.tasks &&
        (() =>
          rt.tasks!.closeAll(clean).catch((error: unknown) => {
            // The final commit's flush met an error its handler did not skip: nothing of the last
            // interval was committed (it is processed again on restart), and the app says so.
            if (!(error instanceof ProcessingError)) throw error
            this.failure ??= error
            this.logger.error({ err: loggableError(error) }, 'processing failed in the final commit: its work was rolled back')
          })),
    )
    await attempt('finishing the repartition purge', rt.purger && (() => rt.purger!.close()))
    await attempt('finishing the global stores update', rt.globalUpdater && (() => rt.globalUpdater!.close()))
    await attempt('closing the global stores', rt.globals && (() => rt.globals!.close()))
    await attempt('closing the global reader', rt.globalReader && (() => rt.globalReader!.close()))
    await attempt('closing the consumer', rt.consumer && (() => rt.consumer!.close()))
    await attempt('closing the producer', rt.checkpoint && (() => rt.checkpoint!.close()))
    await attempt('closing the reader', rt.reader && (() => rt.reader!.close()))
    await attempt('closing the broker', rt.broker?.owned === true ? () => rt.broker!.broker.close() : undefined)
    await attempt('releasing the state directory', rt.identity && (() => rt.identity!.release()))
  }

  private fail(error: unknown): void {
    this.failure ??= error
    if (this.machine.canMoveTo('ERROR')) this.machine.moveTo('ERROR')
  }

  /** Fixed sink topics, for partition counts that custom partitioners need. */
  private sinkTopics(): string[] {
    const topics = this.topology.sinks().flatMap((s) => (typeof s.topic === 'string' ? [resolveTopicName(s.topic, s.internal, this.config.applicationId)] : []))
    return [...new Set(topics)]
  }
}
