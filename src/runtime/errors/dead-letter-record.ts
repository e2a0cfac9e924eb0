import type { StreamfoldError } from '../../errors'
import type { HeaderEntry } from '../../record-headers'
import type { BrokerRecord, OutgoingRecord } from '../broker/broker'

/** Which handler produced a dead letter. */
export type DeadLetterStage = 'deserialization' | 'processing'

/**
 * Headers added to a dead letter, after the original record's own headers (which are kept as
 * they were). Values are UTF-8 text; the offset and partition are decimal. The message is the
 * error's detail, which never quotes the record (docs/errors.md).
 */
export const DEAD_LETTER_HEADERS = {
  stage: 'streamfold.dlq.stage',
  code: 'streamfold.dlq.error.code',
  message: 'streamfold.dlq.error.message',
  topic: 'streamfold.dlq.source.topic',
  partition: 'streamfold.dlq.source.partition',
  offset: 'streamfold.dlq.source.offset',
  task: 'streamfold.dlq.task',
  node: 'streamfold.dlq.node',
} as const

/** The original record's key, value, timestamp and headers, addressed to `topic`, plus why it is there. */
export function deadLetterRecord(topic: string, stage: DeadLetterStage, error: StreamfoldError, source: BrokerRecord): OutgoingRecord {
  const h = DEAD_LETTER_HEADERS
  const added: HeaderEntry[] = [
    [h.stage, Buffer.from(stage)],
    [h.code, Buffer.from(error.code)],
    [h.message, Buffer.from(error.detail)],
    [h.topic, Buffer.from(source.topic)],
    [h.partition, Buffer.from(String(source.partition))],
    [h.offset, Buffer.from(String(source.offset))],
  ]
  const { taskId, node } = error.coordinates
  if (taskId !== undefined) added.push([h.task, Buffer.from(taskId)])
  if (node !== undefined) added.push([h.node, Buffer.from(node)])
  // No partition: the dead-letter topic's own partitioner places it by the original key.
  return { topic, key: source.key, value: source.value, timestamp: source.timestamp, headers: [...source.headers, ...added] }
}
