/**
 * Consumer groups' committed offsets: all in memory, each one stored under its own key. A commit
 * becomes visible only once stored, so what a reader sees after a crash is what it saw before.
 */
import type { TopicPartition, TopicPartitionOffset } from '../broker'
import { scanAll, type KvOp, type KvStore } from './kv-store'
import { decodeOffset, encodeOffset, storageKeys } from './storage-keys'
import type { WritePipeline } from './write-pipeline'

export class GroupOffsets {
  /** groupId -> "topic\u0000partition" -> next offset to read. */
  private readonly groups = new Map<string, Map<string, number>>()

  private constructor(private readonly pipeline: WritePipeline) {}

  static async load(store: KvStore, pipeline: WritePipeline): Promise<GroupOffsets> {
    const offsets = new GroupOffsets(pipeline)
    await scanAll(store, storageKeys.groupOffsetRange(), (key, value) => {
      const { groupId, topic, partition } = storageKeys.parseGroupOffset(key)
      offsets.apply(groupId, [{ topic, partition, offset: decodeOffset(value) }])
    })
    return offsets
  }

  get(groupId: string, tp: TopicPartition): number | undefined {
    return this.groups.get(groupId)?.get(tpKey(tp))
  }

  committed(groupId: string, partitions: readonly TopicPartition[]): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = []
    for (const tp of partitions) {
      const offset = this.get(groupId, tp)
      if (offset !== undefined) out.push({ topic: tp.topic, partition: tp.partition, offset })
    }
    return out
  }

  /** Stores the offsets (an acknowledged write) and then makes them visible. */
  commit(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    const copy = offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset }))
    return this.pipeline.submit(this.ops(groupId, copy), { acknowledged: true, onDurable: () => this.apply(groupId, copy) })
  }

  /** The writes of a commit, for callers that store it atomically with more (transactions). */
  ops(groupId: string, offsets: readonly TopicPartitionOffset[]): KvOp[] {
    return offsets.map((o) => ({ type: 'put', key: storageKeys.groupOffset(groupId, o.topic, o.partition), value: encodeOffset(o.offset) }))
  }

  apply(groupId: string, offsets: readonly TopicPartitionOffset[]): void {
    let group = this.groups.get(groupId)
    if (group === undefined) this.groups.set(groupId, (group = new Map()))
    for (const o of offsets) group.set(tpKey(o), o.offset)
  }

  /** Kafka drops the committed offsets of a deleted topic; so do we. */
  forgetTopic(topic: string): Promise<void> {
    const ops: KvOp[] = []
    for (const [groupId, group] of this.groups) {
      for (const key of group.keys()) {
        const [t, p] = key.split('\u0000') as [string, string]
        if (t !== topic) continue
        group.delete(key)
        ops.push({ type: 'del', key: storageKeys.groupOffset(groupId, t, Number(p)) })
      }
    }
    return ops.length === 0 ? Promise.resolve() : this.pipeline.submit(ops, { acknowledged: true })
  }
}

export function tpKey(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`
}
