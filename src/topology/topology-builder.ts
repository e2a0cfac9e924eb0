import type { Deserializer, Serializer } from '../serdes/serde'
import type { ProcessorSupplier } from '../processors/processor'
import type {
  NodeSpec,
  StoreSpec,
  StreamPartitioner,
  TimestampExtractor,
  TopicNameExtractor,
} from './node-spec'
import { compileTopology } from './compile-topology'
import type { Topology } from './topology'
import type { GlobalStoreSpec } from './global-store-spec'

export interface SourceOptions<K, V> {
  readonly key: Deserializer<K>
  readonly value: Deserializer<V>
  readonly timestampExtractor?: TimestampExtractor<K, V>
}

export interface SinkOptions<K, V> {
  /** Never called with null: null keys and values are written as null. */
  readonly key: Serializer<NonNullable<K>>
  readonly value: Serializer<NonNullable<V>>
  readonly partitioner?: StreamPartitioner<K, V>
}

/**
 * The low-level way to assemble a topology by naming nodes and their parents, as Kafka Streams'
 * `Topology.addSource/addProcessor/addSink`. Nodes may be added in any order; everything is
 * checked at once by `build()`, which throws a TopologyError with a code and the offending node.
 * The StreamBuilder DSL writes into one of these.
 */
export class TopologyBuilder {
  private readonly nodes: NodeSpec[] = []
  private readonly stores: StoreSpec[] = []
  private readonly globalStores: GlobalStoreSpec[] = []
  /** processor name -> store names, from addStateStore/connect calls (merged at build). */
  private readonly storeConnections: Array<readonly [processor: string, store: string]> = []

  addSource<K, V>(name: string, topics: string | readonly string[], options: SourceOptions<K, V>, internal = false, partitions?: number): this {
    this.nodes.push({
      partitions,
      kind: 'source',
      name,
      topics: typeof topics === 'string' ? [topics] : [...topics],
      keySerde: options.key,
      valueSerde: options.value,
      timestampExtractor: options.timestampExtractor as TimestampExtractor<unknown, unknown> | undefined,
      internal,
    })
    return this
  }

  addProcessor<KIn, VIn, KOut, VOut>(
    name: string,
    supplier: ProcessorSupplier<KIn, VIn, KOut, VOut>,
    ...parents: string[]
  ): this {
    this.nodes.push({ kind: 'processor', name, parents, supplier, stores: [] })
    return this
  }

  addSink<K, V>(
    name: string,
    topic: string | TopicNameExtractor<K, V>,
    options: SinkOptions<K, V>,
    ...parents: string[]
  ): this {
    return this.addSinkNode(name, topic, options, parents, false)
  }

  /** @internal used by the DSL for repartition topics. */
  addSinkNode<K, V>(
    name: string,
    topic: string | TopicNameExtractor<K, V>,
    options: SinkOptions<K, V>,
    parents: readonly string[],
    internal: boolean,
  ): this {
    this.nodes.push({
      kind: 'sink',
      name,
      parents,
      topic: topic as string | TopicNameExtractor<unknown, unknown>,
      keySerde: options.key,
      valueSerde: options.value,
      partitioner: options.partitioner as StreamPartitioner<unknown, unknown> | undefined,
      internal,
    })
    return this
  }

  /** Registers a store and connects it to the named processors. */
  addStateStore(store: StoreSpec, ...processorNames: string[]): this {
    this.stores.push(store)
    return this.connectProcessorAndStateStores(processorNames, store.name)
  }

  connectProcessorAndStateStores(processorNames: string | readonly string[], ...storeNames: string[]): this {
    const processors = typeof processorNames === 'string' ? [processorNames] : processorNames
    for (const processor of processors) {
      for (const store of storeNames) this.storeConnections.push([processor, store])
    }
    return this
  }

  /** @internal used by StreamBuilder.globalTable: a store holding every partition of its topic. */
  addGlobalStore(spec: GlobalStoreSpec): this {
    this.globalStores.push(spec)
    return this
  }

  /** Whether a node of this name was added (the DSL uses it to keep generated names unique). */
  hasNode(name: string): boolean {
    return this.nodes.some((n) => n.name === name)
  }

  hasStore(name: string): boolean {
    return this.stores.some((s) => s.name === name) || this.globalStores.some((g) => g.store.name === name)
  }

  /** Validates everything and returns the immutable Topology. */
  build(): Topology {
    return compileTopology(this.nodes, this.stores, this.storeConnections, this.globalStores)
  }
}
