/** Contract: consumer groups (commit/resume, splitting partitions, hand-over), pause, seek, poll. */
import type { Broker, GroupConsumer } from '../../src/runtime/broker/broker'
import {
  RecordingListener,
  createTopics,
  freshTopic,
  itIf,
  names,
  pollAllUntil,
  pollUntil,
  produceRange,
  record,
  text,
  type ContractContext,
} from './contract-support'

const NO_PARTITIONS = 'cannot create topics with a chosen partition count'

function produce(broker: Broker, topic: string, count: number, partition?: number): Promise<void> {
  return produceRange(broker, topic, { to: count, partition })
}

export function describeConsumerGroupContract(ctx: ContractContext): void {
  const caps = ctx.capabilities
  const withPartitions = itIf(caps.topicsWithPartitions, NO_PARTITIONS)
  const consumers: GroupConsumer[] = []
  const consumer = (groupId: string, extra: { sessionTimeoutMs?: number; autoOffsetReset?: 'earliest' | 'latest' } = {}): GroupConsumer => {
    const c = ctx.current().broker.consumer({ groupId, autoOffsetReset: 'earliest', heartbeatIntervalMs: 100, ...extra })
    consumers.push(c)
    return c
  }
  afterEach(async () => {
    for (const c of consumers.splice(0)) await c.close().catch(() => undefined)
  })

  describe('consumer groups', () => {
    withPartitions('commits offsets, and a later member of the group resumes from them', async () => {
      const t = ctx.current()
      const topic = freshTopic('resume')
      const group = freshTopic('g')
      await createTopics(t, [{ name: topic, partitions: 1 }])
      await produce(t.broker, topic, 10)
      const first = consumer(group)
      await first.subscribe([topic], new RecordingListener())
      const got = await pollUntil(first, (r) => r.length >= 10, caps.rebalanceTimeoutMs)
      const commitAt = got[5]!.offset + 1
      await first.commit([{ topic, partition: 0, offset: commitAt }])
      expect(await first.committed([{ topic, partition: 0 }])).toEqual([{ topic, partition: 0, offset: commitAt }])
      expect(await t.broker.admin().committedOffsets(group, [{ topic, partition: 0 }])).toEqual([{ topic, partition: 0, offset: commitAt }])
      await first.close()
      const second = consumer(group)
      await second.subscribe([topic], new RecordingListener())
      const resumed = await pollUntil(second, (r) => r.length >= 4, caps.rebalanceTimeoutMs)
      expect(resumed.map((r) => text(r.value))).toEqual(['v6', 'v7', 'v8', 'v9'])
    })

    withPartitions('starts without a commit at the beginning (earliest) or at the end (latest)', async () => {
      const t = ctx.current()
      const topic = freshTopic('reset')
      await createTopics(t, [{ name: topic, partitions: 1 }])
      await produce(t.broker, topic, 3)
      const earliest = consumer(freshTopic('g'), { autoOffsetReset: 'earliest' })
      const latestListener = new RecordingListener()
      const latest = consumer(freshTopic('g'), { autoOffsetReset: 'latest' })
      await earliest.subscribe([topic], new RecordingListener())
      await latest.subscribe([topic], latestListener)
      expect(await pollUntil(earliest, (r) => r.length >= 3, caps.rebalanceTimeoutMs)).toHaveLength(3)
      await pollUntil(latest, () => latestListener.held().length === 1, caps.rebalanceTimeoutMs)
      expect(await latest.poll(10, 200)).toEqual([])
      const producer = t.broker.producer()
      await producer.connect()
      producer.send(record(topic, 'new', 'after'))
      await producer.flush()
      await producer.close()
      const got = await pollUntil(latest, (r) => r.length >= 1, caps.rebalanceTimeoutMs)
      expect(got.map((r) => text(r.value))).toEqual(['after'])
    })

    withPartitions('two members split the partitions through rebalance callbacks, co-partitioned topics together', async () => {
      const t = ctx.current()
      const [a, b] = [freshTopic('split-a'), freshTopic('split-b')]
      const group = freshTopic('g')
      await createTopics(t, [{ name: a, partitions: 4 }, { name: b, partitions: 4 }])
      const l1 = new RecordingListener()
      const l2 = new RecordingListener()
      const c1 = consumer(group)
      await c1.subscribe([a, b], l1)
      await pollUntil(c1, () => l1.held().length === 8, caps.rebalanceTimeoutMs)
      expect(names(c1.assignment())).toEqual(l1.held())
      const c2 = consumer(group)
      await c2.subscribe([a, b], l2)
      await pollAllUntil([c1, c2], () => l1.held().length === 4 && l2.held().length === 4, caps.rebalanceTimeoutMs)
      expect(l1.count('revoked')).toBeGreaterThanOrEqual(1)
      expect(names(c1.assignment())).toEqual(l1.held())
      expect(names(c2.assignment())).toEqual(l2.held())
      expect([...l1.held(), ...l2.held()].sort()).toEqual([a, b].flatMap((topic) => [0, 1, 2, 3].map((p) => `${topic}:${p}`)).sort())
      for (const c of [c1, c2]) {
        const partitionsOf = (topic: string): number[] => c.assignment().filter((tp) => tp.topic === topic).map((tp) => tp.partition).sort()
        expect(partitionsOf(a)).toEqual(partitionsOf(b))
      }
      // Each member now receives exactly the records of its own partitions.
      for (let p = 0; p < 4; p++) await produce(t.broker, a, 1, p)
      const seen: { consumer: number; partition: number }[] = []
      await Promise.all(
        [c1, c2].map(async (c, i) => {
          const got = await pollUntil(c, (r) => r.length >= 2, caps.rebalanceTimeoutMs)
          for (const r of got) seen.push({ consumer: i, partition: r.partition })
        }),
      )
      for (const { consumer: i, partition } of seen) expect([c1, c2][i]!.assignment().some((tp) => tp.topic === a && tp.partition === partition)).toBe(true)
      expect(seen.map((s) => s.partition).sort()).toEqual([0, 1, 2, 3])
    })

    withPartitions('a member that closes hands its partitions over', async () => {
      const t = ctx.current()
      const topic = freshTopic('handover')
      const group = freshTopic('g')
      await createTopics(t, [{ name: topic, partitions: 4 }])
      const l1 = new RecordingListener()
      const l2 = new RecordingListener()
      const c1 = consumer(group)
      const c2 = consumer(group)
      await c1.subscribe([topic], l1)
      await c2.subscribe([topic], l2)
      await pollAllUntil([c1, c2], () => l1.held().length === 2 && l2.held().length === 2, caps.rebalanceTimeoutMs)
      await c2.close()
      await pollUntil(c1, () => l1.held().length === 4, caps.rebalanceTimeoutMs)
      expect(names(c1.assignment())).toEqual([0, 1, 2, 3].map((p) => `${topic}:${p}`))
    })

    itIf(caps.evictsSilentMembers && caps.topicsWithPartitions, caps.topicsWithPartitions ? 'silent members are not evicted' : NO_PARTITIONS)(
      'a member that stops polling past its session timeout loses its partitions (onLost)',
      async () => {
        const t = ctx.current()
        const topic = freshTopic('silent')
        const group = freshTopic('g')
        await createTopics(t, [{ name: topic, partitions: 2 }])
        const l1 = new RecordingListener()
        const l2 = new RecordingListener()
        const c1 = consumer(group, { sessionTimeoutMs: caps.sessionTimeoutMs })
        const c2 = consumer(group, { sessionTimeoutMs: caps.sessionTimeoutMs })
        await c1.subscribe([topic], l1)
        await c2.subscribe([topic], l2)
        await pollAllUntil([c1, c2], () => l1.held().length === 1 && l2.held().length === 1, caps.rebalanceTimeoutMs)
        const silentHeld = l2.held()
        const settled = l2.events.length
        // c2 stops polling; c1 alone polls until it holds everything.
        await pollUntil(c1, () => l1.held().length === 2, caps.sessionTimeoutMs + caps.rebalanceTimeoutMs)
        expect(l1.held()).toEqual([`${topic}:0`, `${topic}:1`])
        await c2.poll(10, 100)
        // Only what follows the split: a member that joined first may have been revoked once before it.
        const after = l2.events.slice(settled)
        expect(after.filter((e) => e.kind === 'lost').map((e) => names(e.partitions))).toEqual([silentHeld])
        expect(after.filter((e) => e.kind === 'revoked')).toEqual([])
      },
      60_000,
    )

    withPartitions('pause() holds a partition back until resume()', async () => {
      const t = ctx.current()
      const topic = freshTopic('pause')
      await createTopics(t, [{ name: topic, partitions: 2 }])
      const listener = new RecordingListener()
      const c = consumer(freshTopic('g'))
      await c.subscribe([topic], listener)
      await pollUntil(c, () => listener.held().length === 2, caps.rebalanceTimeoutMs)
      c.pause([{ topic, partition: 0 }])
      await produce(t.broker, topic, 3, 0)
      await produce(t.broker, topic, 3, 1)
      const before = await pollUntil(c, (r) => r.length >= 3, caps.rebalanceTimeoutMs)
      before.push(...(await c.poll(100, 300)))
      expect(before.map((r) => r.partition)).toEqual([1, 1, 1])
      c.resume([{ topic, partition: 0 }])
      const after = await pollUntil(c, (r) => r.length >= 3, caps.rebalanceTimeoutMs)
      expect(after.map((r) => r.partition)).toEqual([0, 0, 0])
    })

    withPartitions('seek() moves the position, also backwards', async () => {
      const t = ctx.current()
      const topic = freshTopic('seek')
      await createTopics(t, [{ name: topic, partitions: 1 }])
      await produce(t.broker, topic, 5)
      const c = consumer(freshTopic('g'))
      await c.subscribe([topic], new RecordingListener())
      const all = await pollUntil(c, (r) => r.length >= 5, caps.rebalanceTimeoutMs)
      c.seek({ topic, partition: 0, offset: all[1]!.offset })
      const again = await pollUntil(c, (r) => r.length >= 4, caps.rebalanceTimeoutMs)
      expect(again.map((r) => text(r.value))).toEqual(['v1', 'v2', 'v3', 'v4'])
      expect(() => c.seek({ topic, partition: 7, offset: 0 })).toThrow()
      expect(() => c.pause([{ topic: freshTopic('unassigned'), partition: 0 }])).toThrow()
    })

    withPartitions('poll() waits for the first record up to its timeout, and no longer', async () => {
      const t = ctx.current()
      const topic = freshTopic('wait')
      await createTopics(t, [{ name: topic, partitions: 1 }])
      const listener = new RecordingListener()
      const c = consumer(freshTopic('g'))
      await c.subscribe([topic], listener)
      await pollUntil(c, () => listener.held().length === 1, caps.rebalanceTimeoutMs)
      let started = Date.now()
      expect(await c.poll(10, 300)).toEqual([])
      expect(Date.now() - started).toBeGreaterThanOrEqual(250)
      started = Date.now()
      const polled = c.poll(10, 10_000)
      setTimeout(() => void produce(t.broker, topic, 1), 100)
      expect((await polled).map((r) => text(r.value))).toEqual(['v0'])
      expect(Date.now() - started).toBeLessThan(5_000)
    })
  })
}
