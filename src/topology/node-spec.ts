/**
 * The topology as data. The DSL and the low-level TopologyBuilder both produce these specs;
 * each task instantiates fresh processors from them (Kafka Streams' NodeFactory idea).
 */
import type { Deserializer, Serializer } from '../serdes/serde'
import type { ProcessorSupplier } from '../processors/processor'
import type { RecordHeaders } from '../record-headers'
import type { StreamRecord } from '../processors/stream-record'

/** A deserialized input record with its coordinates, handed to timestamp extractors. */
export interface ConsumedRecord<K, V> extends StreamRecord<K, V> {
  readonly topic: string
  readonly partition: number
  readonly offset: number
}

/**
 * Picks a record's event time. `partitionTime` is the largest timestamp seen so far on the
 * record's partition (-1 before the first), for extractors that fall back on it.
 */
export type TimestampExtractor<K, V> = (record: ConsumedRecord<K, V>, partitionTime: number) => number

/** What a sink knows about the record that produced its input. */
export interface RecordContext {
  readonly timestamp: number
  readonly headers: RecordHeaders
  /** Input coordinates; undefined for records forwarded from a punctuator. */
  readonly topic: string | undefined
  readonly partition: number | undefined
  readonly offset: number | undefined
}

export type TopicNameExtractor<K, V> = (key: K, value: V, context: RecordContext) => string

/** Returns a partition in [0, numPartitions), or undefined for the broker's default (murmur2 of the key). */
export type StreamPartitioner<K, V> = (topic: string, key: K, value: V, numPartitions: number) => number | undefined

/** Anything that can be registered as a state store. The state layer defines the full shapes. */
export interface StoreSpec {
  readonly name: string
}

// The specs erase record types: type safety lives in the DSL; specs are what the runtime wires.
/* eslint-disable @typescript-eslint/no-explicit-any */
export type AnySerializer = Serializer<any>
export type AnyDeserializer = Deserializer<any>
export type AnyProcessorSupplier = ProcessorSupplier<any, any, any, any>

export interface SourceNodeSpec {
  readonly kind: 'source'
  readonly name: string
  readonly topics: readonly string[]
  readonly keySerde: AnyDeserializer
  readonly valueSerde: AnyDeserializer
  readonly timestampExtractor: TimestampExtractor<any, any> | undefined
  /** Source of a repartition topic the topology manages itself. */
  readonly internal: boolean
  /** For a repartition topic: its partition count, if the user fixed one. */
  readonly partitions?: number
}

export interface ProcessorNodeSpec {
  readonly kind: 'processor'
  readonly name: string
  readonly parents: readonly string[]
  readonly supplier: AnyProcessorSupplier
  readonly stores: readonly string[]
}

export interface SinkNodeSpec {
  readonly kind: 'sink'
  readonly name: string
  readonly parents: readonly string[]
  readonly topic: string | TopicNameExtractor<any, any>
  readonly keySerde: AnySerializer
  readonly valueSerde: AnySerializer
  readonly partitioner: StreamPartitioner<any, any> | undefined
  /** Sink into a repartition topic the topology manages itself. */
  readonly internal: boolean
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export type NodeSpec = SourceNodeSpec | ProcessorNodeSpec | SinkNodeSpec

export function parentsOf(node: NodeSpec): readonly string[] {
  return node.kind === 'source' ? [] : node.parents
}
