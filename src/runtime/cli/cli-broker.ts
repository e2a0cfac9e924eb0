import path from 'node:path'
import { StreamfoldError, isStreamfoldError } from '../../errors'
import type { Logger } from '../../logger'
import type { Broker } from '../broker/broker'
import { createEmbeddedBroker } from '../broker/embedded/embedded-broker'
import { KafkaBroker } from '../broker/kafka/kafka-broker'
import type { PartitionAssignor, TopicCreationMode } from '../broker/kafka/kafka-config'
import type { MergedOptions, KafkaProperties } from './option-sources'
import { DEFAULT_DATA_DIR } from './worker-options'

/** Where the CLI finds its broker: Kafka when bootstrap servers are given, else the embedded one. */
export interface BrokerSettings {
  readonly brokers: string | undefined
  readonly dataDir: string
  readonly kafka: KafkaProperties
  readonly topicCreation?: TopicCreationMode
  readonly replicationFactor?: number
  readonly assignor?: PartitionAssignor
}

export function brokerSettings(merged: MergedOptions): BrokerSettings {
  const v = merged.values
  return {
    brokers: v.brokers as string | undefined,
    dataDir: path.resolve((v.dataDir as string | undefined) ?? DEFAULT_DATA_DIR),
    kafka: merged.kafka,
    topicCreation: v.topicCreation as TopicCreationMode | undefined,
    replicationFactor: v.replicationFactor as number | undefined,
  }
}

export function describeBroker(settings: BrokerSettings): string {
  return settings.brokers === undefined ? `embedded broker in ${settings.dataDir}` : `Kafka at ${settings.brokers}`
}

export async function openCliBroker(settings: BrokerSettings, logger: Logger, clientId = 'streamfold-cli'): Promise<Broker> {
  if (settings.brokers !== undefined) {
    return new KafkaBroker({
      bootstrapServers: settings.brokers,
      clientId,
      rdkafka: settings.kafka,
      topicCreation: settings.topicCreation,
      replicationFactor: settings.replicationFactor,
      logger,
    })
  }
  try {
    return await createEmbeddedBroker({ dataDir: settings.dataDir, logger })
  } catch (error) {
    if (isStreamfoldError(error) && error.code === 'BROKER_ERROR') {
      // LevelDB's lock: the embedded broker serves one process at a time.
      throw new StreamfoldError(
        'BROKER_ERROR',
        `cannot open the embedded broker in ${settings.dataDir}: another process (a running worker?) has it open. The embedded broker serves one process at a time: stop that process, or use Kafka (--brokers)`,
        { cause: error },
      )
    }
    throw error
  }
}
