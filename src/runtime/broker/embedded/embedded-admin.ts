/** BrokerAdmin on the embedded broker (see docs/embedded-broker.md). */
import { StreamfoldError } from '../../../errors'
import type { BrokerAdmin, IsolationLevel, TopicPartition, TopicPartitionOffset, TopicSpec } from '../broker'
import type { BrokerCore } from './broker-core'
import type { LogCleaner } from './log-cleaner'
import type { PartitionLog } from './partition-log'

export class EmbeddedAdmin implements BrokerAdmin {
  constructor(
    private readonly core: BrokerCore,
    private readonly cleaner: LogCleaner,
  ) {}

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    this.core.assertOpen()
    await this.core.logs.ensureTopics(specs)
  }

  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    this.core.assertOpen()
    const counts = new Map<string, number>()
    for (const name of topics) {
      const topic = this.core.logs.topic(name)
      if (topic !== undefined) counts.set(name, topic.partitions.length)
    }
    return counts
  }

  async endOffsets(partitions: readonly TopicPartition[], isolation: IsolationLevel = 'read_uncommitted'): Promise<TopicPartitionOffset[]> {
    return partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition, offset: this.log(tp).endOffset(isolation) }))
  }

  async beginningOffsets(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    return partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition, offset: this.log(tp).logStartOffset }))
  }

  async committedOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    this.core.assertOpen()
    return this.core.offsets.committed(groupId, partitions)
  }

  async setCommittedOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    this.core.assertOpen()
    if (this.core.groups.hasActiveMembers(groupId)) {
      throw new StreamfoldError('ILLEGAL_STATE', `cannot overwrite the offsets of group '${groupId}' while it has active members`)
    }
    await this.core.offsets.commit(groupId, offsets)
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    this.core.assertOpen()
    await this.core.logs.deleteTopics(topics)
    for (const topic of topics) await this.core.offsets.forgetTopic(topic)
  }

  async listTopics(): Promise<string[]> {
    this.core.assertOpen()
    return [...this.core.logs.allTopics()].map((t) => t.name).sort()
  }

  /** Kafka's deleteRecords: records below `offset` go away and the log start moves up to it
   *  (capped at the last stable offset). StreamsApp purges repartition topics this way. */
  async deleteRecords(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    for (const o of offsets) await this.cleaner.deleteRecords(this.log(o), o.offset)
  }

  private log(tp: TopicPartition): PartitionLog {
    this.core.assertOpen()
    const log = this.core.logs.topic(tp.topic)?.partitions[tp.partition]
    if (log === undefined) throw new StreamfoldError('TOPIC_NOT_FOUND', 'partition does not exist', { topic: tp.topic, partition: tp.partition })
    return log
  }
}
