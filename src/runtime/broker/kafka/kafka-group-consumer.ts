/**
 * GroupConsumer over librdkafka's KafkaConsumer.
 *
 * Rebalances: librdkafka calls our rebalance_cb from its consume worker thread and the binding
 * forwards it to the event loop, at a moment of its choosing. The group then waits until we call
 * assign/unassign. We queue the event and serve it at the next poll() boundary, before and after
 * the fetch, so the listener never runs concurrently with poll() (the port's promise) and an
 * orderly revoke can commit before the partitions go. Records fetched for partitions revoked in
 * the same poll are dropped: the new owner reads them again from the committed offset.
 *
 *   rebalance_cb ──queue──> poll(): serve queue ─> consume(n) ─> serve queue ─> drop unowned ─> return
 *
 * Assign: listener.onAssigned first (assignment() already lists the new partitions; their seeks and
 * pauses are recorded), then one native (incremental) assign at explicit start offsets: the seek,
 * else the committed offset, else per autoOffsetReset. Revoke/lost: listener first, then native
 * (incremental) unassign. The protocol (eager or cooperative) follows the configured assignor.
 */
import { StreamfoldError, TaskMigratedError } from '../../../errors'
import type { Logger } from '../../../logger'
import type {
  BrokerRecord,
  GroupConsumer,
  GroupConsumerOptions,
  RebalanceListener,
  TopicPartition,
  TopicPartitionOffset,
} from '../broker'
import { consumerConfig, type KafkaBrokerConfig } from './kafka-config'
import { asNative, brokerError, call, describeNative, isMigrated, withTimeout } from './kafka-errors'
import { AssignCapture, OFFSET_BEGINNING, OFFSET_END, OFFSET_STORED } from './assign-capture'
import { partitionKey, toBrokerRecord, toNativePartitions, toTopicPartitions } from './kafka-records'
import { createNativeConsumer, ERR, type NativeConsumer, type NativeError, type NativeMessage, type NativeTopicPartition } from './rdkafka'

interface RebalanceEvent {
  readonly kind: 'assign' | 'revoke' | 'lost'
  readonly partitions: readonly TopicPartition[]
}

type ConsumerState = 'created' | 'subscribed' | 'closing' | 'closed'

/** The native client behind each of our consumers, for the producer's sendOffsetsToTransaction. */
const natives = new WeakMap<GroupConsumer, NativeConsumer>()

export function nativeConsumerOf(consumer: GroupConsumer): NativeConsumer | undefined {
  return natives.get(consumer)
}

export interface KafkaGroupConsumerContext {
  readonly config: KafkaBrokerConfig
  readonly options: GroupConsumerOptions
  readonly clientId: string
  readonly operationTimeoutMs: number
  readonly logger: Logger
  readonly onClosed: () => void
}

export class KafkaGroupConsumer implements GroupConsumer {
  private readonly client: NativeConsumer
  private readonly log: Logger
  private readonly pending: RebalanceEvent[] = []
  /** Owned partitions and the rebalance count at which each was assigned. */
  private readonly owned = new Map<string, { readonly partition: TopicPartition; readonly since: number }>()
  private served = 0
  /** Counts seeks; `soughtAt` holds each partition's latest (see poll). */
  private seekCount = 0
  private readonly soughtAt = new Map<string, number>()
  private assigning: AssignCapture | undefined
  private readonly seeks = new Set<Promise<void>>()
  private listener: RebalanceListener | undefined
  private state: ConsumerState = 'created'
  private connecting: Promise<void> | undefined
  private consuming: Promise<unknown> | undefined
  private closing: Promise<void> | undefined

  constructor(private readonly ctx: KafkaGroupConsumerContext) {
    this.log = ctx.logger.child({ groupId: ctx.options.groupId, clientId: ctx.clientId })
    this.client = createNativeConsumer({
      ...consumerConfig(ctx.config, {
        clientId: ctx.clientId,
        groupId: ctx.options.groupId,
        isolationLevel: ctx.options.isolationLevel ?? 'read_uncommitted',
        autoOffsetReset: ctx.options.autoOffsetReset ?? 'earliest',
        sessionTimeoutMs: ctx.options.sessionTimeoutMs,
        heartbeatIntervalMs: ctx.options.heartbeatIntervalMs,
        maxPollIntervalMs: ctx.options.maxPollIntervalMs,
        partitionEof: false,
      }),
      rebalance_cb: (err: NativeError | undefined, partitions: NativeTopicPartition[]) => this.onNativeRebalance(err, partitions),
    })
    this.client.on('event.error', (e) => this.log.warn({ code: e.code, reason: e.message }, 'kafka consumer error'))
    // Without this, consume(n) waits its whole timeout even when records are ready.
    this.client.setDefaultIsTimeoutOnlyForFirstMessage(true)
    natives.set(this, this.client)
  }

  async subscribe(topics: readonly string[], listener: RebalanceListener): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') throw illegal('subscribe on a closed consumer')
    await this.connect()
    this.listener = listener
    try {
      this.client.subscribe([...topics])
    } catch (error) {
      throw brokerError('subscribe', error)
    }
    this.state = 'subscribed'
    this.log.info({ topics }, 'subscribed')
  }

  async poll(maxRecords: number, timeoutMs: number): Promise<BrokerRecord[]> {
    if (this.state !== 'subscribed') throw illegal(`poll on a consumer that is ${this.state}`)
    await this.serveRebalances()
    if (this.seeks.size > 0) await Promise.all(this.seeks)
    const fetchedIn = this.served
    const seeksBefore = this.seekCount
    let messages = await this.consume(maxRecords, timeoutMs)
    if (messages === MAX_POLL_EXCEEDED) {
      // We stopped polling for max.poll.interval.ms and librdkafka left the group. It hands over the
      // "lost" rebalance only from a later consume call: make those here, so this poll reports it.
      messages = []
      for (let i = 0; i < 10 && this.pending.length === 0; i++) {
        const more = await this.consume(maxRecords, 100)
        if (more !== MAX_POLL_EXCEEDED) messages.push(...more)
        await new Promise((r) => setImmediate(r))
      }
    }
    await this.serveRebalances()
    const records: BrokerRecord[] = []
    // A fetch returns runs of one partition: look ownership up once per run, not per record.
    let topic: string | undefined
    let partition = -1
    let keep = false
    for (const m of messages) {
      if (m.partition !== partition || m.topic !== topic) {
        topic = m.topic
        partition = m.partition
        // Kept only if the partition is still ours from the same assignment: a partition revoked,
        // or revoked and given back, during this fetch restarts from the committed offset. Nor
        // if it was sought during this poll (a rebalance callback rolled a task back): these
        // messages come from before the seek, which reads them again.
        const key = partitionKey(m)
        const since = this.owned.get(key)?.since
        keep = since !== undefined && since <= fetchedIn && (this.soughtAt.get(key) ?? 0) <= seeksBefore
      }
      if (keep) records.push(toBrokerRecord(m))
    }
    return records
  }

  assignment(): TopicPartition[] {
    return Array.from(this.owned.values(), (o) => o.partition)
  }

  pause(partitions: readonly TopicPartition[]): void {
    this.setPaused(partitions, 'pause')
  }

  resume(partitions: readonly TopicPartition[]): void {
    this.setPaused(partitions, 'resume')
  }

  /** Takes effect before the next poll's fetch: poll() waits for the seek to be applied, because
   *  the binding runs it on a worker thread that could otherwise lose the race with consume. Inside
   *  onAssigned, a seek of a new partition becomes its start offset instead (a native seek there
   *  would be overridden by librdkafka's own committed-offset lookup). */
  seek(position: TopicPartitionOffset): void {
    this.requireOwned([position], 'seek')
    if (this.assigning?.capture(position, 'seek', position.offset) === true) return
    const { topic, partition, offset } = position
    this.soughtAt.set(partitionKey(position), ++this.seekCount)
    const done = new Promise<void>((resolve) => {
      this.client.seek({ topic, partition, offset }, 0, (err) => {
        if (err) this.log.warn({ topic, partition, offset, code: err.code, reason: err.message }, 'seek failed')
        resolve()
      })
    })
    this.seeks.add(done)
    void done.then(() => this.seeks.delete(done))
  }

  /** Synchronous on the event loop for one broker round trip (see NativeConsumer.commitSync): at
   *  least once needs the commit confirmed, and an orderly revoke must finish it before the
   *  partitions move. librdkafka bounds the wait by the coordinator lookup (about the session timeout). */
  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return
    const list = offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset }))
    try {
      this.client.commitSync(list)
    } catch (error) {
      const native = asNative(error)
      if (native !== undefined && isMigrated(native)) {
        throw new TaskMigratedError(`commit rejected: no longer in the group (${describeNative(native)})`, { cause: error })
      }
      throw brokerError('commit', error)
    }
  }

  async committed(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    if (partitions.length === 0) return []
    await this.connect()
    try {
      const result = await call<NativeTopicPartition[]>((cb) => this.client.committed(toNativePartitions(partitions), this.ctx.operationTimeoutMs, cb))
      return result.flatMap((p) => (p.offset !== undefined && p.offset >= 0 ? [{ topic: p.topic, partition: p.partition, offset: p.offset }] : []))
    } catch (error) {
      throw brokerError('committed offsets', error)
    }
  }

  /** Leaves the group without calling the listener: the runtime closes its tasks before this. */
  close(): Promise<void> {
    this.closing ??= this.doClose()
    return this.closing
  }

  private async doClose(): Promise<void> {
    const wasConnected = this.connecting !== undefined
    this.state = 'closing'
    if (this.consuming !== undefined) await this.consuming
    // Whatever the group still waits for is acknowledged now, so leaving cannot hang on it.
    for (const event of this.pending.splice(0)) this.applyNative(event)
    try {
      if (wasConnected) {
        await this.connecting?.catch(() => undefined)
        if (this.client.isConnected()) {
          await withTimeout(call((cb) => this.client.disconnect(cb)), this.ctx.operationTimeoutMs, 'consumer disconnect')
        }
      }
    } catch (error) {
      this.log.warn({ reason: (error as Error).message }, 'consumer did not disconnect cleanly')
    } finally {
      this.owned.clear()
      this.state = 'closed'
      this.ctx.onClosed()
      this.log.debug({}, 'consumer closed')
    }
  }

  private setPaused(partitions: readonly TopicPartition[], what: 'pause' | 'resume'): void {
    this.requireOwned(partitions, what)
    const native = this.assigning === undefined ? partitions : partitions.filter((p) => !this.assigning!.capture(p, what))
    if (native.length === 0) return
    try {
      if (what === 'pause') this.client.pause(toNativePartitions(native))
      else this.client.resume(toNativePartitions(native))
    } catch (error) {
      throw brokerError(what, error)
    }
  }

  /** librdkafka ignores or defers requests on partitions it does not own; the port says they fail. */
  private requireOwned(partitions: readonly TopicPartition[], what: string): void {
    for (const p of partitions) {
      if (!this.owned.has(partitionKey(p))) throw new StreamfoldError('ILLEGAL_STATE', `${what} of a partition not assigned to this consumer`, p)
    }
  }

  private connect(): Promise<void> {
    this.connecting ??= call((cb) => this.client.connect({ timeout: this.ctx.operationTimeoutMs }, cb)).then(
      () => undefined,
      (error: unknown) => {
        throw brokerError(`connect to ${this.ctx.config.bootstrapServers}`, error)
      },
    )
    return this.connecting
  }

  private onNativeRebalance(err: NativeError | undefined, list: NativeTopicPartition[]): void {
    const partitions = toTopicPartitions(list)
    let event: RebalanceEvent
    if (err?.code === ERR.ASSIGN_PARTITIONS) event = { kind: 'assign', partitions }
    else if (err?.code === ERR.REVOKE_PARTITIONS) event = { kind: this.client.assignmentLost() ? 'lost' : 'revoke', partitions }
    else {
      this.log.error({ code: err?.code, reason: err?.message }, 'rebalance error')
      event = { kind: 'lost', partitions: this.assignment() }
    }
    this.log.debug({ kind: event.kind, partitions: partitions.length }, 'rebalance')
    if (this.state === 'closing' || this.state === 'closed') this.applyNative(event)
    else this.pending.push(event)
  }

  /** One native consume; transient errors are logged and read as "no records". */
  private async consume(maxRecords: number, timeoutMs: number): Promise<NativeMessage[] | typeof MAX_POLL_EXCEEDED> {
    this.client.setDefaultConsumeTimeout(Math.max(0, Math.floor(timeoutMs)))
    const consumed = call<NativeMessage[]>((cb) => this.client.consume(maxRecords, cb))
    this.consuming = consumed.catch(() => undefined)
    try {
      return await consumed
    } catch (error) {
      const native = asNative(error)
      if (native === undefined || native.isFatal === true) throw brokerError('poll', error)
      // Transient (broker down, unknown topic while it is being created): librdkafka retries.
      this.log.warn({ code: native.code, reason: native.message }, 'consume error')
      return native.code === ERR.MAX_POLL_EXCEEDED ? MAX_POLL_EXCEEDED : []
    } finally {
      this.consuming = undefined
    }
  }

  private async serveRebalances(): Promise<void> {
    let failure: unknown
    for (let event = this.pending.shift(); event !== undefined; event = this.pending.shift()) {
      this.served++
      try {
        if (event.kind === 'assign') await this.serveAssign(event.partitions)
        else {
          try {
            if (event.kind === 'lost') await this.listener?.onLost(event.partitions)
            else await this.listener?.onRevoked(event.partitions)
          } finally {
            this.applyNative(event)
          }
        }
      } catch (error) {
        // Later events are still served so the group does not stall; the first failure surfaces.
        failure ??= error
      }
      this.log.info({ kind: event.kind, partitions: event.partitions.length, owned: this.owned.size }, 'rebalance served')
    }
    // The listener is the runtime's own code: its error goes back to it unchanged.
    if (failure !== undefined) throw failure
  }

  /** Listener first, with seeks and pauses of the new partitions captured; then one native assign
   *  at explicit start offsets, so no later seek races librdkafka's committed-offset lookup. */
  private async serveAssign(partitions: readonly TopicPartition[]): Promise<void> {
    if (this.client.rebalanceProtocol() !== 'COOPERATIVE') this.owned.clear()
    for (const p of partitions) this.owned.set(partitionKey(p), { partition: p, since: this.served })
    const capture = new AssignCapture(partitions)
    this.assigning = capture
    let failure: unknown
    try {
      await this.listener?.onAssigned(partitions)
    } catch (error) {
      failure = error
    } finally {
      this.assigning = undefined
    }
    const starts = await this.startOffsets(partitions, capture.seeks)
    this.applyNative({ kind: 'assign', partitions: starts })
    const paused = Array.from(capture.paused.values())
    if (paused.length > 0) this.pause(paused)
    if (failure !== undefined) throw failure
  }

  private async startOffsets(partitions: readonly TopicPartition[], seeks: ReadonlyMap<string, number>): Promise<TopicPartitionOffset[]> {
    const unsought = partitions.filter((p) => !seeks.has(partitionKey(p)))
    const committed = new Map<string, number>()
    if (unsought.length > 0) {
      try {
        for (const c of await this.committed(unsought)) committed.set(partitionKey(c), c.offset)
      } catch (error) {
        this.log.warn({ reason: (error as Error).message }, 'committed offsets unavailable; librdkafka will look them up')
        for (const p of unsought) committed.set(partitionKey(p), OFFSET_STORED)
      }
    }
    const reset = (this.ctx.options.autoOffsetReset ?? 'earliest') === 'earliest' ? OFFSET_BEGINNING : OFFSET_END
    return partitions.map((p) => {
      const key = partitionKey(p)
      return { topic: p.topic, partition: p.partition, offset: seeks.get(key) ?? committed.get(key) ?? reset }
    })
  }

  private applyNative(event: { readonly kind: RebalanceEvent['kind']; readonly partitions: readonly (TopicPartition | TopicPartitionOffset)[] }): void {
    const cooperative = this.client.rebalanceProtocol() === 'COOPERATIVE'
    const list = event.partitions.map((p) => ({ ...p }))
    try {
      if (event.kind === 'assign') {
        if (cooperative) this.client.incrementalAssign(list)
        else this.client.assign(list)
      } else {
        if (cooperative) this.client.incrementalUnassign(list)
        else this.client.unassign()
        if (!cooperative) this.owned.clear()
        for (const p of event.partitions) this.owned.delete(partitionKey(p))
      }
    } catch (error) {
      // Only when the client is already disconnected, which ends the assignment anyway.
      this.log.warn({ kind: event.kind, reason: (error as Error).message }, 'could not apply rebalance')
    }
  }
}

const MAX_POLL_EXCEEDED = Symbol('max.poll.interval.ms exceeded')

function illegal(message: string): StreamfoldError {
  return new StreamfoldError('ILLEGAL_STATE', message)
}
