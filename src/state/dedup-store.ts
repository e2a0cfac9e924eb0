/**
 * The task's dedup store (`__dedup`), two layers (DESIGN.md §5):
 *
 * 1. Applied-offset watermark per input partition, always on: the next source offset whose effects
 *    are not in the state yet. It is written in the same atomic batch as the state, so after a
 *    crash between the LevelDB write and the offset commit, redelivered records below it are
 *    skipped and the state stays effectively-once.
 * 2. An optional id window: `seen(id)` / `remember(id, timestamp)`, kept for `retentionMs` of
 *    stream time (the largest remembered timestamp). It is a logged store (changelog
 *    `${applicationId}-__dedup-changelog`), so a duplicate request id is still dropped after a
 *    restart or a move to another instance.
 */
import { StreamfoldError } from '../errors'
import type { TopicPartitionOffset } from '../runtime/broker/broker'
import { toBinary } from './binary-key'
import { partitionKey } from './task-meta'
import { TimedBytesStore } from './timed-bytes-store'

const PRESENT = Buffer.alloc(0)

export class DedupStore {
  private readonly applied: Map<string, TopicPartitionOffset>

  constructor(
    applied: ReadonlyMap<string, TopicPartitionOffset>,
    private readonly ids: TimedBytesStore | undefined,
    private readonly taskId: string,
  ) {
    this.applied = new Map(applied)
  }

  /** The next offset of the partition not yet applied to the state, if any was. */
  appliedOffset(topic: string, partition: number): number | undefined {
    return this.applied.get(partitionKey(topic, partition))?.offset
  }

  /** True when the record's effects are already in the state (a redelivery: skip it). */
  isApplied(topic: string, partition: number, offset: number): boolean {
    const next = this.applied.get(partitionKey(topic, partition))
    return next !== undefined && offset < next.offset
  }

  /** All applied-offset watermarks (what restore may treat as committed). */
  appliedOffsets(): readonly TopicPartitionOffset[] {
    return Array.from(this.applied.values())
  }

  get idWindowEnabled(): boolean {
    return this.ids !== undefined
  }

  /** True when `id` was remembered within the retention. Synchronous: called per record. */
  seen(id: string | Buffer): boolean {
    return this.idWindow().items(binaryId(id)).length > 0
  }

  /** Remembers `id` (in the running transaction, like any store write). */
  remember(id: string | Buffer, timestamp: number): void {
    this.idWindow().put(binaryId(id), TimedBytesStore.time(timestamp), PRESENT)
  }

  /** Called by TaskStores once a commit holding these watermarks is durable. */
  markApplied(offsets: readonly TopicPartitionOffset[]): void {
    for (const o of offsets) this.applied.set(partitionKey(o.topic, o.partition), o)
  }

  private idWindow(): TimedBytesStore {
    if (this.ids === undefined) {
      throw new StreamfoldError('ILLEGAL_STATE', 'the dedup id window is not enabled for this task', {
        taskId: this.taskId,
      })
    }
    return this.ids
  }
}

function binaryId(id: string | Buffer): string {
  return typeof id === 'string' ? toBinary(Buffer.from(id, 'utf8')) : toBinary(id)
}
