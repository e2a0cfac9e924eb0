import { TopologyError } from '../../errors'
import type { KeyValueStore } from '../../state/key-value-store'
import { keyIdentityOf, type KeyIdentity, type KeyValue } from '../../state/state-store'
import type { UnmatchedKey, UnmatchedValues } from './unmatched-join-serdes'

type UnmatchedStore<K, V, VO> = KeyValueStore<UnmatchedKey<K>, UnmatchedValues<V, VO>>

interface Waiting<K> {
  /** The store key's bytes: comparing them orders by time, side, then key (unmatched-join-serdes.ts). */
  readonly id: string
  readonly key: UnmatchedKey<K>
}

/** Called for each unmatched record whose window has closed. */
export type EmitUnmatched<K, V, VO> = (key: K, left: boolean, timestamp: number, value: V | VO) => void

export interface UnmatchedWindows {
  /** How long after its timestamp a left record can still be matched: the windows' after. */
  readonly leftAfterMs: number
  /** The same for a right record: the windows' before (its window is mirrored). */
  readonly rightAfterMs: number
  readonly graceMs: number
}

/**
 * The records of a left/outer stream-stream join that have no match yet (Kafka Streams' shared
 * outer-join store, KIP-633): kept in a logged in-memory store until their window closes (stream
 * time > timestamp + after + grace), then emitted joined with null; a match found before that
 * deletes them. Both join processors of a task share one instance (`sharedUnmatched`), as the
 * store holds both sides' records.
 *
 * The store is in memory because emitting needs its entries in time order on the synchronous hot
 * path, which LevelDB iterators cannot give; the time order is kept here, one queue per side
 * (their windows differ when before != after), rebuilt from the store when processors start.
 */
export class UnmatchedJoinRecords<K, V, VO> {
  private readonly queues = { left: new WaitingQueue<K>(), right: new WaitingQueue<K>() }
  private readonly ids: KeyIdentity<UnmatchedKey<K>>

  constructor(
    private readonly store: UnmatchedStore<K, V, VO>,
    private readonly windows: UnmatchedWindows,
  ) {
    const ids = keyIdentityOf<UnmatchedKey<K>>(store)
    const listable = store as Partial<{ entriesSync(): KeyValue<UnmatchedKey<K>, UnmatchedValues<V, VO>>[] }>
    if (ids === undefined || typeof listable.entriesSync !== 'function') {
      throw new TopologyError('TOPOLOGY_INVALID', `stream-join store "${store.name}" must be a built-in in-memory key-value store`, { store: store.name })
    }
    this.ids = ids
    for (const { key } of listable.entriesSync()) this.enqueue(key)
  }

  /** Holds an unmatched record until its window closes. */
  add(key: K, left: boolean, timestamp: number, value: V | VO): void {
    const unmatched: UnmatchedKey<K> = { timestamp, left, key }
    const held = this.store.get(unmatched)
    this.store.put(unmatched, { left, values: held === undefined ? [value] : [...held.values, value] })
    if (held === undefined) this.enqueue(unmatched)
  }

  /** The other side's records of `key` at `timestamp` found a match: they will never be emitted unmatched. */
  matched(key: K, left: boolean, timestamp: number): void {
    this.store.delete({ timestamp, left, key })
  }

  /** Cheap check before `emitClosed`: is any held record's window closed at `streamTime`? */
  anyClosed(streamTime: number): boolean {
    return this.closedHead('left', streamTime) !== undefined || this.closedHead('right', streamTime) !== undefined
  }

  /** Emits (and forgets) every held record whose window closed, in time order. */
  emitClosed(streamTime: number, emit: EmitUnmatched<K, V, VO>): void {
    for (;;) {
      const left = this.closedHead('left', streamTime)
      const right = this.closedHead('right', streamTime)
      if (left === undefined && right === undefined) return
      const side = right === undefined || (left !== undefined && left.id < right.id) ? 'left' : 'right'
      const { key } = this.queues[side].take()
      const held = this.store.get(key)
      if (held === undefined) continue // matched since it was queued
      this.store.delete(key)
      for (const value of held.values) emit(key.key, key.left, key.timestamp, value)
    }
  }

  private closedHead(side: 'left' | 'right', streamTime: number): Waiting<K> | undefined {
    const head = this.queues[side].peek()
    if (head === undefined) return undefined
    const after = side === 'left' ? this.windows.leftAfterMs : this.windows.rightAfterMs
    return head.key.timestamp + after + this.windows.graceMs < streamTime ? head : undefined
  }

  private enqueue(key: UnmatchedKey<K>): void {
    this.queues[key.left ? 'left' : 'right'].insert({ id: this.ids.keyId(key), key })
  }
}

/** Waiting records of one side ordered by id; taking the head is O(1) (no Array.shift). */
class WaitingQueue<K> {
  private items: Waiting<K>[] = []
  private head = 0

  peek(): Waiting<K> | undefined {
    return this.items[this.head]
  }

  take(): Waiting<K> {
    const item = this.items[this.head++]!
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }

  insert(waiting: Waiting<K>): void {
    // Records mostly arrive in time order: search from the end.
    let i = this.items.length
    while (i > this.head && this.items[i - 1]!.id > waiting.id) i--
    this.items.splice(i, 0, waiting)
  }
}

const shared = new WeakMap<object, { readonly records: UnmatchedJoinRecords<unknown, unknown, unknown>; readonly claimed: Set<string> }>()

/**
 * The instance both join processors of one task use. Keyed by the task's store object; each
 * side claims it once, so processors made afresh for the same stores (after a rolled-back
 * commit) build a new one from the store's committed contents instead of reusing stale queues.
 */
export function sharedUnmatched<K, V, VO>(store: UnmatchedStore<K, V, VO>, windows: UnmatchedWindows, side: 'left' | 'right'): UnmatchedJoinRecords<K, V, VO> {
  let entry = shared.get(store)
  if (entry === undefined || entry.claimed.has(side)) {
    entry = { records: new UnmatchedJoinRecords(store, windows) as UnmatchedJoinRecords<unknown, unknown, unknown>, claimed: new Set() }
    shared.set(store, entry)
  }
  entry.claimed.add(side)
  return entry.records as UnmatchedJoinRecords<K, V, VO>
}
