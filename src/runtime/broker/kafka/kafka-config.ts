/**
 * Configuration of the Kafka adapter and the librdkafka settings derived from it. Precedence, from
 * weakest to strongest: streamfold's defaults, the user's `rdkafka` passthrough (SASL, SSL,
 * tuning: any librdkafka property, untouched), and last the few settings the adapter's
 * correctness rests on (manual commits, our rebalance and delivery callbacks, transactional.id).
 */
import type { Logger } from '../../../logger'
import type { RdkafkaConfig, RdkafkaValue } from './rdkafka'

export type TopicCreationMode = 'admin' | 'auto'
export type PartitionAssignor = 'range' | 'roundrobin' | 'cooperative-sticky'

export interface KafkaBrokerConfig {
  /** `host:port,host:port`. */
  readonly bootstrapServers: string
  /** Prefix of every client's client.id; defaults to `streamfold`. */
  readonly clientId?: string
  /**
   * 'admin' (default): ensureTopics creates missing topics with the admin API (CreateTopics).
   * 'auto': the cluster creates topics itself (auto.create.topics.enable) or they are made by
   * other means; ensureTopics only checks metadata and never calls CreateTopics. For brokers
   * without the admin API, such as librdkafka's mock cluster.
   */
  readonly topicCreation?: TopicCreationMode
  /** Replication factor for topics created in 'admin' mode; -1 (default) takes the broker's default. */
  readonly replicationFactor?: number
  /**
   * Group assignor. 'range' (default) keeps co-partitioned topics together: partition n of every
   * input goes to the same member, which joins need. 'cooperative-sticky' rebalances
   * incrementally but does not guarantee co-partitioning.
   */
  readonly assignor?: PartitionAssignor
  /** Any librdkafka property for every client, passed through untouched (security.protocol, sasl.*, ssl.*, ...). */
  readonly rdkafka?: Readonly<Record<string, RdkafkaValue>>
  /** librdkafka properties for producers only (linger.ms, compression.type, ...). */
  readonly rdkafkaProducer?: Readonly<Record<string, RdkafkaValue>>
  /** librdkafka properties for consumers and partition readers only (fetch.*, ...). */
  readonly rdkafkaConsumer?: Readonly<Record<string, RdkafkaValue>>
  /** Bound on each admin/metadata/transaction call and on disconnects; 30 s by default. */
  readonly operationTimeoutMs?: number
  readonly logger?: Logger
}

export const DEFAULT_OPERATION_TIMEOUT_MS = 30_000

export function baseConfig(config: KafkaBrokerConfig, clientId: string): RdkafkaConfig {
  return {
    'bootstrap.servers': config.bootstrapServers,
    'client.id': clientId,
    ...config.rdkafka,
  }
}

export function producerConfig(config: KafkaBrokerConfig, clientId: string, transactionalId: string | undefined): RdkafkaConfig {
  const conf: RdkafkaConfig = {
    'bootstrap.servers': config.bootstrapServers,
    'client.id': clientId,
    // murmur2 of the key like the Java client (and so Kafka Streams); random for null keys.
    partitioner: 'murmur2_random',
    'enable.idempotence': true,
    'linger.ms': 5,
    ...config.rdkafka,
    ...config.rdkafkaProducer,
    // Reports of failed deliveries only, with the record's value to name it (sent-records.ts);
    // flush() relies on librdkafka's flush for the rest.
    dr_msg_cb: true,
    'delivery.report.only.error': true,
  }
  if (transactionalId !== undefined) conf['transactional.id'] = transactionalId
  return conf
}

export interface ConsumerSettings {
  readonly clientId: string
  readonly groupId: string
  readonly isolationLevel: 'read_committed' | 'read_uncommitted'
  readonly autoOffsetReset: 'earliest' | 'latest'
  readonly sessionTimeoutMs?: number
  readonly heartbeatIntervalMs?: number
  readonly maxPollIntervalMs?: number
  readonly partitionEof: boolean
  /** Defaults for this kind of consumer; the user's passthrough still wins over them. */
  readonly defaults?: Readonly<Record<string, RdkafkaValue>>
}

export function consumerConfig(config: KafkaBrokerConfig, settings: ConsumerSettings): RdkafkaConfig {
  const conf: RdkafkaConfig = {
    'bootstrap.servers': config.bootstrapServers,
    'client.id': settings.clientId,
    'partition.assignment.strategy': config.assignor ?? 'range',
    'auto.offset.reset': settings.autoOffsetReset,
    'isolation.level': settings.isolationLevel,
    ...settings.defaults,
    ...config.rdkafka,
    ...config.rdkafkaConsumer,
    'group.id': settings.groupId,
    // Offsets are committed by the runtime only, for exactly what it has processed.
    'enable.auto.commit': false,
    'enable.auto.offset.store': false,
    'enable.partition.eof': settings.partitionEof,
  }
  if (settings.sessionTimeoutMs !== undefined) conf['session.timeout.ms'] = settings.sessionTimeoutMs
  if (settings.heartbeatIntervalMs !== undefined) conf['heartbeat.interval.ms'] = settings.heartbeatIntervalMs
  if (settings.maxPollIntervalMs !== undefined) conf['max.poll.interval.ms'] = settings.maxPollIntervalMs
  return conf
}
