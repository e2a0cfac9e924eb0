/**
 * Kafka's RangeAssignor: per topic, the subscribers in member order each take a contiguous range
 * of partitions, the first `count % members` one more. Because the order and the arithmetic are
 * the same for every topic, partition i of co-partitioned topics lands on the same member, which
 * is what a task reading several co-partitioned topics needs.
 */
import type { TopicPartition } from '../broker'

export interface AssignorMember {
  readonly id: string
  readonly topics: ReadonlySet<string>
}

export function rangeAssign(
  members: readonly AssignorMember[],
  partitionCounts: ReadonlyMap<string, number>,
): Map<string, TopicPartition[]> {
  const assignment = new Map<string, TopicPartition[]>(members.map((m) => [m.id, []]))
  for (const [topic, count] of partitionCounts) {
    const subscribers = members.filter((m) => m.topics.has(topic))
    if (subscribers.length === 0) continue
    const per = Math.floor(count / subscribers.length)
    const extra = count % subscribers.length
    let next = 0
    subscribers.forEach((member, i) => {
      const take = per + (i < extra ? 1 : 0)
      const list = assignment.get(member.id)!
      for (let p = next; p < next + take; p++) list.push({ topic, partition: p })
      next += take
    })
  }
  return assignment
}
