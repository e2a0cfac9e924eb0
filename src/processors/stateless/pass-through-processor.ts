import type { Processor, ProcessorContext, ProcessorSupplier } from '../processor'
import type { StreamRecord } from '../stream-record'

/** Forwards every record unchanged: merge points and split branches. */
export function passThroughProcessor<K, V>(): ProcessorSupplier<K, V, K, V> {
  return () => new PassThroughProcessor<K, V>()
}

class PassThroughProcessor<K, V> implements Processor<K, V, K, V> {
  private context!: ProcessorContext<K, V>
  init(context: ProcessorContext<K, V>): void {
    this.context = context
  }
  process(record: StreamRecord<K, V>): void {
    this.context.forward(record)
  }
}
