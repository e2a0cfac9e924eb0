/**
 * streamfold: Kafka Streams for TypeScript. The public API; everything not exported here is
 * internal and may change.
 */
export { StreamBuilder, type StreamOptions } from './topology/stream-builder'
export { KStream, type ToOptions, type ProcessOptions } from './topology/kstream'
export { BranchedKStream, type BranchOptions } from './topology/branched-kstream'
export type { NamedOptions } from './topology/dsl-context'
export { KTable, type MaterializedOptions, type TableOptions } from './topology/ktable'
export { GlobalKTable } from './topology/global-ktable'
export type { GlobalKeySelector } from './topology/kstream'
export type { ValueJoiner, JoinKind } from './topology/value-joiner'
export { KGroupedStream } from './topology/kgrouped-stream'
export { KGroupedTable } from './topology/kgrouped-table'
export { TimeWindowedKStream } from './topology/time-windowed-kstream'
export { SessionWindowedKStream } from './topology/session-windowed-kstream'
export { TimeWindows, SlidingWindows, SessionWindows } from './topology/windows'
export { JoinWindows } from './topology/windows'
export type { StreamStreamJoinOptions } from './topology/stream-stream-join'
export type { StreamTableJoinOptions } from './topology/stream-table-join'
export type { TableTableJoinOptions } from './topology/table-table-join'
export { Suppressed, type BufferConfig, type StrictBufferConfig } from './topology/suppressed'
export type { AggregateOptions, WindowedAggregateOptions } from './topology/aggregate-options'
export type { GroupedOptions, RepartitionOptions } from './topology/kstream'
export {
  keyValueStoreSpec,
  windowStoreSpec,
  sessionStoreSpec,
  type StoreSpec as StateStoreSpec,
  type KeyValueStoreSpec,
  type WindowStoreSpec,
  type SessionStoreSpec,
  type StoreOptions,
} from './state/store-spec'
export type { KeyValueStore } from './state/key-value-store'
export type { WindowStore, WindowValue } from './state/window-store'
export type { SessionStore } from './state/session-store'
export type { StateStore, KeyValue as StoreEntry, TimeWindow, Windowed } from './state/state-store'
export type { DropReason } from './processors/internal-context'
export { TopologyBuilder, type SourceOptions, type SinkOptions } from './topology/topology-builder'
export { Topology, type Subtopology } from './topology/topology'
export type {
  ConsumedRecord,
  RecordContext,
  StoreSpec,
  StreamPartitioner,
  TimestampExtractor,
  TopicNameExtractor,
} from './topology/node-spec'
export type {
  Processor,
  ProcessorContext,
  ProcessorSupplier,
  Punctuator,
  PunctuationType,
  Cancellable,
  RecordMetadata,
} from './processors/processor'
export type { StreamRecord, KeyValuePair } from './processors/stream-record'
export type { Predicate } from './processors/stateless/filter-processor'
export type { ForeachAction } from './processors/stateless/peek-processor'
export { RecordHeaders, type HeaderEntry } from './record-headers'
export type { Serde, SerdeType, Serializer, Deserializer } from './serdes/serde'
export { Serdes } from './serdes/serdes'
export {
  ERROR_CODES,
  StreamfoldError,
  TopologyError,
  ProcessingError,
  TaskMigratedError,
  TaskCorruptedError,
  isStreamfoldError,
  type ErrorCode,
  type ErrorCoordinates,
} from './errors'
export type { RecordErrorHandlers, HandlerResponse } from './runtime/task/record-error-handlers'
export type { Logger, LogLevel } from './logger'
export { StreamsApp, type CloseOptions } from './runtime/streams-app'
export type { ReadOnlyKeyValueStore, ReadOnlyWindowStore, ReadOnlySessionStore, StoreQueryOptions, QueryableStoreType } from './runtime/query/read-only-stores'
export type { KeyQueryMetadata } from './runtime/query/key-query-metadata'
export type {
  StreamsConfig,
  BrokerConfig,
  KafkaSettings,
  EmbeddedSettings,
  ProcessingGuarantee,
  DedupConfig,
  DedupIdExtractor,
  RawRecord,
} from './runtime/streams-config'
export { APP_STATES, type AppState, type StateListener } from './runtime/app-state'
export type { RestoreListener, RestoreStartEvent, RestoreBatchEvent, RestoreEndEvent } from './changelog/changelog-restorer'
export {
  createErrorHandlers,
  RECORD_ERROR_POLICIES,
  PRODUCTION_ERROR_POLICIES,
  type ErrorHandlingConfig,
  type ErrorHandlersOptions,
  type StreamErrorHandlers,
  type ProductionErrorHandler,
  type RecordErrorPolicy,
  type ProductionErrorPolicy,
} from './runtime/errors/error-handlers'
export { DEAD_LETTER_HEADERS } from './runtime/errors/dead-letter-record'
export type { DeadLetterSink } from './runtime/errors/dead-letter-sink'
export type { KafkaBrokerConfig } from './runtime/broker/kafka/kafka-config'
export type { WorkerContext, AttachHook } from './runtime/cli/worker-module'
