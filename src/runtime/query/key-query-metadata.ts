import { StreamfoldError } from '../../errors'
import type { Serializer } from '../../serdes/serde'
import { defaultPartition } from '../broker/murmur2'
import type { QueryRuntime } from './queryable-stores'

/**
 * Kafka Streams' KeyQueryMetadata without hosts: we keep no instance-to-instance metadata
 * (application.server), so callers route by partition themselves.
 */
export interface KeyQueryMetadata {
  /** The partition holding the key: the default (murmur2) partitioner's choice, as the sinks and the producer make it. */
  readonly partition: number
  /** This instance runs the task of that partition now. */
  readonly local: boolean
}

/** A global store holds every key on every instance: no partition applies, so -1 and local. */
export function keyQueryMetadata<K>(rt: QueryRuntime, storeName: string, key: K, keySerializer: Serializer<K>): KeyQueryMetadata {
  const state = rt.state()
  if (state === 'CREATED') throw new StreamfoldError('STREAMS_NOT_STARTED', 'key metadata is known once the app is started (call start())')
  if (rt.topology.globalStores.some((g) => g.store.name === storeName)) return { partition: -1, local: rt.globals() !== undefined }
  const sub = rt.topology.subtopologies.find((s) => s.stores.includes(storeName))
  if (sub === undefined) throw new StreamfoldError('UNKNOWN_STATE_STORE', `the topology has no state store named "${storeName}"`, { store: storeName })
  const tasks = rt.tasks()
  const partitions = tasks?.partitionsOf(sub.id)
  if (tasks === undefined || partitions === undefined) {
    throw new StreamfoldError('STATE_STORE_NOT_AVAILABLE', `key metadata is not available while the app is ${state}`, { store: storeName })
  }
  // The topic name only matters to serdes that look at it; the store's changelog name is not known here.
  const partition = defaultPartition(keySerializer.serialize(key, storeName), partitions)
  const local = tasks.runningTasks().some((t) => t.id === `${sub.id}_${partition}`)
  return { partition, local }
}
