/** The state layer's surface for the rest of streamfold (runtime, DSL, test driver). */
export { TaskStores, type TaskStoresOptions, type PreparedCommit, type CommitOptions, type TaskRestoreOptions, type CommitHooks } from './task-stores'
export { DedupStore } from './dedup-store'
export type { StateStore, StoreKind, KeyValue, TimeWindow, Windowed } from './state-store'
export type { KeyValueStore } from './key-value-store'
export type { WindowStore, WindowValue } from './window-store'
export type { SessionStore } from './session-store'
export {
  keyValueStoreSpec,
  windowStoreSpec,
  sessionStoreSpec,
  DEFAULT_CACHE_MAX_BYTES,
  type StoreSpec,
  type KeyValueStoreSpec,
  type WindowStoreSpec,
  type SessionStoreSpec,
  type StoreOptions,
  type StoreLogging,
} from './store-spec'
export { TaskDb } from './task-db'
