import type { RecordHeaders } from '../record-headers'

/**
 * One record flowing through a topology. Immutable: to change a field, forward a new object
 * (`{ ...record, value: next }`). The engine keeps the input's timestamp and headers on every
 * record derived from it unless a processor sets others, as Kafka Streams does.
 */
export interface StreamRecord<K, V> {
  readonly key: K
  readonly value: V
  /** Event time in milliseconds since the epoch. */
  readonly timestamp: number
  readonly headers: RecordHeaders
}

/** A key and a value, as returned by `map` and `flatMap` mappers. */
export type KeyValuePair<K, V> = readonly [key: K, value: V]
