import { asInternal, type InternalProcessorContext } from '../internal-context'
import type { Processor, ProcessorContext, ProcessorSupplier } from '../processor'
import type { StreamRecord } from '../stream-record'
import type { Change } from './change'
import type { TableValueGetter, TableValueGetterSupplier } from './table-value-getter'

export type TableJoinKind = 'inner' | 'left' | 'outer'

/**
 * One side of a KTable-KTable join (Kafka Streams' KTableKTableInnerJoin, LeftJoin, OuterJoin and
 * RightJoin): an update of this side looks up the other side's current value and forwards the
 * join of its new value and of its old value (so downstream aggregations retract the old result)
 * at the later of the two timestamps. `joiner` takes this side's value first; the DSL passes a
 * swapped joiner to the right side. Which pairs join follows the kind and the side:
 * - inner (either side), and the right side of a left join: nothing without the other value;
 *   a left join's right side then joins the left value with the right's (possibly null) values;
 * - the left side of a left join and either side of an outer join: a missing other value joins
 *   as null, and an update with neither new nor old value emits nothing.
 */
export interface TableJoinSideSpec<K, V, VO, VR> {
  /**
   * Reads the other side's current row (its store, or its ancestors' through its derivation).
   * This side needs no getter of its own: its Change carries the old value to retract.
   */
  readonly other: TableValueGetterSupplier<K, VO>
  /** Whether this side's values join when the other side has none. */
  readonly thisOptional: boolean
  /** Whether the other side's values join when this side has none (null). */
  readonly otherOptional: boolean
  readonly joiner: (key: K, value: V | null, otherValue: VO | null) => VR
}

export function tableJoinSideProcessor<K, V, VO, VR>(spec: TableJoinSideSpec<K, V, VO, VR>): ProcessorSupplier<K, Change<V>, K, Change<VR>> {
  return () => new TableJoinSideProcessor(spec)
}

class TableJoinSideProcessor<K, V, VO, VR> implements Processor<K, Change<V>, K, Change<VR>> {
  private context!: InternalProcessorContext<K, Change<VR>>
  private other!: TableValueGetter<K, VO>

  constructor(private readonly spec: TableJoinSideSpec<K, V, VO, VR>) {}

  init(context: ProcessorContext<K, Change<VR>>): void {
    this.context = asInternal(context)
    this.other = this.spec.other.open(context)
  }

  process(record: StreamRecord<K, Change<V>>): void {
    const { key } = record
    if (key === null || key === undefined) return this.context.recordDropped('null-key', 'a table-table join skips records with a null key')
    const { newValue, oldValue } = record.value
    const other = this.other.get(key)
    const otherValue = other?.value ?? null
    if (otherValue === null && (!this.spec.thisOptional || (newValue === null && oldValue === null))) return
    const joins = (value: V | null): boolean => (value !== null && (otherValue !== null || this.spec.thisOptional)) || (otherValue !== null && this.spec.otherOptional)
    const join = (value: V | null): VR | null => (joins(value) ? this.spec.joiner(key, value, otherValue) : null)
    const timestamp = Math.max(record.timestamp, other?.timestamp ?? record.timestamp)
    this.context.forward({ key, value: { newValue: join(newValue), oldValue: join(oldValue) }, timestamp, headers: record.headers })
  }
}

/** Joins the two sides' results into one table node (Kafka Streams' KTableKTableJoinMerger, unmaterialized). */
export function tableJoinMergeProcessor<K, VR>(): ProcessorSupplier<K, Change<VR>, K, Change<VR>> {
  return () => {
    let context: ProcessorContext<K, Change<VR>>
    return {
      init: (c: ProcessorContext<K, Change<VR>>) => {
        context = c
      },
      process: (record: StreamRecord<K, Change<VR>>) => context.forward(record),
    }
  }
}
