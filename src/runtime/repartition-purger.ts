/**
 * Deletes the consumed part of repartition topics, as Kafka Streams does
 * (`repartition.purge.interval.ms`): nobody but this app reads them, so once the group has
 * committed past a record it is never needed again (a rollback rewinds only to the committed
 * offset). Without this, a repartition topic grows for as long as the app runs: internal topics
 * are created without retention.
 *
 * After a commit, at most every `intervalMs`, each owned repartition partition is truncated up to
 * the group's committed offset with one `deleteRecords` call, in the background. Only committed
 * offsets are used (the Checkpoint's, noted after the offset commit, or under exactly_once after
 * the transaction commit), never the position or the processed offset. One purge runs at a time;
 * a failed one is logged and the next interval tries again with newer offsets. User topics are
 * never touched: only the topology's repartition topics are in `repartitionTopics`.
 */
import type { Logger } from '../logger'
import { loggableError } from './app/loggable-error'
import type { TopicPlan } from './app/topic-plan'
import type { BrokerAdmin, TopicPartition, TopicPartitionOffset } from './broker/broker'
import { partitionKey } from './partition-key'

export interface RepartitionPurgerOptions {
  readonly admin: Pick<BrokerAdmin, 'deleteRecords'>
  /** The topology's repartition topics, as named on the broker. */
  readonly repartitionTopics: ReadonlySet<string>
  /** Minimum time between two purges; 0: after every commit. */
  readonly intervalMs: number
  /** The partitions this member owns now. */
  readonly owned: () => readonly TopicPartition[]
  /** The group's committed offset of an owned partition, if known. */
  readonly committed: (tp: TopicPartition) => number | undefined
  readonly logger: Logger
  readonly clock?: () => number
}

/** The repartition topics of a plan: the internal topics some sub-topology reads. */
export function repartitionTopicsOf(plan: TopicPlan): Set<string> {
  return new Set(plan.internalTopics.filter((t) => plan.readerOf.has(t.name)).map((t) => t.name))
}

export class RepartitionPurger {
  private readonly clock: () => number
  private lastPurge: number
  private running: Promise<void> | undefined
  /** Per owned partition, the offset the last successful purge deleted up to. */
  private purged = new Map<string, number>()
  private closed = false

  constructor(private readonly options: RepartitionPurgerOptions) {
    this.clock = options.clock ?? Date.now
    // As in Kafka Streams, the first purge comes one interval after the start.
    this.lastPurge = this.clock()
  }

  /** Called after the processing loop's commit: starts a purge if one is due. Never throws. */
  afterCommit(): void {
    if (this.closed || this.running !== undefined || this.options.repartitionTopics.size === 0) return
    const now = this.clock()
    if (now - this.lastPurge < this.options.intervalMs) return
    this.lastPurge = now
    const offsets = this.purgeable()
    if (offsets.length === 0) return
    this.running = this.purge(offsets).finally(() => {
      this.running = undefined
    })
  }

  /** Stops further purges and waits for the running one (before the broker closes). */
  async close(): Promise<void> {
    this.closed = true
    await this.running
  }

  /** Owned repartition partitions whose committed offset moved past the last purge. */
  private purgeable(): TopicPartitionOffset[] {
    const { repartitionTopics, owned, committed } = this.options
    const stillOwned = new Map<string, number>()
    const out: TopicPartitionOffset[] = []
    for (const tp of owned()) {
      if (!repartitionTopics.has(tp.topic)) continue
      const key = partitionKey(tp)
      const done = this.purged.get(key)
      if (done !== undefined) stillOwned.set(key, done)
      const offset = committed(tp)
      if (offset !== undefined && (done === undefined || offset > done)) out.push({ topic: tp.topic, partition: tp.partition, offset })
    }
    // A partition that moved away and comes back starts afresh (its topic may have been recreated).
    this.purged = stillOwned
    return out
  }

  private async purge(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    try {
      await this.options.admin.deleteRecords(offsets)
    } catch (error) {
      this.options.logger.warn({ err: loggableError(error), partitions: offsets.length }, 'purging consumed repartition records failed; retrying at the next interval')
      return
    }
    for (const o of offsets) this.purged.set(partitionKey(o), o.offset)
    this.options.logger.debug({ partitions: offsets.length }, 'consumed repartition records purged')
  }
}
