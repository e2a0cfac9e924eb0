/**
 * The state side of restore: one RestoreTarget per logged store of a task, for the changelog
 * restorer. Each chunk is one atomic write to the store's database holding the chunk's data and
 * the store's new changelog position, so an interrupted restore resumes where it stopped.
 */
import { type RestoreEndEvent, restoreChangelogs, type RestoreTarget } from '../changelog/changelog-restorer'
import { TaskCorruptedError } from '../errors'
import type { Logger } from '../logger'
import type { TopicPartitionOffset } from '../runtime/broker/broker'
import { fromBinary } from './binary-key'
import type { DbOp } from './byte-db'
import { RestoreCompaction } from './restore-compaction'
import { KeyValueEngine } from './store-engine'
import type { StoreInstance } from './store-factory'
import { changelogPositionOp, partitionKey } from './task-meta'
import type { TaskState } from './task-state'
import type { TaskRestoreOptions } from './task-stores'

export interface TaskRestoreRequest extends TaskRestoreOptions {
  readonly instances: readonly StoreInstance[]
  readonly state: TaskState
  readonly partition: number
  readonly logger: Logger
}

export async function restoreTaskStores(request: TaskRestoreRequest): Promise<RestoreEndEvent[]> {
  const { instances, state, logger } = request
  // What the local state already applied counts as committed too: those records' effects are in
  // it (at_least_once writes LevelDB before committing offsets), so re-reading them must apply them.
  const committed = highest(request.committedOffsets, state.dedup.appliedOffsets())
  const persistent = instances.filter((i) => i.engine.core.db === state.taskDb)
  const compaction = state.taskDb === undefined
    ? undefined
    : await RestoreCompaction.prepare(state.taskDb, persistent.map((i) => ({ storeName: i.name, prefix: i.engine.core.prefix })))
  const targets = instances.map((instance) => target(instance, request, compaction))
  let results: RestoreEndEvent[]
  try {
    results = await restoreChangelogs(targets, {
      reader: request.reader,
      committedOffsets: committed,
      maxBatchRecords: request.maxBatchRecords,
      listener: request.listener,
      logger,
    })
  } finally {
    for (const instance of instances) instance.engine.afterRestore()
  }
  compaction?.start(logger)
  for (const result of results) {
    const persistent = instances.find((i) => i.name === result.storeName)?.engine.core.db.persistent
    if (persistent === true && result.startOffset === 0 && result.applied > 0) {
      logger.warn(
        { store: result.storeName, topic: result.topic, partition: result.partition, applied: result.applied },
        'local state was missing: store rebuilt from its changelog',
      )
    }
  }
  return results
}

function target(instance: StoreInstance, request: TaskRestoreRequest, compaction: RestoreCompaction | undefined): RestoreTarget {
  const { state, partition } = request
  const { engine, name } = instance
  const stored = state.positions.get(name)
  if (stored !== undefined && stored.partition !== partition) {
    throw new TaskCorruptedError('local state belongs to another changelog partition', {
      store: name,
      partition: stored.partition,
    })
  }
  const db = engine.core.db
  // A key-value store holds a changelog record as `prefix + key` -> value (KeyValueEngine's
  // restoreChunk), so its chunks can go to the database as bytes, without a string per key.
  const prefixed = engine instanceof KeyValueEngine ? db.writePrefixed?.bind(db) : undefined
  const prefix = fromBinary(engine.core.prefix)
  return {
    storeName: name,
    topic: instance.changelogTopic!,
    partition,
    startOffset: stored?.offset ?? 0,
    async applyChunk(entries, nextOffset) {
      const position = { partition, offset: nextOffset }
      compaction?.wrote(name, entries)
      const positionOp = changelogPositionOp(name, position)
      if (prefixed !== undefined) {
        await prefixed(prefix, entries, [positionOp])
      } else {
        const ops: DbOp[] = []
        engine.restoreChunk(entries, ops)
        ops.push(positionOp)
        await db.write(ops)
      }
      state.positions.set(name, position)
    },
  }
}

function highest(
  a: readonly TopicPartitionOffset[],
  b: readonly TopicPartitionOffset[],
): TopicPartitionOffset[] {
  const byPartition = new Map<string, TopicPartitionOffset>()
  for (const o of [...a, ...b]) {
    const key = partitionKey(o.topic, o.partition)
    const known = byPartition.get(key)
    if (known === undefined || o.offset > known.offset) byPartition.set(key, o)
  }
  return Array.from(byPartition.values())
}
