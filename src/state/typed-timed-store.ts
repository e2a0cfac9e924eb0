/** What the typed window and session stores share: serdes over the timed engine. */
import type { Serde } from '../serdes/serde'
import { stringSerde } from '../serdes/string-serde'
import { fromBinary, toBinary, utf8Binary } from './binary-key'
import type { TimedBytesStore } from './timed-bytes-store'

export interface TypedTimedStoreOptions<K, V> {
  readonly engine: TimedBytesStore
  readonly keySerde: Serde<K>
  readonly valueSerde: Serde<V>
  readonly logged: boolean
  /** Passed to the serdes as the topic (Kafka Streams passes the changelog topic). */
  readonly serdeTopic: string
}

export abstract class TypedTimedStore<K, V> {
  readonly name: string
  readonly persistent: boolean
  readonly logged: boolean
  readonly retentionMs: number
  protected readonly engine: TimedBytesStore
  private readonly keySerde: Serde<K>
  private readonly valueSerde: Serde<V>
  private readonly topic: string
  /** Keys go through the built-in string serde: their binary form needs no Buffer (utf8Binary). */
  private readonly stringKeys: boolean

  constructor(options: TypedTimedStoreOptions<K, V>) {
    this.engine = options.engine
    this.name = options.engine.core.name
    this.persistent = options.engine.core.db.persistent
    this.logged = options.logged
    this.retentionMs = options.engine.retentionMs
    this.keySerde = options.keySerde
    this.valueSerde = options.valueSerde
    this.topic = options.serdeTopic
    this.stringKeys = options.keySerde === (stringSerde as Serde<unknown>)
  }

  get observedStreamTime(): number {
    return this.engine.observedStreamTime
  }

  isOpen(): boolean {
    return this.engine.core.isOpen
  }

  /** The key's serialized form (state-store.ts, KeyIdentity). */
  keyId(key: K): string {
    return this.binaryKey(key)
  }

  protected binaryKey(key: K): string {
    if (this.stringKeys && typeof key === 'string') return utf8Binary(key)
    return toBinary(this.keySerde.serialize(key, this.topic))
  }

  protected keyOf(binary: string): K {
    return this.keySerde.deserialize(fromBinary(binary), this.topic)
  }

  protected serializeValue(value: V | null): Buffer | null {
    return value === null ? null : this.valueSerde.serialize(value, this.topic)
  }

  protected valueOf(bytes: Buffer): V
  protected valueOf(bytes: Buffer | undefined): V | undefined
  protected valueOf(bytes: Buffer | undefined): V | undefined {
    return bytes === undefined ? undefined : this.valueSerde.deserialize(bytes, this.topic)
  }
}
