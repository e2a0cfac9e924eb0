/**
 * PartitionReader on the embedded broker: restore reads outside any group. The end is fixed when
 * the read starts (the high watermark, or the LSO for read_committed), and batches handed over
 * never exceed maxBatchRecords.
 */
import { StreamfoldError } from '../../../errors'
import type { BrokerRecord, PartitionReader, PartitionReadOptions, TopicPartitionOffset } from '../broker'
import type { BrokerCore } from './broker-core'
import { readPartition } from './read-partition'

const DEFAULT_MAX_BATCH_RECORDS = 1000

export class EmbeddedReader implements PartitionReader {
  private closed = false

  constructor(private readonly core: BrokerCore) {}

  async readToEnd(
    partition: TopicPartitionOffset,
    onBatch: (records: readonly BrokerRecord[]) => Promise<void> | void,
    options: PartitionReadOptions = {},
  ): Promise<number> {
    if (this.closed) throw new StreamfoldError('ILLEGAL_STATE', 'reader is closed')
    this.core.assertOpen()
    const log = this.core.logs.topic(partition.topic)?.partitions[partition.partition]
    if (log === undefined) throw new StreamfoldError('TOPIC_NOT_FOUND', 'cannot read a partition that does not exist', { topic: partition.topic, partition: partition.partition })
    const isolation = options.isolationLevel ?? 'read_uncommitted'
    const max = Math.max(1, options.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS)
    const end = log.endOffset(isolation)
    let from = Math.max(partition.offset, log.logStartOffset)
    while (from < end) {
      if (this.closed) throw new StreamfoldError('ILLEGAL_STATE', 'reader closed during a read', { topic: log.topic, partition: log.partition })
      const { records, next } = await readPartition(this.core.store, log, { from, to: end, isolation, maxRecords: max })
      for (let i = 0; i < records.length; i += max) await onBatch(i === 0 && records.length <= max ? records : records.slice(i, i + max))
      from = Math.max(next, log.logStartOffset)
    }
    return Math.max(from, partition.offset)
  }

  async close(): Promise<void> {
    this.closed = true
    this.core.untrack(this)
  }
}
