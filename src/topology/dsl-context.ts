import type { Serde } from '../serdes/serde'
import type { StoreSpec } from '../state/store-spec'
import { repartitionTopicName } from './internal-topic-name'
import { extendLineage } from './stable-name'
import type { StreamInfo } from './stream-info'
import { TopologyBuilder } from './topology-builder'

/** Options every DSL operation takes: the processor node's name (else one is generated). */
export interface NamedOptions {
  readonly name?: string
}

/**
 * What every KStream and KTable of one StreamBuilder shares: the node graph and the name counter.
 * Generated node names follow Kafka Streams (`KSTREAM-FILTER-0000000003`) so describe() reads the
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

  /** Adds a processor with one parent and connects it to its stores. */
  addStatefulProcessor(name: string, supplier: Parameters<TopologyBuilder['addProcessor']>[1], parent: string, stores: readonly StoreSpec[]): void {
    this.graph.addProcessor(name, supplier, parent)
    for (const store of stores) this.graph.addStateStore(store, name)
  }

  /**
   * Routes a stream through the repartition topic `${applicationId}-${name}-repartition`: a sink
   * writes records there (partitioned by key) and a new source reads them back, which starts a
   * new sub-topology.
   */
  repartition<K, V>(
    upstream: StreamInfo<K, V>,
    name: string,
    serdes: { readonly key: Serde<K>; readonly value: Serde<V>; readonly partitions?: number },
  ): StreamInfo<K, V> {
    const topic = repartitionTopicName(name)
    const sinkName = `${topic}-sink`
    const sourceName = `${topic}-source`
    this.graph.addSinkNode(sinkName, topic, { key: serdes.key, value: serdes.value }, [upstream.nodeName], true)
    this.graph.addSource(sourceName, topic, { key: serdes.key, value: serdes.value }, true, serdes.partitions)
    return {
      nodeName: sourceName,
      keyChanged: false,
      lineage: extendLineage(upstream.lineage, 'repartition', name),
      keySerde: serdes.key,
      valueSerde: serdes.value,
    }
  }
}
