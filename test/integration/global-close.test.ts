/**
 * close() of an app whose global store is being read (the bootstrap before the app joins the
 * group, or a background catch-up): no unhandled rejection, nothing written after the database
 * closed, the state directory released, and a restart resumes from what was committed.
 */
import { StreamsApp } from 'streamfold'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import type { OutgoingRecord } from '../../src/runtime/broker/broker'
import { produce, tempDirs, waitFor, waitForState } from './support/app-test-kit'
import { captureLogs } from '../observability/support/log-capture'
import { customersJoinTopology } from './support/global-table-fixtures'

const tempDir = tempDirs()
const ROWS = 60_000
const rows = (from: number, count: number): OutgoingRecord[] =>
  Array.from({ length: count }, (_, i) => ({ topic: 'customers', key: Buffer.from(`k${(from + i) % 5000}`), value: Buffer.from(`v${from + i}`), timestamp: 1, headers: [] }))

describe('closing an app while its global store is read', () => {
  let broker: EmbeddedBroker
  const rejections: unknown[] = []
  const onRejection = (reason: unknown) => rejections.push(reason)
  beforeEach(async () => {
    rejections.length = 0
    process.on('unhandledRejection', onRejection)
    broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0 })
    await broker.admin().ensureTopics([
      { name: 'customers', partitions: 4 },
      { name: 'orders', partitions: 1 },
      { name: 'enriched', partitions: 1 },
    ])
  })
  afterEach(async () => {
    process.off('unhandledRejection', onRejection)
    await broker.close()
  })

  function app(stateDir: string) {
    const logs = captureLogs('debug')
    const streams = new StreamsApp(customersJoinTopology('leftJoin'), { applicationId: 'global-close', broker: { instance: broker }, stateDir, logger: logs.logger, commitIntervalMs: 50 })
    const globalCommits = () => logs.lines.filter((l) => l.msg === 'state committed' && l.taskId === 'global').length
    const bootstrapped = () => logs.lines.filter((l) => l.msg === 'global stores are up to date').map((l) => l.records as number)
    const warnings = () => logs.lines.filter((l) => (l.level as number) >= 40)
    return { streams, globalCommits, bootstrapped, warnings }
  }

  /** Closes the app first started, checks it closed cleanly, and runs a second one on its state dir. */
  async function closeAndRestart(first: ReturnType<typeof app>, stateDir: string): Promise<number[]> {
    expect(await first.streams.close({ timeoutMs: 20_000 })).toBe(true)
    expect(first.streams.state).toBe('NOT_RUNNING')
    expect(first.warnings()).toEqual([])
    const second = app(stateDir)
    await second.streams.start()
    await waitForState(second.streams, 'RUNNING')
    expect(await second.streams.close({ timeoutMs: 10_000 })).toBe(true)
    expect(rejections).toEqual([])
    return [...first.bootstrapped(), ...second.bootstrapped()]
  }

  it('during the bootstrap: close waits for it to end (start resolves, nothing is logged), and the restart reads nothing again', async () => {
    await produce(broker, rows(0, ROWS))
    const stateDir = tempDir()
    const first = app(stateDir)
    const started = first.streams.start().then(
      () => 'resolved',
      (error: unknown) => error,
    )
    await waitFor(() => first.globalCommits() >= 3, 20_000, 'a few global commits')
    // As in Kafka Streams (GlobalStateManagerImpl reads to the high watermark without looking at
    // shutdown), close waits for the bootstrap to end; start() then resolves, the app never ran.
    expect(await closeAndRestart(first, stateDir)).toEqual([ROWS, 0])
    expect(await started).toBe('resolved')
  })

  it('during a background catch-up: close waits for it, and the restart reads on from the committed offsets', async () => {
    const stateDir = tempDir()
    const first = app(stateDir)
    await first.streams.start()
    await waitForState(first.streams, 'RUNNING')
    await produce(broker, rows(0, ROWS))
    const before = first.globalCommits()
    await waitFor(() => first.globalCommits() >= before + 3, 20_000, 'a background catch-up under way')
    const [initial, restarted] = await closeAndRestart(first, stateDir)
    expect({ initial, restartedBelowRows: restarted! < ROWS }).toEqual({ initial: 0, restartedBelowRows: true })
  })
})
