/** Consumer-group behaviour of the embedded broker beyond the port contract. */
import type { TopicPartition } from '../../../../src/runtime/broker/broker'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../../../src/runtime/broker/embedded/embedded-broker'
import { out, produce } from './embedded-test-support'

function show(tps: readonly TopicPartition[]): string[] {
  return tps.map((tp) => `${tp.topic}${tp.partition}`).sort()
}

function recorder(log: string[], name: string, hooks: { onRevoked?: (tps: readonly TopicPartition[]) => Promise<void> } = {}) {
  return {
    onAssigned: (tps: readonly TopicPartition[]) => void log.push(`${name} assigned ${show(tps).join(',')}`),
    onRevoked: async (tps: readonly TopicPartition[]) => {
      log.push(`${name} revoked ${show(tps).join(',')}`)
      await hooks.onRevoked?.(tps)
    },
    onLost: (tps: readonly TopicPartition[]) => void log.push(`${name} lost ${show(tps).join(',')}`),
  }
}

async function pollBoth(a: { poll(n: number, t: number): Promise<unknown> }, b: { poll(n: number, t: number): Promise<unknown> }, rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.all([a.poll(10, 30), b.poll(10, 30)])
}

describe('embedded consumer groups', () => {
  let broker: EmbeddedBroker
  beforeEach(async () => {
    broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0 })
    await broker.admin().ensureTopics([{ name: 't', partitions: 4 }])
  })
  afterEach(() => broker.close())

  it('rebalances incrementally: a member gives up only what moves, after its onRevoked returned', async () => {
    const log: string[] = []
    const c1 = broker.consumer({ groupId: 'g', autoOffsetReset: 'earliest' })
    await c1.subscribe(['t'], recorder(log, 'c1', {
      // An orderly hand-over commits in onRevoked; the new owner must start from that commit.
      onRevoked: async (tps) => {
        await new Promise((r) => setTimeout(r, 50))
        log.push('c1 committing')
        await c1.commit(tps.map((tp) => ({ ...tp, offset: 1 })))
      },
    }))
    await c1.poll(10, 10)
    await produce(broker, [0, 1, 2, 3].flatMap((p) => [out('t', 'a', `p${p}-0`, { partition: p }), out('t', 'b', `p${p}-1`, { partition: p })]))
    const c2 = broker.consumer({ groupId: 'g', autoOffsetReset: 'earliest' })
    await c2.subscribe(['t'], recorder(log, 'c2'))
    const c2Records: string[] = []
    await Promise.all([
      c1.poll(100, 100),
      (async () => {
        for (let i = 0; i < 10 && c2Records.length < 2; i++) c2Records.push(...(await c2.poll(100, 50)).map((r) => r.value!.toString()))
      })(),
    ])
    expect(log).toEqual(['c1 assigned t0,t1,t2,t3', 'c1 revoked t2,t3', 'c1 committing', 'c2 assigned t2,t3'])
    expect(c2Records.sort()).toEqual(['p2-1', 'p3-1'])
  })

  it('evicts a silent member: the others take over, its commits fail with TASK_MIGRATED, its next poll reports onLost', async () => {
    const log: string[] = []
    const c1 = broker.consumer({ groupId: 'g', sessionTimeoutMs: 100 })
    const c2 = broker.consumer({ groupId: 'g', sessionTimeoutMs: 100 })
    await c1.subscribe(['t'], recorder(log, 'c1'))
    await c2.subscribe(['t'], recorder(log, 'c2'))
    await pollBoth(c1, c2)
    expect(show(c2.assignment())).toEqual(['t2', 't3'])
    for (let i = 0; i < 10; i++) await c1.poll(10, 30)
    expect(show(c1.assignment())).toEqual(['t0', 't1', 't2', 't3'])
    await expect(c2.commit([{ topic: 't', partition: 2, offset: 1 }])).rejects.toMatchObject({ code: 'TASK_MIGRATED' })
    const tx = broker.producer({ transactionalId: 'tx' })
    await tx.connect()
    await tx.beginTransaction()
    await expect(tx.sendOffsetsToTransaction([{ topic: 't', partition: 2, offset: 1 }], c2)).rejects.toMatchObject({ code: 'TASK_MIGRATED' })
    await c2.poll(10, 10)
    expect(log.filter((l) => l.startsWith('c2'))).toEqual(['c2 assigned t2,t3', 'c2 lost t2,t3'])
    // It joined again as a new member and gets its share back once c1 lets go.
    await pollBoth(c1, c2)
    expect(show(c2.assignment())).toEqual(['t2', 't3'])
  })

  it('keeps a surplus member idle until another leaves', async () => {
    await broker.admin().ensureTopics([{ name: 'one', partitions: 1 }])
    const c1 = broker.consumer({ groupId: 'g' })
    const c2 = broker.consumer({ groupId: 'g' })
    await c1.subscribe(['one'], recorder([], 'c1'))
    await c2.subscribe(['one'], recorder([], 'c2'))
    await pollBoth(c1, c2)
    expect([c1.assignment().length, c2.assignment().length]).toEqual([1, 0])
    await c1.close()
    await c2.poll(10, 10)
    expect(show(c2.assignment())).toEqual(['one0'])
  })

  it('rebalances when a subscribed topic is deleted', async () => {
    const log: string[] = []
    const c1 = broker.consumer({ groupId: 'g' })
    await c1.subscribe(['t'], recorder(log, 'c1'))
    await c1.poll(10, 10)
    await broker.admin().deleteTopics(['t'])
    await c1.poll(10, 10)
    expect(log).toEqual(['c1 assigned t0,t1,t2,t3', 'c1 revoked t0,t1,t2,t3'])
  })

  it('starts a read_committed consumer at the last stable offset for latest', async () => {
    const tx = broker.producer({ transactionalId: 'tx' })
    await tx.connect()
    await tx.beginTransaction()
    tx.send(out('t', 'k', 'pending', { partition: 0 }))
    await tx.flush()
    const c = broker.consumer({ groupId: 'g', isolationLevel: 'read_committed', autoOffsetReset: 'latest' })
    await c.subscribe(['t'], recorder([], 'c'))
    expect(await c.poll(10, 20)).toEqual([])
    await tx.commitTransaction()
    expect((await c.poll(10, 1000)).map((r) => r.value!.toString())).toEqual(['pending'])
  })

  it.each([true, false])('a new owner waits for a zombie transaction holding offsets of its partition (commit: %s)', async (commit) => {
    await broker.admin().ensureTopics([{ name: 'in', partitions: 1 }])
    await produce(broker, Array.from({ length: 10 }, (_, i) => out('in', `k${i}`, `v${i}`)))
    const zombie = broker.consumer({ groupId: 'eos', sessionTimeoutMs: 100, autoOffsetReset: 'earliest', isolationLevel: 'read_committed' })
    await zombie.subscribe(['in'], recorder([], 'zombie'))
    expect(await zombie.poll(100, 1000)).toHaveLength(10)
    const tx = broker.producer({ transactionalId: 'zombie-tx' })
    await tx.connect()
    await tx.beginTransaction()
    tx.send(out('t', 'k', 'result', { partition: 0 }))
    await tx.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 10 }], zombie)
    // The zombie stops polling; the new member takes the partition over...
    const successor = broker.consumer({ groupId: 'eos', autoOffsetReset: 'earliest', isolationLevel: 'read_committed' })
    await successor.subscribe(['in'], recorder([], 'successor'))
    const early: string[] = []
    for (let i = 0; i < 8; i++) early.push(...(await successor.poll(100, 50)).map((r) => r.value!.toString()))
    expect(show(successor.assignment())).toEqual(['in0'])
    // ...but reads nothing while the zombie's offsets are pending.
    expect(early).toEqual([])
    if (commit) await tx.commitTransaction()
    else await tx.abortTransaction()
    const after: string[] = []
    for (let i = 0; i < 5 && after.length < (commit ? 0 : 10); i++) after.push(...(await successor.poll(100, 50)).map((r) => r.value!.toString()))
    expect(after).toEqual(commit ? [] : Array.from({ length: 10 }, (_, i) => `v${i}`))
  })
})
