import type { Logger } from '../../logger'
import type { Broker } from '../broker/broker'
import { createEmbeddedBroker } from '../broker/embedded/embedded-broker'
import { KafkaBroker } from '../broker/kafka/kafka-broker'
import type { BrokerConfig } from '../streams-config'

export interface OpenedBroker {
  readonly broker: Broker
  /** False for a broker the caller passed in: the app must leave it open. */
  readonly owned: boolean
}

/** Creates the broker the config names, through the adapters' own factories. */
export async function openBroker(config: BrokerConfig, applicationId: string, logger: Logger): Promise<OpenedBroker> {
  if ('instance' in config) return { broker: config.instance, owned: false }
  if ('inMemory' in config) return { broker: await createEmbeddedBroker({ inMemory: true, logger }), owned: true }
  if ('embedded' in config) {
    const options = typeof config.embedded === 'string' ? { dataDir: config.embedded } : config.embedded
    return { broker: await createEmbeddedBroker({ ...options, logger }), owned: true }
  }
  return { broker: new KafkaBroker({ clientId: applicationId, ...config, logger }), owned: true }
}
