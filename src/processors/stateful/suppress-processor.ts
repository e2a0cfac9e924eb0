import { ProcessingError } from '../../errors'
import { RecordHeaders } from '../../record-headers'
import type { Serde } from '../../serdes/serde'
import type { KeyValueStore } from '../../state/key-value-store'
import type { KeyValue, Windowed } from '../../state/state-store'
import type { Suppressed } from '../../topology/suppressed'
import type { Processor, ProcessorContext, ProcessorSupplier } from '../processor'
import type { StreamRecord } from '../stream-record'
import type { Change } from './change'
import type { SuppressEntry } from './suppress-entry'

/** A store that can list its entries synchronously (in-memory stores), so the buffer can be
 *  rebuilt in init() after a restore. */
interface SyncListable<K, V> {
  entriesSync(): Iterable<KeyValue<K, V>>
}

interface Held<K, V> {
  readonly key: K
  entry: SuppressEntry<V>
  headers: RecordHeaders
  bytes: number
}

/**
 * KTable.suppress (Kafka's KTableSuppressProcessor). Updates are held per key (latest wins) in
 * a logged store and emitted when stream time (the largest update timestamp seen) reaches the
 * key's buffer time plus the wait:
 * - untilWindowCloses: buffer time = window end, wait = grace; a final tombstone is not emitted;
 * - untilTimeLimit: buffer time = timestamp of the key's first held-back update, wait = the limit.
 * When the buffer passes its bound, `emitEarly` emits the oldest entries, `shutDown` fails.
 */
export function suppressProcessor<K, V>(suppressed: Suppressed, storeName: string, graceMs: number, keySerde: Serde<K>): ProcessorSupplier<K, Change<V>, K, Change<V>> {
  return () => new SuppressProcessor<K, V>(suppressed, storeName, graceMs, keySerde)
}

class SuppressProcessor<K, V> implements Processor<K, Change<V>, K, Change<V>> {
  private context!: ProcessorContext<K, Change<V>>
  private store!: KeyValueStore<K, SuppressEntry<V>>
  private readonly held = new Map<string, Held<K, V>>()
  /** Keys by buffer time, oldest first; stale slots (key emitted since) are skipped. */
  private order: Array<{ readonly time: number; readonly id: string }> = []
  private head = 0
  private bytes = 0
  private observedStreamTime = -1
  private readonly waitMs: number

  constructor(
    private readonly suppressed: Suppressed,
    private readonly storeName: string,
    graceMs: number,
    private readonly keySerde: Serde<K>,
  ) {
    this.waitMs = suppressed.kind === 'untilWindowCloses' ? graceMs : suppressed.timeToWaitMs
  }

  init(context: ProcessorContext<K, Change<V>>): void {
    this.context = context
    this.store = context.getStateStore(this.storeName)
    const listable = this.store as unknown as Partial<SyncListable<K, SuppressEntry<V>>>
    if (typeof listable.entriesSync !== 'function') {
      throw new ProcessingError('PROCESSING_FAILED', `suppress store "${this.storeName}" must be an in-memory store`, { store: this.storeName })
    }
    const restored = [...listable.entriesSync()].sort((a, b) => a.value.bufferTime - b.value.bufferTime)
    for (const { key, value } of restored) this.hold(key, value, RecordHeaders.EMPTY, false)
  }

  process(record: StreamRecord<K, Change<V>>): void {
    this.observedStreamTime = Math.max(this.observedStreamTime, record.timestamp)
    const id = this.keySerde.serialize(record.key, this.storeName).toString('latin1')
    const existing = this.held.get(id)
    const bufferTime =
      existing?.entry.bufferTime ??
      (this.suppressed.kind === 'untilWindowCloses' ? (record.key as unknown as Windowed<unknown>).window.end : record.timestamp)
    const entry: SuppressEntry<V> = {
      bufferTime,
      timestamp: record.timestamp,
      newValue: record.value.newValue,
      priorValue: existing === undefined ? record.value.oldValue : existing.entry.priorValue,
    }
    this.hold(record.key, entry, record.headers, true)
    this.emitDue()
    this.enforceBounds()
  }

  private hold(key: K, entry: SuppressEntry<V>, headers: RecordHeaders, write: boolean): void {
    const id = this.keySerde.serialize(key, this.storeName).toString('latin1')
    // Sizes only matter (and are only estimated) when the buffer has a byte bound.
    const size = this.suppressed.buffer.maxBytes === undefined ? 0 : id.length + 24 + estimateSize(entry.newValue) + estimateSize(entry.priorValue)
    const existing = this.held.get(id)
    if (existing === undefined) {
      this.held.set(id, { key, entry, headers, bytes: size })
      this.insertOrdered(entry.bufferTime, id)
    } else {
      this.bytes -= existing.bytes
      existing.entry = entry
      existing.headers = headers
      existing.bytes = size
    }
    this.bytes += size
    if (write) this.store.put(key, entry)
  }

  private emitDue(): void {
    const limit = this.observedStreamTime - this.waitMs
    for (let next = this.peekOldest(); next !== undefined && next.entry.bufferTime <= limit; next = this.peekOldest()) {
      this.emit(next)
    }
  }

  private enforceBounds(): void {
    const { maxRecords, maxBytes, whenFull } = this.suppressed.buffer
    const over = (): boolean => (maxRecords !== undefined && this.held.size > maxRecords) || (maxBytes !== undefined && this.bytes > maxBytes)
    if (!over()) return
    if (whenFull === 'shutDown') {
      throw new ProcessingError(
        'SUPPRESS_BUFFER_FULL',
        `suppression buffer of store "${this.storeName}" is full (${this.held.size} records, ~${this.bytes} bytes; limits: ${maxRecords ?? 'none'} records, ${maxBytes ?? 'none'} bytes)`,
        { store: this.storeName },
      )
    }
    while (over()) this.emit(this.peekOldest()!)
  }

  private emit(held: Held<K, V>): void {
    const id = this.keySerde.serialize(held.key, this.storeName).toString('latin1')
    this.held.delete(id)
    this.bytes -= held.bytes
    this.store.delete(held.key)
    const { newValue, priorValue, timestamp } = held.entry
    // A final result that is a deletion is not worth emitting: nothing downstream saw the window's updates.
    if (newValue === null && this.suppressed.kind === 'untilWindowCloses') return
    this.context.forward({ key: held.key, value: { newValue, oldValue: priorValue }, timestamp, headers: held.headers })
  }

  private peekOldest(): Held<K, V> | undefined {
    while (this.head < this.order.length) {
      const slot = this.order[this.head]!
      const held = this.held.get(slot.id)
      if (held !== undefined && held.entry.bufferTime === slot.time) return held
      this.head++
    }
    this.order = []
    this.head = 0
    return undefined
  }

  private insertOrdered(time: number, id: string): void {
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head)
      this.head = 0
    }
    let lo = this.head
    let hi = this.order.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.order[mid]!.time <= time) lo = mid + 1
      else hi = mid
    }
    this.order.splice(lo, 0, { time, id })
  }
}

/** A rough in-memory size for the byte bound; exact sizes would need serializing every update. */
function estimateSize(value: unknown): number {
  if (value === null || value === undefined) return 0
  if (typeof value === 'string') return value.length
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return 8
  if (Buffer.isBuffer(value)) return value.length
  return JSON.stringify(value)?.length ?? 16
}
