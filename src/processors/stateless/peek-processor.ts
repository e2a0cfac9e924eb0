import type { Processor, ProcessorContext, ProcessorSupplier } from '../processor'
import type { StreamRecord } from '../stream-record'

export type ForeachAction<K, V> = (key: K, value: V) => void

/** peek calls `action` and forwards the record unchanged; foreach (terminal) only calls it. */
export function peekProcessor<K, V>(action: ForeachAction<K, V>, forward: boolean): ProcessorSupplier<K, V, K, V> {
  return forward ? () => new PeekProcessor(action) : () => new ForeachProcessor(action)
}

class PeekProcessor<K, V> implements Processor<K, V, K, V> {
  private context!: ProcessorContext<K, V>
  constructor(private readonly action: ForeachAction<K, V>) {}
  init(context: ProcessorContext<K, V>): void {
    this.context = context
  }
  process(record: StreamRecord<K, V>): void {
    this.action(record.key, record.value)
    this.context.forward(record)
  }
}

class ForeachProcessor<K, V> implements Processor<K, V> {
  constructor(private readonly action: ForeachAction<K, V>) {}
  process(record: StreamRecord<K, V>): void {
    this.action(record.key, record.value)
  }
}
