/**
 * Interactive queries across a rebalance and on session stores (embedded broker, LevelDB): a
 * second instance joining takes partitions away; an iterator open over a task that moves fails
 * with STATE_STORE_MIGRATED, and afterwards each instance answers for exactly the keys of the
 * partitions it hosts, as queryMetadataForKey says.
 */
import { Serdes, StreamBuilder, StreamsApp, SessionWindows, type StreamsConfig } from 'streamfold'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import type { OutgoingRecord } from '../../src/runtime/broker/broker'
import { caughtUp, produce, tempDirs, waitFor, waitForState } from './support/app-test-kit'
import { captureLogs } from '../observability/support/log-capture'

const tempDir = tempDirs()
const str = Serdes.string()
const PARTITIONS = 4

function topology() {
  const b = new StreamBuilder()
  const words = b.stream('words', { key: str, value: str })
  words.groupByKey().count({ name: 'counts' })
  words.groupByKey().windowedBy(SessionWindows.ofInactivityGapAndGrace(100, 1_000_000)).count({ name: 'sessions' })
  return b.build()
}

const word = (key: string, timestamp: number): OutgoingRecord => ({ topic: 'words', key: Buffer.from(key), value: Buffer.from('x'), timestamp, headers: [] })
const keys = Array.from({ length: 24 }, (_, i) => `k${i}`)

describe('interactive queries with two instances', () => {
  let broker: EmbeddedBroker
  const apps: StreamsApp[] = []
  const config = (): StreamsConfig => ({ applicationId: 'iq-group', broker: { instance: broker }, stateDir: tempDir(), logger: captureLogs('info').logger, commitIntervalMs: 50 })

  beforeEach(async () => {
    broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0 })
    await broker.admin().ensureTopics([{ name: 'words', partitions: PARTITIONS }])
  })
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close({ timeoutMs: 10_000 })
    await broker.close()
  })

  it('reads sessions, fails an iterator whose task moves away, then each instance answers for its own partitions', async () => {
    const first = new StreamsApp(topology(), config())
    apps.push(first)
    await first.start()
    await waitForState(first, 'RUNNING')
    // Two sessions per key: [0, 10] (2 records) and [1000, 1000] (1 record).
    await produce(broker, keys.flatMap((k) => [word(k, 0), word(k, 10), word(k, 1000)]))
    await waitFor(() => caughtUp(broker.admin(), 'iq-group', 'words', PARTITIONS), 15_000, 'words processed')

    const sessions = first.store<string, number>('sessions', { type: 'session' })
    expect(sessions.fetch('k1').map((s) => [s.key.window.start, s.key.window.end, s.value])).toEqual([
      [0, 10, 2],
      [1000, 1000, 1],
    ])
    expect(sessions.fetchSession('k1', 0, 10)).toBe(2)
    let sessionCount = 0
    for await (const _ of sessions.all()) sessionCount++
    expect(sessionCount).toBe(keys.length * 2)

    // An iterator over every task, opened before the second instance joins.
    const iterator = first.store<string, number>('counts').all()[Symbol.asyncIterator]()
    expect((await iterator.next()).done).toBe(false)

    const second = new StreamsApp(topology(), config())
    apps.push(second)
    await second.start()
    // A member of the group, not yet RUNNING: refused, unless stale stores are allowed (no task runs yet, so nothing found).
    expect(second.state).toBe('REBALANCING')
    expect(() => second.store('counts')).toThrow(expect.objectContaining({ code: 'STATE_STORE_NOT_AVAILABLE' }))
    expect(second.store<string, number>('counts', { staleStores: true }).get('k1')).toBeUndefined()
    await waitFor(() => first.state === 'RUNNING' && second.state === 'RUNNING' && keys.every((k) => hostedSomewhere(k)), 20_000, 'partitions split')
    await expect(drain(iterator)).rejects.toMatchObject({ code: 'STATE_STORE_MIGRATED' })

    function hostedSomewhere(k: string): boolean {
      return [first, second].filter((a) => a.queryMetadataForKey('counts', k, str).local).length === 1
    }
    let onFirst = 0
    for (const k of keys) {
      const owner = first.queryMetadataForKey('counts', k, str).local ? first : second
      const other = owner === first ? second : first
      if (owner === first) onFirst++
      expect(other.queryMetadataForKey('counts', k, str).local).toBe(false)
      expect(owner.store<string, number>('counts').get(k)).toBe(3)
      expect(other.store<string, number>('counts').get(k)).toBeUndefined()
    }
    expect(onFirst).toBeGreaterThan(0)
    expect(onFirst).toBeLessThan(keys.length)
  })
})

async function drain(iterator: AsyncIterator<unknown>): Promise<void> {
  for (;;) if ((await iterator.next()).done === true) return
}
