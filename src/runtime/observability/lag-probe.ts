import type { Logger } from '../../logger'
import type { BrokerAdmin, IsolationLevel, TopicPartition } from '../broker/broker'
import type { StreamsMetrics } from './streams-metrics'

export interface LagProbeOptions {
  readonly admin: Pick<BrokerAdmin, 'endOffsets' | 'committedOffsets' | 'beginningOffsets'>
  readonly groupId: string
  /** The input partitions this instance owns now. */
  readonly partitions: () => readonly TopicPartition[]
  /** The task reading a partition, for per-task counts. */
  readonly taskOf: (tp: TopicPartition) => string | undefined
  readonly isolation: IsolationLevel
  readonly metrics: Pick<StreamsMetrics, 'consumerLag' | 'lagUnassigned' | 'recordsProcessed'>
  readonly logger: Logger
}

/**
 * Reads the group's committed offsets and the partitions' ends from the broker, as
 * kafka-consumer-groups does: lag is end minus committed. Until the runtime reports records
 * processed itself, the committed offsets' progress stands in for it (records processed and
 * committed, counted at each commit).
 */
export class LagProbe {
  private readonly lastCommitted = new Map<string, number>()
  private readonly reported = new Map<string, TopicPartition>()
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined

  constructor(private readonly options: LagProbeOptions) {}

  start(intervalMs: number, onTick?: () => void): void {
    if (this.timer !== undefined) return
    this.timer = setInterval(() => {
      this.running ??= this.probe()
        .catch((error: unknown) => this.options.logger.debug({ err: error }, 'lag probe failed'))
        .finally(() => {
          this.running = undefined
          onTick?.()
        })
    }, intervalMs)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    await this.running
  }

  /**
   * Notes where newly assigned partitions start (their committed offset, else the log start), so
   * progress counts from there. Called before the app's own assignment handling, when nothing of
   * theirs can have been processed yet.
   */
  async baseline(partitions: readonly TopicPartition[]): Promise<void> {
    if (partitions.length === 0) return
    for (const [k, position] of await this.positions(partitions)) this.lastCommitted.set(k, position)
  }

  async probe(): Promise<void> {
    const { admin, metrics } = this.options
    const partitions = [...this.options.partitions()]
    const current = new Set(partitions.map(key))
    for (const [k, tp] of this.reported) {
      if (current.has(k)) continue
      metrics.lagUnassigned(tp.topic, tp.partition)
      this.reported.delete(k)
      this.lastCommitted.delete(k)
    }
    if (partitions.length === 0) return
    const [ends, committedBy] = await Promise.all([admin.endOffsets(partitions, this.options.isolation), this.positions(partitions)])
    for (const end of ends) {
      const k = key(end)
      const position = committedBy.get(k)
      if (position === undefined) continue
      metrics.consumerLag(end.topic, end.partition, Math.max(0, end.offset - position))
      this.reported.set(k, { topic: end.topic, partition: end.partition })
      const previous = this.lastCommitted.get(k)
      this.lastCommitted.set(k, position)
      const task = this.options.taskOf(end)
      if (previous !== undefined && position > previous && task !== undefined) metrics.recordsProcessed(task, position - previous)
    }
  }

  /** The group's committed offsets, and the log start for partitions it never committed. */
  private async positions(partitions: readonly TopicPartition[]): Promise<Map<string, number>> {
    const { admin } = this.options
    const committed = await admin.committedOffsets(this.options.groupId, partitions)
    const out = new Map(committed.map((c) => [key(c), c.offset]))
    const uncommitted = partitions.filter((tp) => !out.has(key(tp)))
    for (const b of uncommitted.length === 0 ? [] : await admin.beginningOffsets(uncommitted)) out.set(key(b), b.offset)
    return out
  }
}

function key(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`
}
