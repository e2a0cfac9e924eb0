import type { NodeSpec } from './node-spec'
import { parentsOf } from './node-spec'
import type { Subtopology, Topology } from './topology'

/**
 * Kafka Streams' TopologyDescription text, byte for byte where the concepts match, so that
 * people (and tools) used to reading it feel at home. Nodes are ordered as Kafka orders them:
 * larger sub-trees first, then by name.
 */
export function describeTopology(topology: Topology): string {
  let out = 'Topologies:\n '
  for (const sub of topology.subtopologies) out += `  ${describeSubtopology(topology, sub)}`
  // Kafka Streams lists each global store as a sub-topology of its own that makes no tasks; unlike
  // a sub-topology's, its text has no blank line after it (Kafka's GlobalStore.toString).
  topology.globalStores.forEach((g, i) => {
    out +=
      `  Sub-topology: ${topology.subtopologies.length + i} for global store (will not generate tasks)\n` +
      `    Source: ${g.sourceName} (topics: [${g.topic}])\n      --> ${g.processorName}\n` +
      `    Processor: ${g.processorName} (stores: [${g.store.name}])\n      --> none\n      <-- ${g.sourceName}\n`
  })
  return out
}

function describeSubtopology(topology: Topology, sub: Subtopology): string {
  const sizes = subtreeSizes(topology, sub)
  const order = (names: readonly string[]): string[] =>
    [...names].sort((a, b) => sizes.get(b)! - sizes.get(a)! || compareNames(a, b))
  const list = (names: readonly string[]): string => (names.length === 0 ? 'none' : order(names).join(', '))
  let text = `Sub-topology: ${sub.id}\n`
  for (const name of order(sub.nodes)) {
    text += `    ${describeNode(topology.node(name), list(topology.children(name)), list(parentsOf(topology.node(name))))}\n`
  }
  return `${text}\n`
}

function describeNode(node: NodeSpec, children: string, parents: string): string {
  switch (node.kind) {
    case 'source':
      return `Source: ${node.name} (topics: [${node.topics.join(', ')}])\n      --> ${children}`
    case 'processor':
      return `Processor: ${node.name} (stores: [${node.stores.join(', ')}])\n      --> ${children}\n      <-- ${parents}`
    case 'sink':
      return typeof node.topic === 'string'
        ? `Sink: ${node.name} (topic: ${node.topic})\n      <-- ${parents}`
        : `Sink: ${node.name} (extractor: ${node.topic.name || 'anonymous'})\n      <-- ${parents}`
  }
}

/** Size of the sub-tree under each node, counting shared descendants once per path (as Kafka does). */
function subtreeSizes(topology: Topology, sub: Subtopology): Map<string, number> {
  const sizes = new Map<string, number>()
  const size = (name: string): number => {
    const known = sizes.get(name)
    if (known !== undefined) return known
    const total = 1 + topology.children(name).reduce((sum, child) => sum + size(child), 0)
    sizes.set(name, total)
    return total
  }
  for (const name of sub.nodes) size(name)
  return sizes
}

/** Java's String.compareTo: UTF-16 code unit order, not locale order. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
