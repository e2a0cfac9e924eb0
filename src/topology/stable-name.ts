/**
 * Names for stores and repartition topics the user did not name. They end up on disk and in
 * Kafka, so they must not shift when unrelated nodes are added (Kafka Streams' counter-based
 * names do, orphaning state: KIP-307). Ours hash the operation's lineage instead: the source
 * topics and the chain of operations (and user-given node names) that lead to it. Adding a node
 * elsewhere leaves them alone; changing this chain renames them, as it should.
 */
export function stableName(lineage: string, operation: string): string {
  const head = lineage.split('>')[0]!.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80)
  return `${head}-${operation}-${fnv1a32(`${lineage}|${operation}`)}`
}

/** Extends a lineage with one more operation. */
export function extendLineage(lineage: string, operation: string, userName: string | undefined): string {
  return `${lineage}>${operation}${userName === undefined ? '' : `(${userName})`}`
}

function fnv1a32(text: string): string {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0).toString(16).padStart(8, '0')
}
