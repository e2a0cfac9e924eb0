/**
 * A Broker decorator the worker hands to its StreamsApp, to learn which producer the app uses:
 * dead letters are sent on it, so they are part of its transaction (exactly_once) or flushed
 * before its offset commit (at_least_once). Every other call goes straight through. Remove it
 * once StreamsApp connects the dead-letter sink itself (StreamErrorHandlers.connectDeadLetters).
 */
import type { Broker, BrokerAdmin, BrokerProducer, GroupConsumer, GroupConsumerOptions, PartitionReader, ProducerOptions } from '../broker/broker'

export class ObservedBroker implements Broker {
  readonly kind: Broker['kind']

  constructor(
    private readonly broker: Broker,
    /** Called for every producer the app creates: its first, and each replacement of a fenced one. */
    private readonly onProducer: (producer: BrokerProducer) => void,
  ) {
    this.kind = broker.kind
  }

  admin(): BrokerAdmin {
    return this.broker.admin()
  }

  consumer(options: GroupConsumerOptions): GroupConsumer {
    return this.broker.consumer(options)
  }

  producer(options?: ProducerOptions): BrokerProducer {
    const producer = this.broker.producer(options)
    this.onProducer(producer)
    return producer
  }

  reader(): PartitionReader {
    return this.broker.reader()
  }

  close(): Promise<void> {
    return this.broker.close()
  }
}
