/**
 * Every option of `streamfold run`: flag, environment variable, config-file key (the `name`),
 * default and meaning. docs/operations.md lists them all; a test keeps the two in step.
 */
import { LOG_LEVELS } from '../../logger'
import { PRODUCTION_ERROR_POLICIES, RECORD_ERROR_POLICIES } from '../errors/error-handlers'
import type { OptionSpec } from './arg-parser'

export const DEFAULT_DATA_DIR = './data/broker'
export const DEFAULT_STATE_DIR = './data/state'

/** Where to find the broker: shared by `run` and the topic tools (produce, consume, topics, reset). */
export const BROKER_OPTIONS: readonly OptionSpec[] = [
  { name: 'brokers', flag: 'brokers', type: 'string', env: 'KAFKA_BROKERS', placeholder: '<host:port,...>', help: 'Kafka bootstrap servers; without them the embedded broker is used' },
  { name: 'dataDir', flag: 'data-dir', type: 'string', env: 'STREAMFOLD_DATA_DIR', placeholder: '<dir>', defaultText: DEFAULT_DATA_DIR, help: 'data directory of the embedded broker (ignored with --brokers)' },
  {
    name: 'kafka',
    flag: 'kafka',
    type: 'list',
    env: 'STREAMFOLD_KAFKA_<PROPERTY>',
    placeholder: '<property=value>',
    help: 'librdkafka property passed through untouched, e.g. security.protocol=SASL_SSL',
  },
]

const CONFIG_OPTION: OptionSpec = { name: 'config', flag: 'config', type: 'string', env: 'STREAMFOLD_CONFIG', placeholder: '<file.json>', help: 'JSON file with any of these options by name' }

export const WORKER_OPTIONS: readonly OptionSpec[] = [
  CONFIG_OPTION,
  { name: 'applicationId', flag: 'application-id', type: 'string', env: 'STREAMFOLD_APPLICATION_ID', placeholder: '<id>', help: "group id and topic prefix; required here or in the module's config" },
  ...BROKER_OPTIONS,
  { name: 'stateDir', flag: 'state-dir', type: 'string', env: 'STREAMFOLD_STATE_DIR', placeholder: '<dir>', defaultText: DEFAULT_STATE_DIR, help: 'where task state (LevelDB per task) lives' },
  { name: 'processingGuarantee', flag: 'processing-guarantee', type: 'string', env: 'STREAMFOLD_PROCESSING_GUARANTEE', choices: ['at_least_once', 'exactly_once'], defaultText: 'at_least_once', help: 'delivery guarantee' },
  { name: 'commitIntervalMs', flag: 'commit-interval-ms', type: 'integer', min: 0, env: 'STREAMFOLD_COMMIT_INTERVAL_MS', placeholder: '<ms>', defaultText: '30000, or 100 with exactly_once', help: 'how often progress is committed' },
  { name: 'repartitionPurgeIntervalMs', flag: 'repartition-purge-interval-ms', type: 'integer', min: 0, env: 'STREAMFOLD_REPARTITION_PURGE_INTERVAL_MS', placeholder: '<ms>', defaultText: '30000 (0: after every commit)', help: 'how often the committed part of repartition topics is deleted' },
  { name: 'maxBatchRecords', flag: 'max-batch-records', type: 'integer', min: 1, env: 'STREAMFOLD_MAX_BATCH_RECORDS', placeholder: '<n>', defaultText: '1000', help: 'records per poll and per task batch' },
  { name: 'maxBatchWaitMs', flag: 'max-batch-wait-ms', type: 'integer', min: 0, env: 'STREAMFOLD_MAX_BATCH_WAIT_MS', placeholder: '<ms>', defaultText: '100', help: 'how long a poll waits for the first record' },
  { name: 'maxQueuedRecordsPerPartition', flag: 'max-queued-records', type: 'integer', min: 1, env: 'STREAMFOLD_MAX_QUEUED_RECORDS', placeholder: '<n>', defaultText: '1000', help: 'fetched records per partition before it is paused' },
  { name: 'cacheMaxBytes', flag: 'cache-max-bytes', type: 'integer', min: 0, env: 'STREAMFOLD_CACHE_MAX_BYTES', placeholder: '<bytes>', defaultText: '10485760', help: "all record caches of the app together (Kafka Streams' statestore.cache.max.bytes); 0 turns caching off: aggregations then forward every update instead of one per key per commit" },
  { name: 'maxUncommittedBytes', flag: 'max-uncommitted-bytes', type: 'integer', min: 0, unbounded: true, env: 'STREAMFOLD_MAX_UNCOMMITTED_BYTES', placeholder: '<bytes|Infinity>', defaultText: '67108864', help: "state written since the last commit, over all tasks, that starts a commit before the interval (Kafka Streams' statestore.uncommitted.max.bytes): bounds the memory held between commits; Infinity: no bound" },
  { name: 'taskDbCacheBytes', flag: 'task-db-cache-bytes', type: 'integer', min: 0, env: 'STREAMFOLD_TASK_DB_CACHE_BYTES', placeholder: '<bytes>', defaultText: '262144', help: 'LevelDB block cache of each task database' },
  { name: 'taskDbWriteBufferBytes', flag: 'task-db-write-buffer-bytes', type: 'integer', min: 65536, env: 'STREAMFOLD_TASK_DB_WRITE_BUFFER_BYTES', placeholder: '<bytes>', defaultText: '4194304', help: 'LevelDB write buffer (memtable) of each task database' },
  { name: 'sessionTimeoutMs', flag: 'session-timeout-ms', type: 'integer', min: 1, env: 'STREAMFOLD_SESSION_TIMEOUT_MS', placeholder: '<ms>', defaultText: "the broker client's", help: 'group session timeout' },
  { name: 'heartbeatIntervalMs', flag: 'heartbeat-interval-ms', type: 'integer', min: 1, env: 'STREAMFOLD_HEARTBEAT_INTERVAL_MS', placeholder: '<ms>', defaultText: "the broker client's", help: 'group heartbeat interval' },
  { name: 'maxPollIntervalMs', flag: 'max-poll-interval-ms', type: 'integer', min: 1, env: 'STREAMFOLD_MAX_POLL_INTERVAL_MS', placeholder: '<ms>', defaultText: "the broker client's", help: 'longest gap between polls before the member is evicted (keep it above the longest restore)' },
  { name: 'onDeserializationError', flag: 'on-deserialization-error', type: 'string', choices: RECORD_ERROR_POLICIES, env: 'STREAMFOLD_ON_DESERIALIZATION_ERROR', defaultText: 'fail', help: 'what to do with a record that cannot be deserialized' },
  { name: 'onProcessingError', flag: 'on-processing-error', type: 'string', choices: RECORD_ERROR_POLICIES, env: 'STREAMFOLD_ON_PROCESSING_ERROR', defaultText: 'fail', help: 'what to do when user code throws on a record' },
  { name: 'onProductionError', flag: 'on-production-error', type: 'string', choices: PRODUCTION_ERROR_POLICIES, env: 'STREAMFOLD_ON_PRODUCTION_ERROR', defaultText: 'fail', help: 'what to do when the broker refuses an output record' },
  { name: 'deadLetterTopic', flag: 'dead-letter-topic', type: 'string', env: 'STREAMFOLD_DEAD_LETTER_TOPIC', placeholder: '<topic>', defaultText: '<applicationId>-dead-letters', help: 'topic for deadLetter policies' },
  { name: 'topicCreation', flag: 'topic-creation', type: 'string', choices: ['admin', 'auto'], env: 'STREAMFOLD_TOPIC_CREATION', defaultText: 'admin', help: 'Kafka: create internal topics with the admin API, or leave it to the cluster' },
  { name: 'replicationFactor', flag: 'replication-factor', type: 'integer', min: -1, env: 'STREAMFOLD_REPLICATION_FACTOR', placeholder: '<n>', defaultText: "-1 (the cluster's default)", help: 'Kafka: replication factor of created topics' },
  { name: 'logLevel', flag: 'log-level', type: 'string', choices: LOG_LEVELS, env: 'STREAMFOLD_LOG_LEVEL', defaultText: 'info', help: 'log level' },
  { name: 'logFormat', flag: 'log-format', type: 'string', choices: ['json', 'pretty', 'auto'], env: 'STREAMFOLD_LOG_FORMAT', defaultText: 'auto (pretty on a terminal, else json)', help: 'log line format' },
  { name: 'httpPort', flag: 'http-port', type: 'integer', min: 0, env: 'STREAMFOLD_HTTP_PORT', placeholder: '<port>', defaultText: 'off', help: 'serve /healthz, /readyz and /metrics on this port' },
  { name: 'httpHost', flag: 'http-host', type: 'string', env: 'STREAMFOLD_HTTP_HOST', placeholder: '<address>', defaultText: '127.0.0.1', help: 'address the HTTP endpoints bind to' },
  { name: 'summaryIntervalMs', flag: 'summary-interval-ms', type: 'integer', min: 0, env: 'STREAMFOLD_SUMMARY_INTERVAL_MS', placeholder: '<ms>', defaultText: '30000 (0: off)', help: 'how often the summary line is logged' },
  { name: 'shutdownTimeoutMs', flag: 'shutdown-timeout-ms', type: 'integer', min: 1, env: 'STREAMFOLD_SHUTDOWN_TIMEOUT_MS', placeholder: '<ms>', defaultText: '30000', help: 'how long a graceful stop may take before the worker exits with status 1' },
]

/** Options a config file or a module's `config` may set: everything but `config` itself. */
export const FILE_OPTIONS: readonly OptionSpec[] = WORKER_OPTIONS.filter((o) => o !== CONFIG_OPTION)
