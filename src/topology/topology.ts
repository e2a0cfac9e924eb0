import type { NodeSpec, SinkNodeSpec, SourceNodeSpec, StoreSpec } from './node-spec'
import { parentsOf } from './node-spec'
import { describeTopology } from './describe-topology'
import { topologyToMermaid } from './topology-mermaid'
import { resolveTopicName } from './internal-topic-name'
import type { GlobalStoreSpec } from './global-store-spec'

/** A connected component of the node graph: it becomes one task per input partition. */
export interface Subtopology {
  readonly id: number
  /** Node names in the order they were added (parents before children for DSL topologies). */
  readonly nodes: readonly string[]
  readonly sourceTopics: readonly string[]
  readonly stores: readonly string[]
}

/**
 * An immutable, validated topology: data only. Build it with `StreamBuilder.build()` or
 * `TopologyBuilder.build()`; every task instantiates its own processors from it.
 */
export class Topology {
  readonly subtopologies: readonly Subtopology[]
  private readonly nodesByName: ReadonlyMap<string, NodeSpec>
  private readonly childrenByName: ReadonlyMap<string, readonly string[]>
  private readonly storesByName: ReadonlyMap<string, StoreSpec>
  /** Stores holding every partition of a topic, outside any task (GlobalKTable). */
  readonly globalStores: readonly GlobalStoreSpec[]

  /** @internal built by compileTopology, which has validated everything. */
  constructor(nodes: readonly NodeSpec[], stores: readonly StoreSpec[], subtopologies: readonly Subtopology[], globalStores: readonly GlobalStoreSpec[] = []) {
    this.globalStores = Object.freeze([...globalStores])
    this.nodesByName = new Map(nodes.map((n) => [n.name, Object.freeze(n)]))
    const children = new Map<string, string[]>(nodes.map((n) => [n.name, []]))
    for (const node of nodes) {
      for (const parent of parentsOf(node)) children.get(parent)!.push(node.name)
    }
    this.childrenByName = children
    this.storesByName = new Map(stores.map((s) => [s.name, s]))
    this.subtopologies = Object.freeze(subtopologies.map((s) => Object.freeze(s)))
    Object.freeze(this)
  }

  get nodeNames(): readonly string[] {
    return [...this.nodesByName.keys()]
  }

  node(name: string): NodeSpec {
    const node = this.nodesByName.get(name)
    if (node === undefined) throw new Error(`Topology has no node "${name}"`)
    return node
  }

  children(name: string): readonly string[] {
    return this.childrenByName.get(name) ?? []
  }

  store(name: string): StoreSpec | undefined {
    return this.storesByName.get(name)
  }

  get stores(): readonly StoreSpec[] {
    return [...this.storesByName.values()]
  }

  /** Every topic some source reads, in node order. */
  get sourceTopics(): readonly string[] {
    return this.sources().flatMap((s) => s.topics)
  }

  sources(): SourceNodeSpec[] {
    return [...this.nodesByName.values()].filter((n): n is SourceNodeSpec => n.kind === 'source')
  }

  sinks(): SinkNodeSpec[] {
    return [...this.nodesByName.values()].filter((n): n is SinkNodeSpec => n.kind === 'sink')
  }

  /** The topics a sub-topology's tasks read, with repartition topics prefixed by `applicationId`. */
  inputTopics(subtopology: Subtopology, applicationId: string): string[] {
    return subtopology.nodes.flatMap((name) => {
      const node = this.node(name)
      return node.kind === 'source' ? node.topics.map((t) => resolveTopicName(t, node.internal, applicationId)) : []
    })
  }

  /** Repartition topics (unprefixed names) with the sub-topology that writes and the one that reads each. */
  repartitionTopics(): Array<{ readonly topic: string; readonly partitions: number | undefined; readonly reader: number; readonly writers: number[] }> {
    return this.sources()
      .filter((s) => s.internal)
      .flatMap((source) =>
        source.topics.map((topic) => ({
          topic,
          partitions: source.partitions,
          reader: this.subtopologyForTopic(topic)!.id,
          writers: this.sinks()
            .filter((k) => k.internal && k.topic === topic)
            .map((k) => this.subtopologies.find((s) => s.nodes.includes(k.name))!.id),
        })),
      )
  }

  subtopologyForTopic(topic: string): Subtopology | undefined {
    return this.subtopologies.find((s) => s.sourceTopics.includes(topic))
  }

  /** Kafka Streams' TopologyDescription text: `Topologies:`, `Sub-topology: 0`, `-->`, `<--`. */
  describe(): string {
    return describeTopology(this)
  }

  /** A Mermaid flowchart, ready to paste into a Markdown file. */
  toMermaid(): string {
    return topologyToMermaid(this)
  }
}
