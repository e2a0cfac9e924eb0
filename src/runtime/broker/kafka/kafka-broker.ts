/**
 * The Broker port on a Kafka cluster, through @confluentinc/kafka-javascript's node-rdkafka-style
 * clients. Clients are created lazily, tracked, and all released by close(): a connected client
 * keeps the Node process alive, so a forgotten one would hang every shutdown.
 */
import { StreamfoldError } from '../../../errors'
import { silentLogger, type Logger } from '../../../logger'
import type { Broker, BrokerAdmin, BrokerProducer, GroupConsumer, GroupConsumerOptions, PartitionReader, ProducerOptions } from '../broker'
import { DEFAULT_OPERATION_TIMEOUT_MS, type KafkaBrokerConfig } from './kafka-config'
import { KafkaAdmin } from './kafka-admin'
import { KafkaGroupConsumer } from './kafka-group-consumer'
import { KafkaPartitionReader } from './kafka-partition-reader'
import { KafkaProducer } from './kafka-producer'

export type { KafkaBrokerConfig, PartitionAssignor, TopicCreationMode } from './kafka-config'

interface Closable {
  close(): Promise<void>
}

export class KafkaBroker implements Broker {
  readonly kind = 'kafka' as const
  private readonly log: Logger
  private readonly clientId: string
  private readonly timeoutMs: number
  private readonly open = new Set<Closable>()
  private adminClient: KafkaAdmin | undefined
  private counter = 0
  private closed = false

  constructor(private readonly config: KafkaBrokerConfig) {
    if (typeof config.bootstrapServers !== 'string' || config.bootstrapServers.trim() === '') {
      throw new StreamfoldError('CONFIG_INVALID', 'Kafka broker needs bootstrapServers (host:port,...)')
    }
    this.log = (config.logger ?? silentLogger()).child({ broker: 'kafka' })
    this.clientId = config.clientId ?? 'streamfold'
    this.timeoutMs = config.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS
  }

  admin(): BrokerAdmin {
    this.requireOpen()
    this.adminClient ??= new KafkaAdmin({ config: this.config, clientId: `${this.clientId}-admin`, operationTimeoutMs: this.timeoutMs, logger: this.log })
    return this.adminClient
  }

  consumer(options: GroupConsumerOptions): GroupConsumer {
    this.requireOpen()
    const consumer: KafkaGroupConsumer = new KafkaGroupConsumer({
      config: this.config,
      options,
      clientId: options.clientId ?? this.nextClientId('consumer'),
      operationTimeoutMs: this.timeoutMs,
      logger: this.log,
      onClosed: () => this.open.delete(consumer),
    })
    this.open.add(consumer)
    return consumer
  }

  producer(options: ProducerOptions = {}): BrokerProducer {
    this.requireOpen()
    const producer: KafkaProducer = new KafkaProducer({
      config: this.config,
      clientId: options.clientId ?? this.nextClientId('producer'),
      transactionalId: options.transactionalId,
      onRecordFailure: options.onRecordFailure,
      operationTimeoutMs: this.timeoutMs,
      logger: this.log,
      onClosed: () => this.open.delete(producer),
    })
    this.open.add(producer)
    return producer
  }

  reader(): PartitionReader {
    this.requireOpen()
    const reader: KafkaPartitionReader = new KafkaPartitionReader({
      config: this.config,
      clientId: this.nextClientId('reader'),
      operationTimeoutMs: this.timeoutMs,
      logger: this.log,
      onClosed: () => this.open.delete(reader),
    })
    this.open.add(reader)
    return reader
  }

  async close(): Promise<void> {
    this.closed = true
    const results = await Promise.allSettled(Array.from(this.open, (c) => c.close()))
    this.adminClient?.close()
    this.adminClient = undefined
    for (const r of results) {
      if (r.status === 'rejected') this.log.warn({ reason: String(r.reason) }, 'client did not close cleanly')
    }
  }

  private nextClientId(role: string): string {
    return `${this.clientId}-${role}-${++this.counter}`
  }

  private requireOpen(): void {
    if (this.closed) throw new StreamfoldError('ILLEGAL_STATE', 'the Kafka broker is closed')
  }
}
