/**
 * Turns a StoreSpec into one task's store: the byte core on the right ByteDb, the engine of its
 * kind, and the typed face processors use. Kafka Streams stacks decorators for this
 * (Metered(Caching(ChangeLogging(RocksDB)))); here the layers are fixed, so it is one function.
 */
import { changelogTopicName } from '../changelog/changelog-topic'
import type { ByteDb } from './byte-db'
import { BytesStore } from './bytes-store'
import { storePrefix } from './key-space'
import type { StateStore } from './state-store'
import { KeyValueEngine, type StoreEngine } from './store-engine'
import type { StoreSpec } from './store-spec'
import { TimedBytesStore } from './timed-bytes-store'
import { TypedKeyValueStore } from './typed-key-value-store'
import { TypedSessionStore } from './typed-session-store'
import { TypedWindowStore } from './typed-window-store'
import { duplicateWindowStore } from './duplicate-window-store'

/** One store of one task, as TaskStores holds it. */
export interface StoreInstance {
  readonly name: string
  readonly engine: StoreEngine
  /** The typed store processors get; undefined for internal stores (the dedup id window). */
  readonly facade: StateStore | undefined
  /** The changelog topic, when the store is logged. */
  readonly changelogTopic: string | undefined
}

export interface StoreContext {
  readonly applicationId: string
  readonly taskId: string
  readonly db: ByteDb
  readonly clock: () => number
}

export function createStore(spec: StoreSpec, context: StoreContext): StoreInstance {
  const changelogTopic = spec.logging.enabled ? changelogTopicName(context.applicationId, spec.name) : undefined
  const core = new BytesStore({
    name: spec.name,
    taskId: context.taskId,
    prefix: storePrefix(spec.name),
    db: context.db,
    // A Map lookup in memory needs no cache in front of it.
    cacheMaxBytes: context.db.persistent ? spec.cacheMaxBytes : 0,
    clock: context.clock,
  })
  const common = {
    keySerde: spec.keySerde,
    valueSerde: spec.valueSerde,
    logged: changelogTopic !== undefined,
    serdeTopic: changelogTopic ?? spec.name,
  }
  switch (spec.kind) {
    case 'keyValue': {
      const engine = new KeyValueEngine(core)
      return { name: spec.name, engine, changelogTopic, facade: new TypedKeyValueStore({ core, ...common }) }
    }
    case 'window': {
      if (spec.retainDuplicates) return duplicateWindowStore(spec, core, common, changelogTopic)
      const engine = new TimedBytesStore({ core, retentionMs: spec.retentionMs, arity: 1 })
      const facade = new TypedWindowStore({ engine, windowSizeMs: spec.windowSizeMs, ...common })
      return { name: spec.name, engine, changelogTopic, facade }
    }
    case 'session': {
      const engine = new TimedBytesStore({ core, retentionMs: spec.retentionMs, arity: 2 })
      return { name: spec.name, engine, changelogTopic, facade: new TypedSessionStore({ engine, ...common }) }
    }
  }
}
