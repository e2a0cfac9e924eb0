import type { Logger } from '../../logger'
import type { BrokerAdmin, BrokerProducer, OutgoingRecord } from '../broker/broker'
import type { RecordCollector } from '../task/record-collector'
import { loggableError } from './loggable-error'

/**
 * The tasks' RecordCollector: every sink record goes to the app's one producer (inside the open
 * transaction for exactly_once). Partition counts for custom partitioners are known up front for
 * fixed sink topics; a topic first seen through a topic extractor is looked up in the background
 * and, until it is known, its records go to the broker's default partitioner.
 */
export class ProducerCollector implements RecordCollector {
  private producer: BrokerProducer | undefined
  private readonly lookups = new Set<string>()
  /** Records sent since the app started. */
  sent = 0

  constructor(
    private readonly counts: Map<string, number>,
    private readonly admin: BrokerAdmin,
    private readonly logger: Logger,
  ) {}

  /** The producer changes when a fenced one is replaced. */
  use(producer: BrokerProducer): void {
    this.producer = producer
  }

  send(record: OutgoingRecord): void {
    this.producer!.send(record)
    this.sent++
  }

  partitionsFor(topic: string): number | undefined {
    const count = this.counts.get(topic)
    if (count === undefined && !this.lookups.has(topic)) {
      this.lookups.add(topic)
      this.admin
        .partitionCounts([topic])
        .then((found) => {
          const n = found.get(topic)
          if (n !== undefined) this.counts.set(topic, n)
          else this.lookups.delete(topic)
        })
        .catch((error: unknown) => {
          this.lookups.delete(topic)
          this.logger.warn({ topic, err: loggableError(error) }, 'looking up the partition count of a sink topic failed')
        })
    }
    return count
  }
}
