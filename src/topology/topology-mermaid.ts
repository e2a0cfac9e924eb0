import type { Topology } from './topology'
import { parentsOf } from './node-spec'

/**
 * A Mermaid flowchart of the topology: one subgraph per sub-topology, topics as stadium-shaped
 * nodes, stores as cylinders, so the picture shows how data flows between sub-topologies too.
 */
export function topologyToMermaid(topology: Topology): string {
  const ids = new Map<string, string>()
  const id = (kind: 'n' | 't' | 's', name: string): string => {
    const key = `${kind}:${name}`
    let value = ids.get(key)
    if (value === undefined) {
      value = `${kind}${ids.size}`
      ids.set(key, value)
    }
    return value
  }
  const lines = ['flowchart TD']
  const topics = new Set<string>()
  for (const sub of topology.subtopologies) {
    lines.push(`  subgraph sub${sub.id}["Sub-topology: ${sub.id}"]`)
    for (const name of sub.nodes) {
      const node = topology.node(name)
      const label = escapeLabel(`${node.kind}: ${name}`)
      lines.push(node.kind === 'processor' ? `    ${id('n', name)}["${label}"]` : `    ${id('n', name)}[/"${label}"/]`)
    }
    lines.push('  end')
  }
  for (const name of topology.nodeNames) {
    const node = topology.node(name)
    for (const parent of parentsOf(node)) lines.push(`  ${id('n', parent)} --> ${id('n', name)}`)
    if (node.kind === 'source') {
      for (const topic of node.topics) {
        topics.add(topic)
        lines.push(`  ${id('t', topic)} --> ${id('n', name)}`)
      }
    } else if (node.kind === 'sink') {
      const topic = typeof node.topic === 'string' ? node.topic : `(extractor ${node.topic.name || 'anonymous'})`
      topics.add(topic)
      lines.push(`  ${id('n', name)} --> ${id('t', topic)}`)
    } else {
      for (const store of node.stores) {
        const declared = ids.has(`s:${store}`)
        lines.push(`  ${id('n', name)} -.- ${id('s', store)}${declared ? '' : `[("${escapeLabel(store)}")]`}`)
      }
    }
  }
  for (const topic of topics) lines.push(`  ${id('t', topic)}(["${escapeLabel(topic)}"])`)
  return `${lines.join('\n')}\n`
}

/** Mermaid labels are quoted; a double quote inside one must be written as an entity. */
function escapeLabel(text: string): string {
  return text.replace(/"/g, '#quot;')
}
