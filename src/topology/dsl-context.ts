import { TopologyBuilder } from './topology-builder'

/** Options every DSL operation takes: the processor node's name (else one is generated). */
export interface NamedOptions {
  readonly name?: string
}

/**
 * What every KStream of one StreamBuilder shares: the node graph and the name counter.
 * Generated names follow Kafka Streams (`KSTREAM-FILTER-0000000003`) so describe() reads the
 * same. They are only node labels: names that reach disk or Kafka (stores, repartition and
 * changelog topics) never come from this counter, because it shifts when nodes are added.
 */
export class DslContext {
  readonly graph = new TopologyBuilder()
  private counter = 0

  nodeName(prefix: string, options?: NamedOptions): string {
    if (options?.name !== undefined) return options.name
    return `${prefix}${String(this.counter++).padStart(10, '0')}`
  }
}
