import type { Processor } from '../../processors/processor'
import type { StreamRecord } from '../../processors/stream-record'
import type { NodeContext } from './node-context'
import type { RuntimeNode } from './runtime-node'
import type { TaskContext } from './task-context'

/** A processor instance of one task, with its context. */
export class ProcessorNode implements RuntimeNode {
  constructor(
    readonly name: string,
    private readonly processor: Processor<unknown, unknown, unknown, unknown>,
    readonly context: NodeContext<unknown, unknown>,
    private readonly task: TaskContext,
  ) {}

  init(): void {
    this.task.currentNode = this.name
    this.processor.init?.(this.context)
  }

  process(record: StreamRecord<unknown, unknown>): void {
    this.task.currentNode = this.name
    this.processor.process(record)
  }

  close(): void {
    this.task.currentNode = this.name
    this.processor.close?.()
  }
}
