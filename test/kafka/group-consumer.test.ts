import type { TopicPartition } from '../../src/runtime/broker/broker'
import { useMockCluster } from '../support/mock-cluster/use-mock-cluster'
import { brokerPerTest, groupOptions, mockBroker, outgoing, pollUntil, rebalanceLog, sortTp } from './kafka-test-kit'

const kafka = useMockCluster()

describe('Kafka adapter: group consumer on the mock cluster', () => {
  const broker = brokerPerTest(kafka)

  /** A new topic with `perPartition` records in each partition. */
  async function topicWith(prefix: string, partitions: number, perPartition = 0): Promise<string> {
    const topic = kafka.uniqueTopic(prefix)
    await kafka.createTopic(topic, partitions)
    if (perPartition > 0) await produce(topic, perPartition, partitions)
    return topic
  }

  /** A cooperative member with a static id: the mock elects the smallest id leader of the group. */
  function staticMember(group: string, instanceId: string) {
    return mockBroker(kafka.bootstrapServers, { assignor: 'cooperative-sticky', rdkafkaConsumer: { 'group.instance.id': `${group}-${instanceId}` } })
  }

  async function produce(topic: string, perPartition: number, partitions: number): Promise<void> {
    const producer = broker().producer()
    await producer.connect()
    for (let p = 0; p < partitions; p++) {
      for (let i = 0; i < perPartition; i++) producer.send(outgoing(topic, `k${i}`, `p${p}-${i}`, { partition: p }))
    }
    await producer.flush()
    await producer.close()
  }

  it('splits partitions between two members with range assignment, firing rebalance callbacks', async () => {
    const topic = await topicWith('split', 4, 5)
    const group = kafka.uniqueTopic('g')
    const log1 = rebalanceLog()
    const log2 = rebalanceLog()
    const c1 = broker().consumer(groupOptions(group))
    const c2 = broker().consumer(groupOptions(group))
    await c1.subscribe([topic], log1)
    // c1 alone owns all four partitions first.
    await pollUntil([c1], () => c1.assignment().length === 4)
    await c2.subscribe([topic], log2)
    await pollUntil([c1, c2], () => c1.assignment().length === 2 && c2.assignment().length === 2, 20_000)

    const owned = sortTp([...c1.assignment(), ...c2.assignment()])
    expect(owned).toEqual([0, 1, 2, 3].map((partition) => ({ topic, partition })))
    // c1: all four, all four revoked (eager), then its half. A loaded machine may add a rebalance
    // round, so only the shape is fixed, not the count.
    expect(log1.events[0]!.kind).toBe('assigned')
    expect(log1.events[0]!.partitions).toHaveLength(4)
    expect(log1.events.find((e) => e.kind === 'revoked')!.partitions).toHaveLength(4)
    for (const [log, member] of [[log1, c1], [log2, c2]] as const) {
      const last = log.events.at(-1)!
      expect(last.kind).toBe('assigned')
      expect(sortTp(last.partitions)).toEqual(sortTp(member.assignment()))
      expect(log.events.some((e) => e.kind === 'lost')).toBe(false)
    }
    // Range assigns contiguous partitions: one member gets 0-1, the other 2-3.
    const ranges = [c1, c2].map((c) => c.assignment().map((p) => p.partition).sort().join(','))
    expect(ranges.sort()).toEqual(['0,1', '2,3'])
  })

  it('uses incremental (cooperative-sticky) assignment when configured', async () => {
    const topic = await topicWith('coop', 4)
    const coop = mockBroker(kafka.bootstrapServers, { assignor: 'cooperative-sticky' })
    try {
      const group = kafka.uniqueTopic('g')
      const log1 = rebalanceLog()
      const c1 = coop.consumer(groupOptions(group))
      const c2 = coop.consumer(groupOptions(group))
      await c1.subscribe([topic], log1)
      await pollUntil([c1], () => c1.assignment().length === 4)
      await c2.subscribe([topic], rebalanceLog())
      await pollUntil([c1, c2], () => c1.assignment().length === 2 && c2.assignment().length === 2, 20_000)
      // Cooperative: c1 gives up only two partitions and keeps the others throughout.
      const revoked = log1.events.filter((e) => e.kind === 'revoked').flatMap((e) => e.partitions)
      expect(revoked).toHaveLength(2)
    } finally {
      await coop.close()
    }
  })

  it('commits offsets and a new member resumes from them', async () => {
    const topic = await topicWith('commit', 2, 10)
    const group = kafka.uniqueTopic('g')
    const c1 = broker().consumer(groupOptions(group))
    await c1.subscribe([topic], rebalanceLog())
    await pollUntil([c1], (r) => r.length >= 20)
    await c1.commit([
      { topic, partition: 0, offset: 4 },
      { topic, partition: 1, offset: 7 },
    ])
    expect(sortTp(await c1.committed([{ topic, partition: 0 }, { topic, partition: 1 }]))).toEqual([
      { topic, partition: 0, offset: 4 },
      { topic, partition: 1, offset: 7 },
    ])
    await c1.close()

    const c2 = broker().consumer(groupOptions(group))
    await c2.subscribe([topic], rebalanceLog())
    const again = await pollUntil([c2], (r) => r.length >= 6 + 3)
    expect(again.filter((r) => r.partition === 0).map((r) => r.offset)).toEqual([4, 5, 6, 7, 8, 9])
    expect(again.filter((r) => r.partition === 1).map((r) => r.offset)).toEqual([7, 8, 9])
    expect(await broker().admin().committedOffsets(group, [{ topic, partition: 0 }])).toEqual([{ topic, partition: 0, offset: 4 }])
  })

  // Cooperative here because the mock broker rejects OffsetCommit while an eager rebalance is in
  // its joining phase (REBALANCE_IN_PROGRESS), where a real broker accepts the current generation.
  //
  // c2 leads (the mock elects the smallest group.instance.id). The mock ends a rebalance when the
  // leader's SyncGroup arrives and refuses a later follower's SyncGroup (INVALID_REQUEST; Kafka
  // answers it), so a follower slowed by a loaded machine rejoins and starts another rebalance, in
  // which the mock refuses commits. With c1 as the follower, its revocation comes from a SyncGroup
  // answered after the leader's: all members have synced, and nobody rejoins before c1 itself,
  // which librdkafka holds until this callback's unassign.
  it('lets an onRevoked listener commit before the partitions move (cooperative)', async () => {
    const topic = await topicWith('revoke-commit', 2, 3)
    const group = kafka.uniqueTopic('g')
    const follower = staticMember(group, 'b')
    const leader = staticMember(group, 'a')
    try {
      const c1 = follower.consumer(groupOptions(group))
      const seen: TopicPartition[] = []
      const ownedInCallback: TopicPartition[] = []
      await c1.subscribe(
        [topic],
        rebalanceLog({
          onRevoked: async (partitions) => {
            seen.push(...partitions)
            ownedInCallback.push(...c1.assignment())
            await c1.commit(partitions.map((p) => ({ ...p, offset: 3 })))
          },
        }),
      )
      await pollUntil([c1], (r) => r.length >= 6)
      const c2 = leader.consumer(groupOptions(group))
      await c2.subscribe([topic], rebalanceLog())
      await pollUntil([c1, c2], () => c2.assignment().length === 1 && c1.assignment().length === 1, 20_000)
      expect(seen).toHaveLength(1)
      // The listener ran while the partition was still c1's; it is c2's now.
      expect(ownedInCallback).toContainEqual(seen[0])
      expect(c2.assignment()).toEqual(seen)
      expect(await leader.admin().committedOffsets(group, seen)).toEqual([{ ...seen[0]!, offset: 3 }])
    } finally {
      await Promise.all([follower.close(), leader.close()])
    }
  })

  // A rollback inside a rebalance callback seeks a partition the member keeps. The poll serving
  // that callback fetched the partition's records before the seek: they must not be returned,
  // or they would be processed on state rolled back below them (the seek reads them again).
  //
  // c2 leads, for the reason given above the previous test: a follower c2 that synced late would
  // rejoin, and the rebalance could repeat until the deadline on a loaded machine.
  it('drops records fetched before a seek made in a rebalance callback of the same poll (cooperative)', async () => {
    const topic = await topicWith('seek-in-callback', 2, 200)
    const group = kafka.uniqueTopic('g')
    const follower = staticMember(group, 'b')
    const leader = staticMember(group, 'a')
    try {
      const c1 = follower.consumer(groupOptions(group))
      let kept: TopicPartition | undefined
      await c1.subscribe(
        [topic],
        rebalanceLog({
          onRevoked: (partitions) => {
            kept = c1.assignment().find((p) => !partitions.some((r) => r.partition === p.partition))
            if (kept !== undefined) c1.seek({ ...kept, offset: 0 })
          },
        }),
      )
      // c1 reads a little of both partitions; librdkafka prefetches the rest.
      const early = await pollUntil([c1], (r) => new Set(r.map((x) => x.partition)).size === 2)
      const c2 = leader.consumer(groupOptions(group))
      await c2.subscribe([topic], rebalanceLog())
      const after: typeof early = []
      const deadline = Date.now() + 20_000
      while (kept === undefined || !after.some((r) => r.partition === kept!.partition)) {
        if (Date.now() > deadline) throw new Error('the rebalance did not happen')
        const polled = await c1.poll(500, 100)
        if (kept !== undefined) after.push(...polled)
        await c2.poll(500, 10)
      }
      expect(early.length).toBeGreaterThan(0)
      // The first record of the kept partition after the seek is its offset 0.
      expect(after.find((r) => r.partition === kept!.partition)!.offset).toBe(0)
    } finally {
      await Promise.all([follower.close(), leader.close()])
    }
  })

  it('reports a commit refused during an eager rebalance as TASK_MIGRATED', async () => {
    const topic = await topicWith('revoke-eager', 2)
    const group = kafka.uniqueTopic('g')
    const c1 = broker().consumer(groupOptions(group))
    const failures: unknown[] = []
    await c1.subscribe(
      [topic],
      rebalanceLog({
        onRevoked: (partitions) => c1.commit(partitions.map((p) => ({ ...p, offset: 1 }))).catch((e: unknown) => void failures.push(e)),
      }),
    )
    await pollUntil([c1], () => c1.assignment().length === 2)
    const c2 = broker().consumer(groupOptions(group))
    await c2.subscribe([topic], rebalanceLog())
    await pollUntil([c1, c2], () => c2.assignment().length === 1 && c1.assignment().length === 1, 20_000)
    // The mock refuses it every time; a real broker accepts it. Either way: no other error code.
    expect(failures.length).toBeGreaterThan(0)
    for (const f of failures) expect(f).toMatchObject({ code: 'TASK_MIGRATED' })
  })

  it('pauses and resumes partitions', async () => {
    const topic = await topicWith('pause', 2)
    const c = broker().consumer(groupOptions(kafka.uniqueTopic('g')))
    await c.subscribe([topic], rebalanceLog({ onAssigned: (partitions) => c.pause(partitions.filter((p) => p.partition === 1)) }))
    await pollUntil([c], () => c.assignment().length === 2)
    await produce(topic, 5, 2)
    const first = await pollUntil([c], (r) => r.length >= 5)
    await new Promise((r) => setTimeout(r, 300))
    first.push(...(await c.poll(100, 300)))
    expect(first.every((r) => r.partition === 0)).toBe(true)
    expect(first).toHaveLength(5)

    c.resume([{ topic, partition: 1 }])
    const second = await pollUntil([c], (r) => r.length >= 5)
    expect(second.map((r) => r.partition)).toEqual([1, 1, 1, 1, 1])
  })

  it('seeks back and forward, including from inside onAssigned', async () => {
    const topic = await topicWith('seek', 1, 10)
    const c = broker().consumer(groupOptions(kafka.uniqueTopic('g')))
    await c.subscribe([topic], rebalanceLog({ onAssigned: (partitions) => partitions.forEach((p) => c.seek({ ...p, offset: 6 })) }))
    const fromSix = await pollUntil([c], (r) => r.length >= 4)
    expect(fromSix.map((r) => r.offset)).toEqual([6, 7, 8, 9])

    c.seek({ topic, partition: 0, offset: 2 })
    const fromTwo = await pollUntil([c], (r) => r.length >= 8)
    expect(fromTwo.map((r) => r.offset)).toEqual([2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('rejects poll before subscribe and tolerates close twice', async () => {
    const c = broker().consumer(groupOptions(kafka.uniqueTopic('g')))
    await expect(c.poll(10, 10)).rejects.toMatchObject({ code: 'ILLEGAL_STATE' })
    await c.close()
    await c.close()
  })
})
