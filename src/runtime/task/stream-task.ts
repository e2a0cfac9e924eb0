import { isStreamfoldError, ProcessingError, StreamfoldError } from '../../errors'
import { silentLogger, type Logger } from '../../logger'
import type { DropReason } from '../../processors/internal-context'
import type { Processor, Punctuator } from '../../processors/processor'
import type { Subtopology, Topology } from '../../topology/topology'
import type { BrokerRecord, TopicPartitionOffset } from '../broker/broker'
import { NodeContext } from './node-context'
import { ProcessorNode } from './processor-node'
import { PunctuationQueue } from './punctuation-queue'
import type { RecordCollector } from './record-collector'
import { FAIL_ON_ERRORS, type RecordErrorHandlers } from './record-error-handlers'
import { RecordQueue } from './record-queue'
import type { RuntimeNode } from './runtime-node'
import { SinkNode } from './sink-node'
import { SourceNode } from './source-node'
import { safeReason } from './source-node'
import { TaskContext, type GlobalStoreLookup, type StoreLookup } from './task-context'
import { resolveTopicName } from '../../topology/internal-topic-name'

export interface StreamTaskOptions {
  readonly applicationId: string
  readonly topology: Topology
  readonly subtopology: Subtopology
  /** The input partition number this task owns (the same on every co-partitioned source topic). */
  readonly partition: number
  readonly collector: RecordCollector
  readonly wallClock: () => number
  readonly stores?: StoreLookup
  /** Whether a store has a record cache, so its aggregation forwards at flush; default: none. */
  readonly caching?: (storeName: string) => boolean
  /** The app's global stores, readable by every processor. */
  readonly globalStores?: GlobalStoreLookup
  readonly errorHandlers?: RecordErrorHandlers
  /** Child logger for this task; default: silent. */
  readonly logger?: Logger
}

/**
 * One sub-topology running on one input partition: fresh processors, a record queue per input
 * topic-partition, stream time and punctuators. Synchronous: the runtime (or the test driver)
 * feeds records in with `enqueue`, calls `process` and the punctuate methods, and commits
 * `consumedOffsets()` when the state for them is safe.
 */
export class StreamTask {
  readonly id: string
  private readonly ctx: TaskContext
  private readonly queues: RecordQueue[] = []
  private readonly queueByTopic = new Map<string, RecordQueue>()
  private readonly processors: ProcessorNode[] = []
  private readonly handlers: RecordErrorHandlers
  /** Errors the processing handler already answered 'fail' to, rethrown as they are. */
  private readonly failed = new WeakSet<object>()
  private initialized = false
  private closed = false

  constructor(options: StreamTaskOptions) {
    this.id = `${options.subtopology.id}_${options.partition}`
    this.handlers = options.errorHandlers ?? FAIL_ON_ERRORS
    const noStores: StoreLookup = (name) => {
      throw new ProcessingError('UNKNOWN_STATE_STORE', `No state store "${name}" is available to task ${this.id}`, {
        taskId: this.id,
        store: name,
      })
    }
    this.ctx = new TaskContext(
      options.applicationId,
      this.id,
      options.collector,
      options.wallClock,
      new PunctuationQueue('stream-time'),
      new PunctuationQueue('wall-clock'),
      options.stores ?? noStores,
      (options.logger ?? silentLogger()).child({ taskId: this.id }),
      options.caching,
      options.globalStores,
    )
    this.ctx.processingError = (error) => this.onProcessingError(error, undefined)
    this.instantiate(options.topology, options.subtopology, options.partition)
  }

  /** Input partitions this task reads. */
  get inputs(): ReadonlyArray<{ readonly topic: string; readonly partition: number }> {
    return this.queues
  }

  get streamTime(): number {
    return this.ctx.streamTime
  }

  /** Records dropped by built-in processors (late, null key, ...), by reason. */
  get droppedRecords(): ReadonlyMap<DropReason, number> {
    return this.ctx.droppedRecords
  }

  /** Calls every processor's init(), parents before children. */
  init(): void {
    if (this.initialized) return
    this.initialized = true
    for (const node of this.processors) this.guard(() => node.init())
  }

  enqueue(records: readonly BrokerRecord[]): void {
    for (const record of records) this.enqueueOne(record)
  }

  /** Queues one record (the runtime feeds one record per partition at a time). */
  enqueueOne(record: BrokerRecord): void {
    const first = this.queues[0]
    const queue = first !== undefined && first.topic === record.topic ? first : this.queueByTopic.get(record.topic)
    if (queue === undefined) {
      throw new StreamfoldError('ILLEGAL_STATE', `Task ${this.id} does not read topic ${record.topic}`, { taskId: this.id, topic: record.topic })
    }
    queue.push(record)
  }

  /** Records waiting to be processed. */
  get queued(): number {
    let total = 0
    for (const q of this.queues) total += q.size
    return total
  }

  /**
   * Processes the next record: the head with the smallest timestamp across input partitions,
   * as Kafka Streams does, so co-partitioned inputs are interleaved in event-time order.
   * Returns false when nothing is queued.
   */
  process(): boolean {
    const queue = this.pickQueue()
    if (queue === undefined) return false
    const raw = queue.rawHead()!
    const record = queue.poll()
    if (record.timestamp > this.ctx.streamTime) this.ctx.streamTime = record.timestamp
    this.ctx.currentRecord = record
    this.ctx.currentRawKey = queue.source.stringKeys ? raw.key : undefined
    this.ctx.currentNode = queue.source.name
    try {
      queue.source.process(record)
    } catch (error) {
      this.onProcessingError(error, raw)
    } finally {
      this.ctx.currentRecord = undefined
      this.ctx.currentRawKey = undefined
    }
    return true
  }

  /**
   * Forwards what cached aggregations hold back (pending-changes.ts), parents before children, and
   * again while a flush made more to forward (a cached aggregation downstream of another).
   * Called before every commit, so the forwarded records and the state they reflect commit together.
   */
  flushCaches(): void {
    const flushes = this.ctx.flushes
    for (let round = 0; round <= flushes.length; round++) {
      let forwarded = false
      for (const { node, flush } of flushes) {
        this.ctx.currentNode = node
        if (flush()) forwarded = true
      }
      if (!forwarded) return
    }
  }

  /** Runs stream-time punctuators that are due. */
  punctuateStreamTime(): boolean {
    if (this.ctx.streamTime < 0) return false
    return this.ctx.streamTimePunctuations.punctuate(this.ctx.streamTime, this.runPunctuator)
  }

  /** Runs wall-clock punctuators that are due at `now`. */
  punctuateWallClock(now: number = this.ctx.wallClock()): boolean {
    return this.ctx.wallClockPunctuations.punctuate(now, this.runPunctuator)
  }

  /** Next offset to commit per input partition, for the partitions that made progress. */
  consumedOffsets(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = []
    for (const q of this.queues) {
      if (q.nextOffset !== undefined) out.push({ topic: q.topic, partition: q.partition, offset: q.nextOffset })
    }
    return out
  }

  /** Drops queued records (after a revoke or an aborted transaction: they will be fetched again). */
  clearQueues(): void {
    for (const q of this.queues) q.clear()
  }

  /** Calls every processor's close(); the task cannot be used afterwards. */
  close(): void {
    if (this.closed) return
    this.closed = true
    for (const node of this.processors) this.guard(() => node.close())
  }

  private readonly runPunctuator = (nodeName: string, punctuator: Punctuator, now: number): void => {
    this.ctx.currentNode = nodeName
    this.ctx.currentRecord = undefined
    this.ctx.currentRawKey = undefined
    try {
      punctuator(now)
    } catch (error) {
      this.onProcessingError(error, undefined)
    }
  }

  private pickQueue(): RecordQueue | undefined {
    if (this.queues.length === 1) {
      const only = this.queues[0]!
      return only.peek(this.onBadRecord) === undefined ? undefined : only
    }
    let best: RecordQueue | undefined
    let bestTime = Infinity
    for (const q of this.queues) {
      const head = q.peek(this.onBadRecord)
      if (head !== undefined && head.timestamp < bestTime) {
        best = q
        bestTime = head.timestamp
      }
    }
    return best
  }

  private readonly onBadRecord = (error: unknown, raw: BrokerRecord): void => {
    const wrapped = this.wrap(error, raw)
    if (this.handlers.deserialization(wrapped, raw) === 'fail') throw wrapped
  }

  private onProcessingError(error: unknown, raw: BrokerRecord | undefined): void {
    // Already decided by the handler (a cache flush inside process() failed): not asked twice.
    if (this.failed.has(error as object)) throw error
    const wrapped = this.wrap(error, raw)
    if (this.handlers.processing(wrapped, raw) === 'fail') {
      this.failed.add(wrapped)
      throw wrapped
    }
  }

  /** Our own errors already carry coordinates; anything a user's code threw gets them here. */
  private wrap(error: unknown, raw: BrokerRecord | undefined): ProcessingError {
    if (error instanceof ProcessingError) return error
    const code = isStreamfoldError(error) ? error.code : 'PROCESSING_FAILED'
    // A flush forwards on behalf of an earlier input record: the current record names it.
    const at = raw ?? this.ctx.currentRecord
    return new ProcessingError(code, `Processing failed in node "${this.ctx.currentNode}": ${safeReason(error)}`, {
      taskId: this.id,
      node: this.ctx.currentNode,
      topic: at?.topic,
      partition: at?.partition,
      offset: at?.offset,
      cause: error,
    })
  }

  private guard(fn: () => void): void {
    try {
      fn()
    } catch (error) {
      throw this.wrap(error, undefined)
    }
  }

  private instantiate(topology: Topology, sub: Subtopology, partition: number): void {
    const nodes = new Map<string, RuntimeNode>()
    const contexts = new Map<string, NodeContext<unknown, unknown>>()
    const sources: SourceNode[] = []
    for (const name of sub.nodes) {
      const spec = topology.node(name)
      if (spec.kind === 'source') {
        const source = new SourceNode(spec, this.ctx)
        sources.push(source)
        nodes.set(name, source)
        for (const declared of spec.topics) {
          const topic = resolveTopicName(declared, spec.internal, this.ctx.applicationId)
          const queue = new RecordQueue(topic, partition, source)
          this.queues.push(queue)
          this.queueByTopic.set(topic, queue)
        }
      } else if (spec.kind === 'processor') {
        const context = new NodeContext<unknown, unknown>(this.ctx, name, spec.stores)
        const node = new ProcessorNode(name, freshProcessor(spec.supplier, name, this.id), context, this.ctx)
        contexts.set(name, context)
        this.processors.push(node)
        nodes.set(name, node)
      } else {
        nodes.set(name, new SinkNode(spec, this.ctx))
      }
    }
    const childrenOf = (name: string): RuntimeNode[] => topology.children(name).map((c) => nodes.get(c)!)
    for (const source of sources) source.setChildren(childrenOf(source.name))
    for (const [name, context] of contexts) context.setChildren(childrenOf(name))
  }
}

/** Every processor object handed to a task, so a supplier that returns a shared instance is caught. */
const issuedProcessors = new WeakSet<object>()

function freshProcessor(supplier: () => unknown, node: string, taskId: string): Processor<unknown, unknown, unknown, unknown> {
  const processor = supplier() as Processor<unknown, unknown, unknown, unknown>
  if (typeof processor !== 'object' || processor === null || typeof processor.process !== 'function') {
    throw new ProcessingError('PROCESSING_FAILED', `The supplier of processor "${node}" did not return a Processor`, { taskId, node })
  }
  if (issuedProcessors.has(processor)) {
    throw new ProcessingError(
      'PROCESSING_FAILED',
      `The supplier of processor "${node}" returned a processor object it had returned before: it must create a new one per call, since tasks never share processors`,
      { taskId, node },
    )
  }
  issuedProcessors.add(processor)
  return processor
}
