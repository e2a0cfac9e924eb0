import type { TopicPartition } from './broker/broker'

/** A map key for one topic partition: "topic\u0000partition" (NUL cannot occur in a topic name). */
export function partitionKey(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`
}
