/**
 * Turns the specs gathered by a TopologyBuilder into an immutable Topology, or throws a
 * TopologyError naming the first problem found. Every check runs here, at build time, so a
 * topology that builds never fails for its shape at run time.
 */
import { TopologyError } from '../errors'
import type { NodeSpec, ProcessorNodeSpec, StoreSpec } from './node-spec'
import { parentsOf } from './node-spec'
import { Topology, type Subtopology } from './topology'
import type { GlobalStoreSpec } from './global-store-spec'

export function compileTopology(
  specs: readonly NodeSpec[],
  stores: readonly StoreSpec[],
  storeConnections: ReadonlyArray<readonly [processor: string, store: string]>,
  globalStores: readonly GlobalStoreSpec[] = [],
): Topology {
  // Global stores alone make a runnable app (a local, queryable replica of a topic): Kafka Streams
  // runs it with the global thread and no stream thread. Only a topology with neither is refused.
  if (specs.length === 0 && globalStores.length === 0) {
    throw new TopologyError(
      'TOPOLOGY_EMPTY',
      'Topology has no nodes: add at least one source (builder.stream(...) or builder.table(...)) or a global table (builder.globalTable(...)) before build()',
    )
  }
  const byName = indexNodes(specs)
  const storesByName = indexStores([...stores, ...globalStores.map((g) => g.store)])
  checkSourceTopics(specs, globalStores)
  checkParents(specs, byName)
  const nodes = attachStores(specs, byName, storesByName, storeConnections)
  checkGlobalStoresUnconnected(nodes, globalStores)
  checkStoresConnected(nodes, stores)
  checkAcyclic(nodes, byName)
  checkReachableFromSources(nodes)
  return new Topology(nodes, stores, findSubtopologies(nodes), globalStores)
}

function indexNodes(specs: readonly NodeSpec[]): Map<string, NodeSpec> {
  const byName = new Map<string, NodeSpec>()
  for (const spec of specs) {
    if (spec.name.length === 0) {
      throw new TopologyError('TOPOLOGY_INVALID', `A ${spec.kind} node has an empty name`)
    }
    if (byName.has(spec.name)) {
      throw new TopologyError('TOPOLOGY_DUPLICATE_NAME', `Two nodes are named "${spec.name}": node names must be unique`, {
        node: spec.name,
      })
    }
    byName.set(spec.name, spec)
  }
  return byName
}

function indexStores(stores: readonly StoreSpec[]): Map<string, StoreSpec> {
  const byName = new Map<string, StoreSpec>()
  for (const store of stores) {
    if (byName.has(store.name)) {
      throw new TopologyError('TOPOLOGY_DUPLICATE_STORE', `Two state stores are named "${store.name}": store names must be unique`, {
        store: store.name,
      })
    }
    byName.set(store.name, store)
  }
  return byName
}

function checkSourceTopics(specs: readonly NodeSpec[], globalStores: readonly GlobalStoreSpec[]): void {
  const owner = new Map<string, string>(globalStores.map((g) => [g.topic, g.sourceName]))
  if (owner.size < globalStores.length) {
    const topic = globalStores.find((g, i) => globalStores.findIndex((o) => o.topic === g.topic) !== i)!.topic
    throw new TopologyError('TOPOLOGY_DUPLICATE_TOPIC', `Topic "${topic}" is read by two global tables: read it once and share the table`, { topic })
  }
  for (const spec of specs) {
    if (spec.kind !== 'source') continue
    if (spec.topics.length === 0) {
      throw new TopologyError('TOPOLOGY_INVALID', `Source "${spec.name}" names no topic`, { node: spec.name })
    }
    for (const topic of spec.topics) {
      const other = owner.get(topic)
      if (other !== undefined) {
        throw new TopologyError(
          'TOPOLOGY_DUPLICATE_TOPIC',
          `Topic "${topic}" is read by two sources, "${other}" and "${spec.name}": read it once and share the stream`,
          { node: spec.name, topic },
        )
      }
      owner.set(topic, spec.name)
    }
  }
}

function checkParents(specs: readonly NodeSpec[], byName: ReadonlyMap<string, NodeSpec>): void {
  for (const spec of specs) {
    if (spec.kind === 'source') continue
    if (spec.parents.length === 0) {
      throw new TopologyError('TOPOLOGY_NO_SOURCE_PATH', `${capitalize(spec.kind)} "${spec.name}" has no parent, so no record can reach it`, {
        node: spec.name,
      })
    }
    for (const parent of spec.parents) {
      const parentSpec = byName.get(parent)
      if (parentSpec === undefined) {
        throw new TopologyError('TOPOLOGY_UNKNOWN_PARENT', `${capitalize(spec.kind)} "${spec.name}" names an unknown parent "${parent}"`, {
          node: spec.name,
        })
      }
      if (parentSpec.kind === 'sink') {
        throw new TopologyError('TOPOLOGY_INVALID', `${capitalize(spec.kind)} "${spec.name}" has sink "${parent}" as parent: sinks have no children`, {
          node: spec.name,
        })
      }
    }
  }
}

function attachStores(
  specs: readonly NodeSpec[],
  byName: ReadonlyMap<string, NodeSpec>,
  storesByName: ReadonlyMap<string, StoreSpec>,
  connections: ReadonlyArray<readonly [string, string]>,
): NodeSpec[] {
  const storesOf = new Map<string, string[]>()
  for (const [processor, store] of connections) {
    const node = byName.get(processor)
    if (node === undefined || node.kind !== 'processor') {
      throw new TopologyError('TOPOLOGY_INVALID', `State store "${store}" is connected to "${processor}", which is not a processor`, {
        node: processor,
        store,
      })
    }
    const list = storesOf.get(processor) ?? []
    if (!list.includes(store)) list.push(store)
    storesOf.set(processor, list)
  }
  return specs.map((spec): NodeSpec => {
    if (spec.kind !== 'processor') return spec
    const stores = [...spec.stores, ...(storesOf.get(spec.name) ?? []).filter((s) => !spec.stores.includes(s))]
    for (const store of stores) {
      if (!storesByName.has(store)) {
        throw new TopologyError('TOPOLOGY_UNKNOWN_STORE', `Processor "${spec.name}" uses state store "${store}", which was never added`, {
          node: spec.name,
          store,
        })
      }
    }
    return stores.length === spec.stores.length ? spec : ({ ...spec, stores } satisfies ProcessorNodeSpec)
  })
}

/** A global store belongs to no task: connecting it would pull it into a sub-topology. */
function checkGlobalStoresUnconnected(nodes: readonly NodeSpec[], globalStores: readonly GlobalStoreSpec[]): void {
  const global = new Set(globalStores.map((g) => g.store.name))
  for (const node of nodes) {
    if (node.kind !== 'processor') continue
    const store = node.stores.find((s) => global.has(s))
    if (store !== undefined) {
      throw new TopologyError(
        'TOPOLOGY_INVALID',
        `Processor "${node.name}" is connected to global store "${store}": global stores are read with getStateStore() without connecting them`,
        { node: node.name, store },
      )
    }
  }
}

function checkStoresConnected(nodes: readonly NodeSpec[], stores: readonly StoreSpec[]): void {
  const used = new Set(nodes.flatMap((n) => (n.kind === 'processor' ? n.stores : [])))
  for (const store of stores) {
    if (!used.has(store.name)) {
      throw new TopologyError('TOPOLOGY_UNCONNECTED_STORE', `State store "${store.name}" is not connected to any processor`, {
        store: store.name,
      })
    }
  }
}

function checkAcyclic(nodes: readonly NodeSpec[], byName: ReadonlyMap<string, NodeSpec>): void {
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (name: string, path: string[]): void => {
    const seen = state.get(name)
    if (seen === 'done') return
    if (seen === 'visiting') {
      // The walk follows parent links; reversed, it reads in the direction records flow.
      const cycle = [...path.slice(path.indexOf(name)), name].reverse()
      throw new TopologyError('TOPOLOGY_CYCLE', `Nodes form a cycle: ${cycle.join(' -> ')}`, { node: name })
    }
    state.set(name, 'visiting')
    for (const parent of parentsOf(byName.get(name)!)) visit(parent, [...path, name])
    state.set(name, 'done')
  }
  for (const node of nodes) visit(node.name, [])
}

function checkReachableFromSources(nodes: readonly NodeSpec[]): void {
  const reachable = new Set(nodes.filter((n) => n.kind === 'source').map((n) => n.name))
  // The graph is acyclic, so repeated passes over parent lists settle within |nodes| rounds.
  let changed = true
  while (changed) {
    changed = false
    for (const node of nodes) {
      if (!reachable.has(node.name) && parentsOf(node).some((p) => reachable.has(p))) {
        reachable.add(node.name)
        changed = true
      }
    }
  }
  for (const node of nodes) {
    if (!reachable.has(node.name)) {
      throw new TopologyError('TOPOLOGY_NO_SOURCE_PATH', `${capitalize(node.kind)} "${node.name}" cannot be reached from any source`, {
        node: node.name,
      })
    }
  }
}

/** Connected components over parent edges and shared stores, numbered by first appearance. */
function findSubtopologies(nodes: readonly NodeSpec[]): Subtopology[] {
  const root = new Map<string, string>(nodes.map((n) => [n.name, n.name]))
  const find = (x: string): string => {
    let r = x
    while (root.get(r) !== r) r = root.get(r)!
    root.set(x, r)
    return r
  }
  const union = (a: string, b: string): void => {
    const ra = find(a)
    const rb = find(b)
    if (ra !== rb) root.set(rb, ra)
  }
  const storeOwner = new Map<string, string>()
  for (const node of nodes) {
    for (const parent of parentsOf(node)) union(node.name, parent)
    if (node.kind !== 'processor') continue
    for (const store of node.stores) {
      const owner = storeOwner.get(store)
      if (owner === undefined) storeOwner.set(store, node.name)
      else union(owner, node.name)
    }
  }
  const groups = new Map<string, NodeSpec[]>()
  for (const node of nodes) {
    const r = find(node.name)
    const group = groups.get(r) ?? []
    group.push(node)
    groups.set(r, group)
  }
  return [...groups.values()].map((members, id) => ({
    id,
    nodes: members.map((m) => m.name),
    sourceTopics: members.flatMap((m) => (m.kind === 'source' ? m.topics : [])),
    stores: [...new Set(members.flatMap((m) => (m.kind === 'processor' ? m.stores : [])))],
  }))
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}
