import { StreamfoldError } from '../../errors'
import { isValueAndTimestampSerde } from '../../processors/stateful/value-and-timestamp'
import type { KeyValueStore } from '../../state/key-value-store'
import type { SessionStore } from '../../state/session-store'
import type { KeyValue, StoreKind } from '../../state/state-store'
import type { StoreSpec } from '../../state/store-spec'
import type { WindowStore } from '../../state/window-store'
import type { Topology } from '../../topology/topology'
import type { ActiveTask } from '../app/active-task'
import { defaultPartition } from '../broker/murmur2'
import type { AppState } from '../app-state'
import type { GlobalState } from '../global/global-state'
import type { TaskManager } from '../task-manager'
import { concatenated, guardedIteration, storeMigrated } from './guarded-iteration'
import type { ReadOnlyKeyValueStore, ReadOnlySessionStore, ReadOnlyWindowStore, StoreQueryOptions } from './read-only-stores'

/** What the app lends the query layer: read at every call, since tasks come and go. */
export interface QueryRuntime {
  readonly topology: Topology
  readonly state: () => AppState
  readonly tasks: () => TaskManager | undefined
  readonly globals: () => GlobalState | undefined
}

/** One store of one task (or the global store), with a check that it is still served here. */
interface Hosted<S> {
  readonly store: S
  readonly taskId: string
  readonly stillHosted: () => boolean
}

/**
 * Kafka Streams' QueryableStoreProvider and composite read-only stores: `store()` checks the
 * name and kind once, then every read looks up the running tasks again (a rebalance between two
 * reads is seen) and checks the app's state. Reads see the stores as processors do, write
 * buffers included (Kafka IQ v1 reads uncommitted state too); a get is synchronous, so it never
 * sees half a commit, and iterators stop with STATE_STORE_MIGRATED once their task closes.
 */
export class QueryableStores {
  constructor(private readonly rt: QueryRuntime) {}

  keyValue<K, V>(name: string, options: StoreQueryOptions): ReadOnlyKeyValueStore<K, V> {
    const unwrap = this.check(name, 'keyValue', options)
    const hosts = (key?: K): Hosted<KeyValueStore<K, unknown>>[] => this.hosts(name, options, (task) => task.stores.getKeyValueStore<K, unknown>(name), key)
    const iterate = (read: (store: KeyValueStore<K, unknown>) => AsyncIterable<KeyValue<K, unknown>>): AsyncIterable<KeyValue<K, V>> =>
      concatenated(
        hosts().map((h) => async function* () {
          for await (const { key, value } of guardedIteration(read(h.store), h.stillHosted, name, h.taskId)) yield { key, value: unwrap(value) as V }
        }),
      )
    return {
      get: (key) => {
        for (const h of hosts(key)) {
          const value = h.store.get(key)
          if (value !== undefined) return unwrap(value) as V
        }
        return undefined
      },
      range: (from, to) => iterate((s) => s.range(from, to)),
      all: () => iterate((s) => s.all()),
      approximateNumEntries: async () => {
        let total = 0
        for (const h of hosts()) {
          total += await h.store.approximateNumEntries()
          if (!h.stillHosted()) throw storeMigrated(name, h.taskId)
        }
        return total
      },
    }
  }

  window<K, V>(name: string, options: StoreQueryOptions): ReadOnlyWindowStore<K, V> {
    const unwrap = this.check(name, 'window', options)
    const hosts = (key?: K): Hosted<WindowStore<K, unknown>>[] => this.hosts(name, options, (task) => task.stores.getWindowStore<K, unknown>(name), key)
    const iterate = (read: (store: WindowStore<K, unknown>) => AsyncIterable<KeyValue<{ key: K; window: { start: number; end: number } }, unknown>>) =>
      concatenated(
        hosts().map((h) => async function* () {
          for await (const { key, value } of guardedIteration(read(h.store), h.stillHosted, name, h.taskId)) yield { key, value: unwrap(value) as V }
        }),
      )
    return {
      fetch: (key, timeFrom, timeTo) => {
        for (const h of hosts(key)) {
          const found = h.store.fetch(key, timeFrom, timeTo)
          if (found.length > 0) return found.map((w) => ({ windowStart: w.windowStart, value: unwrap(w.value) as V }))
        }
        return []
      },
      fetchAll: (timeFrom, timeTo) => iterate((s) => s.fetchAll(timeFrom, timeTo)),
      all: () => iterate((s) => s.all()),
    }
  }

  session<K, V>(name: string, options: StoreQueryOptions): ReadOnlySessionStore<K, V> {
    const unwrap = this.check(name, 'session', options)
    const hosts = (key?: K): Hosted<SessionStore<K, unknown>>[] => this.hosts(name, options, (task) => task.stores.getSessionStore<K, unknown>(name), key)
    return {
      fetch: (key) => {
        for (const h of hosts(key)) {
          const found = h.store.fetch(key)
          if (found.length > 0) return found.map((s) => ({ key: s.key, value: unwrap(s.value) as V }))
        }
        return []
      },
      fetchSession: (key, start, end) => {
        for (const h of hosts(key)) {
          const value = h.store.fetchSession(key, start, end)
          if (value !== undefined) return unwrap(value) as V
        }
        return undefined
      },
      all: () =>
        concatenated(
          hosts().map((h) => async function* () {
            for await (const { key, value } of guardedIteration(h.store.all(), h.stillHosted, name, h.taskId)) yield { key, value: unwrap(value) as V }
          }),
        ),
    }
  }

  /** The store exists with this kind (else UNKNOWN_STATE_STORE / STORE_TYPE_MISMATCH); returns how to unwrap its values. */
  private check(name: string, kind: StoreKind, options: StoreQueryOptions): (value: unknown) => unknown {
    this.ensureQueryable(options)
    const global = this.rt.topology.globalStores.find((g) => g.store.name === name)
    const spec = (global?.store ?? this.rt.topology.store(name)) as StoreSpec | undefined
    if (spec === undefined) {
      const known = [...this.rt.topology.stores.map((s) => s.name), ...this.rt.topology.globalStores.map((g) => g.store.name)]
      throw new StreamfoldError('UNKNOWN_STATE_STORE', `the topology has no state store named "${name}" (it has: ${known.join(', ') || 'none'})`, { store: name })
    }
    if (spec.kind !== kind) throw new StreamfoldError('STORE_TYPE_MISMATCH', `state store "${name}" is a ${spec.kind} store, not a ${kind} store`, { store: name })
    // DSL stores keep ValueAndTimestamp; queries answer plain values (Kafka's keyValueStore() type).
    return isValueAndTimestampSerde(spec.valueSerde) ? (v) => (v as { value: unknown } | undefined)?.value : (v) => v
  }

  /** Kafka: StreamsNotStartedException before start, InvalidStateStoreException unless RUNNING (or REBALANCING with stale stores). */
  private ensureQueryable(options: StoreQueryOptions): void {
    const state = this.rt.state()
    if (state === 'CREATED') throw new StreamfoldError('STREAMS_NOT_STARTED', 'stores can be queried once the app is started (call start())')
    if (state === 'RUNNING' || (state === 'REBALANCING' && options.staleStores === true)) return
    throw new StreamfoldError('STATE_STORE_NOT_AVAILABLE', `stores cannot be queried while the app is ${state}${state === 'REBALANCING' ? ' (retry, or pass staleStores: true)' : ''}`)
  }

  /** The store in each task to ask; for a point lookup (`key`), the task of the key's likely partition first. */
  private hosts<S>(name: string, options: StoreQueryOptions, open: (task: ActiveTask) => S, key?: unknown): Hosted<S>[] {
    this.ensureQueryable(options)
    const queryable = (): boolean => {
      const state = this.rt.state()
      return state === 'RUNNING' || (state === 'REBALANCING' && options.staleStores === true)
    }
    const globals = this.rt.globals()
    if (globals?.has(name) === true) {
      const store = globals.store(name) as S
      return [{ store, taskId: 'global', stillHosted: () => queryable() && this.rt.globals() === globals }]
    }
    const tasks = this.rt.tasks()
    const sub = this.rt.topology.subtopologies.find((s) => s.stores.includes(name))
    if (tasks === undefined || sub === undefined) return []
    const chosen = tasks
      .runningTasks()
      .filter((t) => t.id.startsWith(`${sub.id}_`) && (options.partition === undefined || t.inputs[0]?.partition === options.partition))
    if (options.partition !== undefined && chosen.length === 0) {
      throw new StreamfoldError('STATE_STORE_NOT_AVAILABLE', `partition ${options.partition} of store "${name}" is not hosted by this instance`, { store: name, partition: options.partition })
    }
    if (key !== undefined && chosen.length > 1) {
      const likely = this.likelyPartition(name, sub.id, tasks, key)
      chosen.sort((a, b) => Number(b.inputs[0]?.partition === likely) - Number(a.inputs[0]?.partition === likely))
    }
    return chosen.map((task) => ({
      store: open(task),
      taskId: task.id,
      stillHosted: () => queryable() && this.rt.tasks() === tasks && task.running && tasks.runningTasks().includes(task),
    }))
  }

  /**
   * Where the default partitioner puts the key, serialized with the store's key serde. Only an
   * ordering hint: a topic written by a custom partitioner or with other key bytes puts keys
   * elsewhere, so the other tasks are still asked on a miss (as Kafka's composite store does).
   */
  private likelyPartition(name: string, subtopology: number, tasks: TaskManager, key: unknown): number | undefined {
    const spec = this.rt.topology.store(name) as StoreSpec | undefined
    const partitions = tasks.partitionsOf(subtopology)
    if (spec === undefined || partitions === undefined) return undefined
    try {
      return defaultPartition(spec.keySerde.serialize(key, name), partitions)
    } catch {
      return undefined // a serde that refuses the key outside a record: ask every task in turn
    }
  }
}
