/**
 * GlobalKTable state against its topic on the real runtime (embedded broker, LevelDB in temp
 * dirs): under exactly_once aborted writes to the global topic never reach the table, and a
 * stored offset out of range of the topic (records deleted unread, or the topic recreated) wipes
 * the global store and reads the topic again, as Kafka Streams does on OffsetOutOfRange.
 */
import { Serdes, StreamBuilder, StreamsApp } from 'streamfold'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import type { OutgoingRecord } from '../../src/runtime/broker/broker'
import { produce, readTopic, tempDirs, waitFor, waitForState } from './support/app-test-kit'
import { captureLogs } from '../observability/support/log-capture'
import { customersJoinTopology } from './support/global-table-fixtures'

const tempDir = tempDirs()
const str = Serdes.string()

const topology = () => customersJoinTopology('leftJoin')

const customer = (id: string, name: string | null, partition?: number): OutgoingRecord => ({
  topic: 'customers',
  key: Buffer.from(id),
  value: name === null ? null : Buffer.from(name),
  timestamp: 1,
  headers: [],
  ...(partition === undefined ? {} : { partition }),
})

let probes = 0
/** The table's value of each customer id, as a left join of a fresh order sees it. */
async function lookUp(broker: EmbeddedBroker, ids: readonly string[]): Promise<Record<string, string>> {
  const batch = ids.map((id) => ({ order: `p${probes++}`, id }))
  await produce(broker, batch.map(({ order, id }) => ({ topic: 'orders', key: Buffer.from(order), value: Buffer.from(id), timestamp: 2, headers: [] })))
  const found = new Map<string, string>()
  await waitFor(async () => {
    for (const r of await readTopic(broker, 'enriched')) {
      const [order, id, name] = r.value!.toString().split(':')
      if (batch.some((p) => p.order === order)) found.set(id!, name!)
    }
    return found.size === ids.length
  }, 15_000, `joins of ${ids.join(',')}`)
  return Object.fromEntries(ids.map((id) => [id, found.get(id)!]))
}

describe('GlobalKTable state and its topic', () => {
  let broker: EmbeddedBroker
  beforeEach(async () => {
    broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0 })
    await broker.admin().ensureTopics([
      { name: 'customers', partitions: 2 },
      { name: 'orders', partitions: 1 },
      { name: 'enriched', partitions: 1 },
    ])
  })
  afterEach(async () => {
    await broker.close()
  })

  async function abortedWrite(records: readonly OutgoingRecord[]): Promise<void> {
    const tx = broker.producer({ transactionalId: `aborting-${probes++}` })
    await tx.connect()
    await tx.beginTransaction()
    for (const r of records) tx.send(r)
    await tx.flush()
    await tx.abortTransaction()
    await tx.close()
  }

  it('under exactly_once, aborted transactional writes to the global topic never reach the table (bootstrap and catch-up)', async () => {
    await produce(broker, [customer('a', 'committed-a', 0), customer('b', 'committed-b', 1)])
    await abortedWrite([customer('a', 'aborted-a', 0), customer('b', null, 1), customer('x', 'aborted-x', 0)])
    const logs = captureLogs('info')
    const app = new StreamsApp(topology(), { applicationId: 'global-rc', broker: { instance: broker }, stateDir: tempDir(), logger: logs.logger, processingGuarantee: 'exactly_once', commitIntervalMs: 50 })
    await app.start()
    await waitForState(app, 'RUNNING')
    expect(await lookUp(broker, ['a', 'b', 'x'])).toEqual({ a: 'committed-a', b: 'committed-b', x: 'null' })

    // While running: an aborted update, then a committed one after it.
    await abortedWrite([customer('a', 'aborted-again', 0), customer('y', 'aborted-y', 1)])
    await produce(broker, [customer('c', 'committed-c', 0)])
    await waitFor(async () => (await lookUp(broker, ['c'])).c === 'committed-c', 15_000, 'committed update after an aborted one')
    expect(await lookUp(broker, ['a', 'b', 'x', 'y'])).toEqual({ a: 'committed-a', b: 'committed-b', x: 'null', y: 'null' })
    expect(await app.close({ timeoutMs: 10_000 })).toBe(true)
  })

  async function runOnce(stateDir: string, check: () => Promise<void>): Promise<ReturnType<typeof captureLogs>> {
    const logs = captureLogs('info')
    const app = new StreamsApp(topology(), { applicationId: 'global-range', broker: { instance: broker }, stateDir, logger: logs.logger, commitIntervalMs: 50 })
    await app.start()
    await waitForState(app, 'RUNNING')
    await check()
    expect(await app.close({ timeoutMs: 10_000 })).toBe(true)
    return logs
  }
  const wiped = (logs: ReturnType<typeof captureLogs>) => logs.lines.filter((l) => String(l.msg).startsWith('global store offsets are out of range'))

  it('a recreated global topic (stored offsets past its end) wipes the store and reads the new topic', async () => {
    const stateDir = tempDir()
    await produce(broker, Array.from({ length: 20 }, (_, i) => customer(`c${i}`, `old-${i}`, i % 2)))
    await runOnce(stateDir, async () => expect(await lookUp(broker, ['c0', 'c1'])).toEqual({ c0: 'old-0', c1: 'old-1' }))

    await broker.admin().deleteTopics(['customers'])
    await broker.admin().ensureTopics([{ name: 'customers', partitions: 2 }])
    await produce(broker, [customer('c0', 'new-0', 0), customer('n1', 'new-n1', 1)])
    const logs = await runOnce(stateDir, async () => {
      expect(await lookUp(broker, ['c0', 'c1', 'n1'])).toEqual({ c0: 'new-0', c1: 'null', n1: 'new-n1' })
    })
    expect(wiped(logs)).toHaveLength(1)
  })

  it('a stored offset below the log start (records deleted unread, a tombstone among them) wipes the store and reads from the log start', async () => {
    const stateDir = tempDir()
    await produce(broker, [customer('a', 'a1', 0), customer('b', 'b1', 0)])
    await runOnce(stateDir, async () => expect(await lookUp(broker, ['a', 'b'])).toEqual({ a: 'a1', b: 'b1' }))

    // While the app is down: a tombstone for a, then everything up to and including it is deleted.
    await produce(broker, [customer('a', null, 0)])
    await broker.admin().deleteRecords([{ topic: 'customers', partition: 0, offset: 3 }])
    await produce(broker, [customer('c', 'c1', 0)])
    const logs = await runOnce(stateDir, async () => {
      expect(await lookUp(broker, ['a', 'b', 'c'])).toEqual({ a: 'null', b: 'null', c: 'c1' })
    })
    expect(wiped(logs)).toHaveLength(1)
    // The wipe is not repeated: the next start reads on from the offsets stored after it.
    const again = await runOnce(stateDir, async () => expect(await lookUp(broker, ['c'])).toEqual({ c: 'c1' }))
    expect(wiped(again)).toHaveLength(0)
  })

  it('a global topic recreated while the app runs stops it (STATE_CORRUPTED), and the restart wipes and reads the new topic', async () => {
    const stateDir = tempDir()
    await produce(broker, Array.from({ length: 10 }, (_, i) => customer(`c${i}`, `old-${i}`, 0)))
    const config = { applicationId: 'global-range', broker: { instance: broker }, stateDir, logger: captureLogs('info').logger, commitIntervalMs: 50 }
    const app = new StreamsApp(topology(), config)
    await app.start()
    await waitForState(app, 'RUNNING')
    await broker.admin().deleteTopics(['customers'])
    await broker.admin().ensureTopics([{ name: 'customers', partitions: 2 }])
    await produce(broker, [customer('c0', 'new-0', 0)])
    await waitForState(app, 'ERROR')
    expect(app.error).toMatchObject({ code: 'STATE_CORRUPTED' })
    await app.close({ timeoutMs: 10_000 })

    const logs = await runOnce(stateDir, async () => expect(await lookUp(broker, ['c0', 'c1'])).toEqual({ c0: 'new-0', c1: 'null' }))
    expect(wiped(logs)).toHaveLength(1)
  })

  it('tombstones delete rows (at bootstrap, while running, and for good across a restart); null-key records are skipped with a warning', async () => {
    const stateDir = tempDir()
    await produce(broker, [customer('a', 'a1', 0), customer('b', 'b1', 1), { ...customer('x', 'keyless', 0), key: null }, customer('a', null, 0)])
    const logs = await runOnce(stateDir, async () => {
      expect(await lookUp(broker, ['a', 'b'])).toEqual({ a: 'null', b: 'b1' })
      await produce(broker, [customer('b', null, 1)])
      await waitFor(async () => (await lookUp(broker, ['b'])).b === 'null', 15_000, 'b deleted')
    })
    const keyless = logs.lines.filter((l) => l.msg === 'Skipped a global table record with a null key')
    expect(keyless).toMatchObject([{ topic: 'customers', partition: 0, offset: 1 }])
    await runOnce(stateDir, async () => expect(await lookUp(broker, ['a', 'b'])).toEqual({ a: 'null', b: 'null' }))
  })
})
