import type { Processor, ProcessorContext, ProcessorSupplier } from '../processor'
import type { StreamRecord } from '../stream-record'

export type Predicate<K, V> = (key: K, value: V) => boolean

/** Forwards the records for which `predicate` is true (or false, with `negate`), unchanged. */
export function filterProcessor<K, V>(predicate: Predicate<K, V>, negate: boolean): ProcessorSupplier<K, V, K, V> {
  return () => new FilterProcessor(predicate, negate)
}

class FilterProcessor<K, V> implements Processor<K, V, K, V> {
  private context!: ProcessorContext<K, V>

  constructor(
    private readonly predicate: Predicate<K, V>,
    private readonly negate: boolean,
  ) {}

  init(context: ProcessorContext<K, V>): void {
    this.context = context
  }

  process(record: StreamRecord<K, V>): void {
    if (this.predicate(record.key, record.value) !== this.negate) this.context.forward(record)
  }
}
