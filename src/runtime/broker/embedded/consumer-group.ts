/**
 * One consumer group inside this process: membership, the range assignment, and partition
 * ownership during hand-overs. Rebalancing is incremental (like Kafka's cooperative protocol):
 * a member gives up only the partitions it loses, and a partition moves to its new member only
 * after the old one released it (its onRevoked returned, so its commit is done).
 *
 * A member's life:
 *
 *   join() ──▶ ACTIVE ──(its poll: revoke owned-not-targeted; claim targeted-and-free)──▶ ACTIVE
 *                │  └──(no poll for sessionTimeoutMs)──▶ LOST: partitions released at once;
 *                │         its next poll reports onLost and joins again as a new member
 *                └──leave() (close)──▶ gone: partitions released
 *
 * A member counts as alive while inside poll() (rebalance callbacks included) and for
 * sessionTimeoutMs after it last returned from one.
 */
import type { TopicPartition } from '../broker'
import { tpKey } from './group-offsets'
import { rangeAssign } from './range-assignor'

export class GroupMember {
  id = ''
  lost = false
  /** Inside poll(): alive whatever the clock says. */
  polling = false
  lastSeen = Date.now()
  readonly owned = new Map<string, TopicPartition>()
  target = new Map<string, TopicPartition>()

  constructor(
    readonly clientId: string,
    readonly topics: ReadonlySet<string>,
    readonly sessionTimeoutMs: number,
  ) {}
}

export class ConsumerGroup {
  /** In join order: the order the range assignor deals partitions in. */
  private readonly members = new Map<string, GroupMember>()
  private readonly owners = new Map<string, GroupMember>()
  private joins = 0

  constructor(
    readonly groupId: string,
    private readonly partitionCount: (topic: string) => number | undefined,
  ) {}

  get size(): number {
    return this.members.size
  }

  join(member: GroupMember): void {
    member.id = `${member.clientId}-${++this.joins}`
    member.lost = false
    member.lastSeen = Date.now()
    this.members.set(member.id, member)
    this.rebalance()
  }

  leave(member: GroupMember): void {
    if (this.members.get(member.id) !== member) return
    this.members.delete(member.id)
    this.release(member, [...member.owned.values()])
    this.rebalance()
  }

  /** Evicts members silent for longer than their session timeout; true if any was. */
  expire(now: number): boolean {
    let evicted = false
    for (const member of this.members.values()) {
      if (member.polling || now - member.lastSeen <= member.sessionTimeoutMs) continue
      this.members.delete(member.id)
      member.lost = true
      // Released now so the others can go on; the member still lists them to report onLost.
      for (const key of member.owned.keys()) if (this.owners.get(key) === member) this.owners.delete(key)
      evicted = true
    }
    if (evicted) this.rebalance()
    return evicted
  }

  /** Milliseconds until the next member could expire (Infinity if none can). */
  nextExpiryIn(now: number): number {
    let next = Infinity
    for (const m of this.members.values()) if (!m.polling) next = Math.min(next, m.lastSeen + m.sessionTimeoutMs - now + 1)
    return Math.max(next, 1)
  }

  /** Recomputes every member's target partitions (membership or topics changed). */
  rebalance(): void {
    const counts = new Map<string, number>()
    for (const member of this.members.values()) {
      for (const topic of member.topics) {
        const count = this.partitionCount(topic)
        if (count !== undefined) counts.set(topic, count)
      }
    }
    const assignment = rangeAssign([...this.members.values()], counts)
    for (const member of this.members.values()) {
      member.target = new Map((assignment.get(member.id) ?? []).map((tp) => [tpKey(tp), tp]))
    }
  }

  /** Owned partitions the member must give up. */
  toRevoke(member: GroupMember): TopicPartition[] {
    return [...member.owned].filter(([key]) => !member.target.has(key)).map(([, tp]) => tp)
  }

  release(member: GroupMember, partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      const key = tpKey(tp)
      member.owned.delete(key)
      if (this.owners.get(key) === member) this.owners.delete(key)
    }
  }

  /** Takes the member's targeted partitions that nobody owns any more; returns them. */
  claim(member: GroupMember): TopicPartition[] {
    if (member.lost) return []
    const claimed: TopicPartition[] = []
    for (const [key, tp] of member.target) {
      if (member.owned.has(key) || this.owners.has(key)) continue
      this.owners.set(key, member)
      member.owned.set(key, tp)
      claimed.push(tp)
    }
    return claimed
  }

  owns(member: GroupMember, tp: TopicPartition): boolean {
    return this.owners.get(tpKey(tp)) === member
  }
}
