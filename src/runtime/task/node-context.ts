import { ProcessingError, StreamfoldError } from '../../errors'
import type { Logger } from '../../logger'
import type { DropReason, InternalProcessorContext } from '../../processors/internal-context'
import type { Cancellable, ProcessorContext, PunctuationType, Punctuator, RecordMetadata } from '../../processors/processor'
import type { StreamRecord } from '../../processors/stream-record'
import type { ConsumedRecord } from '../../topology/node-spec'
import type { RuntimeNode } from './runtime-node'
import type { TaskContext } from './task-context'

/**
 * The ProcessorContext one node's processor sees. Forwarding is a direct, depth-first call into
 * the children: no queue, no allocation.
 */
export class NodeContext<KOut, VOut> implements ProcessorContext<KOut, VOut>, InternalProcessorContext<KOut, VOut> {
  private children: readonly RuntimeNode[] = []
  private childrenByName = new Map<string, RuntimeNode>()

  constructor(
    private readonly task: TaskContext,
    private readonly nodeName: string,
    private readonly storeNames: readonly string[],
  ) {}

  /** @internal wired once when the task instantiates its nodes. */
  setChildren(children: readonly RuntimeNode[]): void {
    this.children = children
    this.childrenByName = new Map(children.map((c) => [c.name, c]))
  }

  get applicationId(): string {
    return this.task.applicationId
  }

  get taskId(): string {
    return this.task.taskId
  }

  get logger(): Logger {
    return this.task.logger
  }

  recordDropped(reason: DropReason, detail: string): void {
    this.task.recordDropped(reason, this.nodeName, detail)
  }

  cachingEnabled(storeName: string): boolean {
    return this.storeNames.includes(storeName) && this.task.caching(storeName)
  }

  onFlush(flush: () => boolean): void {
    this.task.flushes.push({ node: this.nodeName, flush })
  }

  currentRecord(): ConsumedRecord<unknown, unknown> | undefined {
    return this.task.currentRecord
  }

  forwardAs(source: ConsumedRecord<unknown, unknown> | undefined, record: StreamRecord<KOut, VOut>): void {
    const outer = this.task.currentRecord
    const outerRawKey = this.task.currentRawKey
    this.task.currentRecord = source
    this.task.currentRawKey = undefined
    this.task.currentNode = this.nodeName
    try {
      this.forward(record)
    } catch (error) {
      this.task.processingError(error)
    } finally {
      this.task.currentRecord = outer
      this.task.currentRawKey = outerRawKey
      this.task.currentNode = this.nodeName
    }
  }

  forward(record: StreamRecord<KOut, VOut>, childName?: string): void {
    if (childName !== undefined) {
      const child = this.childrenByName.get(childName)
      if (child === undefined) {
        throw new ProcessingError('UNKNOWN_CHILD', `Node "${this.nodeName}" has no child named "${childName}"`, {
          taskId: this.task.taskId,
          node: this.nodeName,
        })
      }
      child.process(record)
      this.task.currentNode = this.nodeName
      return
    }
    const children = this.children
    for (let i = 0; i < children.length; i++) {
      children[i]!.process(record)
      this.task.currentNode = this.nodeName
    }
  }

  schedule(intervalMs: number, type: PunctuationType, punctuator: Punctuator): Cancellable {
    if (!Number.isInteger(intervalMs) || intervalMs < 1) {
      throw new StreamfoldError('CONFIG_INVALID', `Punctuation interval must be a whole number of milliseconds >= 1, got ${intervalMs}`, {
        taskId: this.task.taskId,
        node: this.nodeName,
      })
    }
    if (type === 'stream-time') {
      // Aligned to 0 and due as soon as stream time is known, as in Kafka Streams.
      return this.task.streamTimePunctuations.schedule(this.nodeName, 0, intervalMs, punctuator)
    }
    return this.task.wallClockPunctuations.schedule(this.nodeName, this.task.wallClock() + intervalMs, intervalMs, punctuator)
  }

  recordMetadata(): RecordMetadata | undefined {
    return this.task.currentRecord
  }

  currentStreamTimeMs(): number {
    return this.task.streamTime
  }

  currentSystemTimeMs(): number {
    return this.task.wallClock()
  }

  getStateStore<S = unknown>(name: string): S {
    if (!this.storeNames.includes(name)) {
      if (this.task.globalStores?.has(name) === true) return this.task.globalStores.store(name) as S
      throw new ProcessingError(
        'UNKNOWN_STATE_STORE',
        `Processor "${this.nodeName}" asked for state store "${name}", which is not connected to it (connected: ${this.storeNames.join(', ') || 'none'})`,
        { taskId: this.task.taskId, node: this.nodeName, store: name },
      )
    }
    return this.task.stores(name) as S
  }
}
