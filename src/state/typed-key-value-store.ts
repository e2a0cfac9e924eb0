/**
 * The typed face of a key-value store: serdes on top, BytesStore (buffer, cache, ByteDb) below.
 * The same class serves persistent and in-memory stores; only the ByteDb under the core differs.
 */
import type { Serde } from '../serdes/serde'
import { stringSerde } from '../serdes/string-serde'
import { toBinary, utf8Binary } from './binary-key'
import type { BytesStore } from './bytes-store'
import type { KeyValueStore } from './key-value-store'
import type { KeyValue } from './state-store'

export interface TypedKeyValueStoreOptions<K, V> {
  readonly core: BytesStore
  readonly keySerde: Serde<K>
  readonly valueSerde: Serde<V>
  readonly logged: boolean
  /** Passed to the serdes as the topic (Kafka Streams passes the changelog topic). */
  readonly serdeTopic: string
}

const NO_KEY = Symbol('no key')

export class TypedKeyValueStore<K, V> implements KeyValueStore<K, V> {
  readonly kind = 'keyValue'
  readonly name: string
  readonly persistent: boolean
  readonly logged: boolean
  private readonly core: BytesStore
  private readonly keySerde: Serde<K>
  private readonly valueSerde: Serde<V>
  private readonly topic: string
  /** Keys go through the built-in string serde: their binary form needs no Buffer (utf8Binary). */
  private readonly stringKeys: boolean
  // Aggregations read a key and then write it: remembering the last primitive key saves the
  // second serialization. Objects are not remembered, since they may be mutated in between.
  private lastKey: unknown = NO_KEY
  private lastBinary = ''

  constructor(options: TypedKeyValueStoreOptions<K, V>) {
    this.core = options.core
    this.name = options.core.name
    this.persistent = options.core.db.persistent
    this.logged = options.logged
    this.keySerde = options.keySerde
    this.valueSerde = options.valueSerde
    this.topic = options.serdeTopic
    this.stringKeys = options.keySerde === (stringSerde as Serde<unknown>)
  }

  isOpen(): boolean {
    return this.core.isOpen
  }

  /** The key's serialized form (state-store.ts, KeyIdentity); remembered for the get/put that follow. */
  keyId(key: K): string {
    return this.binaryKey(key)
  }

  get(key: K): V | undefined {
    const bytes = this.core.get(this.binaryKey(key))
    return bytes === undefined ? undefined : this.valueSerde.deserialize(bytes, this.topic)
  }

  put(key: K, value: V | null): void {
    this.core.put(this.binaryKey(key), value === null ? null : this.valueSerde.serialize(value, this.topic))
  }

  putIfAbsent(key: K, value: V): V | undefined {
    const existing = this.get(key)
    if (existing === undefined) this.put(key, value)
    return existing
  }

  putAll(entries: Iterable<KeyValue<K, V>>): void {
    for (const { key, value } of entries) this.put(key, value)
  }

  delete(key: K): V | undefined {
    const existing = this.get(key)
    if (existing !== undefined) this.core.put(this.binaryKey(key), null)
    return existing
  }

  range(from?: K, to?: K): AsyncIterable<KeyValue<K, V>> {
    const gte = from === undefined ? undefined : this.serializeKey(from)
    const lte = to === undefined ? undefined : this.serializeKey(to)
    return this.typed(this.core.rangeEntries(gte, lte))
  }

  prefixScan<P>(prefix: P, prefixSerde: Serde<P>): AsyncIterable<KeyValue<K, V>> {
    return this.typed(this.core.prefixEntries(toBinary(prefixSerde.serialize(prefix, this.topic))))
  }

  all(): AsyncIterable<KeyValue<K, V>> {
    return this.typed(this.core.entries())
  }

  /** All entries, synchronously: in-memory stores only (see BytesStore.entriesSync). */
  entriesSync(): KeyValue<K, V>[] {
    return this.core.entriesSync().map(([key, value]) => ({
      key: this.keySerde.deserialize(Buffer.from(key, 'latin1'), this.topic),
      value: this.valueSerde.deserialize(value, this.topic),
    }))
  }

  async approximateNumEntries(): Promise<number> {
    let n = 0
    for await (const _ of this.core.entries()) n++
    return n
  }

  private async *typed(entries: AsyncIterable<readonly [string, Buffer]>): AsyncGenerator<KeyValue<K, V>> {
    for await (const [key, value] of entries) {
      yield {
        key: this.keySerde.deserialize(Buffer.from(key, 'latin1'), this.topic),
        value: this.valueSerde.deserialize(value, this.topic),
      }
    }
  }

  private binaryKey(key: K): string {
    // Object.is, not ===: 0 and -0 are equal but serialize differently (double keys).
    if (Object.is(key, this.lastKey)) return this.lastBinary
    const binary = this.serializeKey(key)
    const t = typeof key
    if (t === 'string' || t === 'number' || t === 'bigint') {
      this.lastKey = key
      this.lastBinary = binary
    }
    return binary
  }

  private serializeKey(key: K): string {
    if (this.stringKeys && typeof key === 'string') return utf8Binary(key)
    return toBinary(this.keySerde.serialize(key, this.topic))
  }
}
