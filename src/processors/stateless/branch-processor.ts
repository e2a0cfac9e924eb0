import type { Processor, ProcessorContext, ProcessorSupplier } from '../processor'
import type { StreamRecord } from '../stream-record'
import type { Predicate } from './filter-processor'

/**
 * split(): sends each record to the first branch whose predicate matches, else to the default
 * branch if there is one, else drops it (Kafka Streams' BranchedKStream semantics).
 * `predicates` and `children` are read when a task creates the processor, after the DSL has
 * finished adding branches.
 */
export function branchProcessor<K, V>(
  predicates: readonly Predicate<K, V>[],
  children: readonly string[],
  defaultChild: () => string | undefined,
): ProcessorSupplier<K, V, K, V> {
  return () => new BranchProcessor([...predicates], [...children], defaultChild())
}

class BranchProcessor<K, V> implements Processor<K, V, K, V> {
  private context!: ProcessorContext<K, V>

  constructor(
    private readonly predicates: readonly Predicate<K, V>[],
    private readonly children: readonly string[],
    private readonly defaultChild: string | undefined,
  ) {}

  init(context: ProcessorContext<K, V>): void {
    this.context = context
  }

  process(record: StreamRecord<K, V>): void {
    for (let i = 0; i < this.predicates.length; i++) {
      if (this.predicates[i]!(record.key, record.value)) {
        this.context.forward(record, this.children[i])
        return
      }
    }
    if (this.defaultChild !== undefined) this.context.forward(record, this.defaultChild)
  }
}
