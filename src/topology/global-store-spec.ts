import type { Deserializer } from '../serdes/serde'
import type { KeyValueStoreSpec } from '../state/store-spec'

/**
 * A global store (Kafka Streams' GlobalKTable): every instance of the app holds all of `topic`,
 * every partition, in one key-value store outside any task. The topic is its changelog, so the
 * store is not logged; it is read to the end before processing starts and kept up to date while
 * the app runs (src/runtime/global). Processors read it with `getStateStore(name)` without being
 * connected to it, as in Kafka Streams; nothing writes it but its topic.
 */
export interface GlobalStoreSpec {
  /** A key-value store of ValueAndTimestamp values, logging disabled. */
  readonly store: KeyValueStoreSpec<unknown, unknown>
  readonly topic: string
  /** Labels of the source and of the node updating the store, in describe(). */
  readonly sourceName: string
  readonly processorName: string
  readonly keyDeserializer: Deserializer<unknown>
  readonly valueDeserializer: Deserializer<unknown>
}
