/** What the embedded broker's clients (consumer, producer, reader, admin) share. */
import type { Logger } from '../../../logger'
import type { GroupCoordinator } from './group-coordinator'
import type { GroupOffsets } from './group-offsets'
import type { KvStore } from './kv-store'
import type { LogManager } from './log-manager'
import type { Notifier } from './notifier'
import type { TransactionCoordinator } from './transaction-coordinator'
import type { WritePipeline } from './write-pipeline'

export interface BrokerCore {
  readonly store: KvStore
  readonly pipeline: WritePipeline
  readonly notifier: Notifier
  readonly logs: LogManager
  readonly offsets: GroupOffsets
  readonly transactions: TransactionCoordinator
  readonly groups: GroupCoordinator
  readonly logger: Logger
  /** Kafka's message.max.bytes: producers refuse a larger record (by kafkaRecordSize). */
  readonly maxMessageBytes: number
  /** Throws ILLEGAL_STATE once the broker is closed, BROKER_ERROR once its storage failed. */
  assertOpen(): void
  readonly closed: boolean
  /** A client calls this from its close(), so the broker stops tracking it. */
  untrack(client: object): void
}
