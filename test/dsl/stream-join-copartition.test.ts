/**
 * Co-partitioning of KStream-KStream joins with re-keyed sides (Kafka Streams'
 * CopartitionedTopicsEnforcer): a repartition topic takes the partition count of the join's
 * other input, two repartition topics agree on the larger count, and source topics that differ
 * are refused.
 */
import { JoinWindows, Serdes, StreamBuilder, type Topology } from 'streamfold'
import { createEmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import { planTopics } from '../../src/runtime/app/topic-plan'

const str = Serdes.string()
const joined = (_k: string, v: string, o: string): string => `${v}+${o}`
const w = JoinWindows.ofTimeDifferenceWithNoGrace(100)

function topology(rekey: { readonly left: boolean; readonly right: boolean }): Topology {
  const b = new StreamBuilder()
  const left = b.stream('left', { key: str, value: str })
  const right = b.stream('right', { key: str, value: str })
  const l = rekey.left ? left.selectKey((_k, v) => v) : left
  const r = rekey.right ? right.selectKey((_k, v) => v) : right
  l.join(r, joined, w, { name: 'j', key: str, value: str, otherValue: str }).to('out', { key: str, value: str })
  return b.build()
}

async function plan(t: Topology, counts: { readonly left: number; readonly right: number }): Promise<Map<string, number>> {
  const broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0, autoCreateTopics: false })
  try {
    await broker.admin().ensureTopics([
      { name: 'left', partitions: counts.left },
      { name: 'right', partitions: counts.right },
    ])
    const result = await planTopics({ topology: t, applicationId: 'app', admin: broker.admin(), dedup: undefined })
    return new Map(result.internalTopics.filter((s) => s.name.endsWith('-repartition')).map((s) => [s.name, s.partitions]))
  } finally {
    await broker.close()
  }
}

describe('KStream-KStream join co-partitioning', () => {
  test('a re-keyed left side is repartitioned into as many partitions as the right source topic has', async () => {
    expect(await plan(topology({ left: true, right: false }), { left: 2, right: 4 })).toEqual(new Map([['app-j-left-repartition', 4]]))
  })

  test('a re-keyed right side takes the left source topic count', async () => {
    expect(await plan(topology({ left: false, right: true }), { left: 5, right: 2 })).toEqual(new Map([['app-j-right-repartition', 5]]))
  })

  test('both sides re-keyed: both repartition topics get the larger upstream count', async () => {
    expect(await plan(topology({ left: true, right: true }), { left: 2, right: 3 })).toEqual(
      new Map([
        ['app-j-left-repartition', 3],
        ['app-j-right-repartition', 3],
      ]),
    )
  })

  test('neither re-keyed and the counts differ: refused', async () => {
    await expect(plan(topology({ left: false, right: false }), { left: 2, right: 3 })).rejects.toThrow(/same partition count/)
  })
})
