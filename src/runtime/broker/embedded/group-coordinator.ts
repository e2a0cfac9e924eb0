/**
 * The consumer groups of this broker, created on first use. Groups rebalance when a topic appears
 * or disappears, since subscriptions name topics, not partitions.
 */
import type { LogManager } from './log-manager'
import { ConsumerGroup } from './consumer-group'

export class GroupCoordinator {
  private readonly groups = new Map<string, ConsumerGroup>()

  constructor(private readonly logs: LogManager) {
    logs.onTopicsChanged(() => {
      for (const group of this.groups.values()) group.rebalance()
    })
  }

  group(groupId: string): ConsumerGroup {
    let group = this.groups.get(groupId)
    if (group === undefined) {
      group = new ConsumerGroup(groupId, (topic) => this.logs.topic(topic)?.partitions.length)
      this.groups.set(groupId, group)
    }
    return group
  }

  /** Whether a group has members (expired ones are evicted first). */
  hasActiveMembers(groupId: string): boolean {
    const group = this.groups.get(groupId)
    if (group === undefined) return false
    group.expire(Date.now())
    return group.size > 0
  }
}
