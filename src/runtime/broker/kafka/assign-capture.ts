/**
 * What a rebalance listener asks for, inside onAssigned, on the partitions it is being given. The
 * consumer applies it as the start offsets and pauses of one native assign: a native seek before
 * fetching starts would be overridden by librdkafka's own committed-offset lookup.
 */
import type { TopicPartition } from '../broker'
import { partitionKey } from './kafka-records'

/** librdkafka's logical offsets. */
export const OFFSET_BEGINNING = -2
export const OFFSET_END = -1
export const OFFSET_STORED = -1000

/** Seeks and pauses the listener asks for on partitions it is being given. */
export class AssignCapture {
  readonly seeks = new Map<string, number>()
  readonly paused = new Map<string, TopicPartition>()
  private readonly keys: ReadonlySet<string>

  constructor(partitions: readonly TopicPartition[]) {
    this.keys = new Set(partitions.map(partitionKey))
  }

  /** true if `p` is being assigned and the request was recorded. */
  capture(p: TopicPartition, what: 'seek' | 'pause' | 'resume', offset = 0): boolean {
    const key = partitionKey(p)
    if (!this.keys.has(key)) return false
    if (what === 'seek') this.seeks.set(key, offset)
    else if (what === 'pause') this.paused.set(key, { topic: p.topic, partition: p.partition })
    else this.paused.delete(key)
    return true
  }
}
