import type { RecordHeaders } from '../record-headers'

/** A record read from a TestOutputTopic. */
export interface TestRecord<K, V> {
  readonly key: K | null
  readonly value: V | null
  readonly timestamp: number
  readonly headers: RecordHeaders
}

/** A record to pipe into a TestInputTopic; missing fields take the topic's defaults. */
export interface TestInputRecord<K, V> {
  readonly key?: K | null
  readonly value: V | null
  readonly timestamp?: number
  readonly headers?: RecordHeaders | Readonly<Record<string, string | Buffer>>
}

export interface KeyValue<K, V> {
  readonly key: K
  readonly value: V
}
