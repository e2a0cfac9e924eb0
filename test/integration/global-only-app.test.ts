/**
 * An app whose topology is one GlobalKTable and nothing else: a local, durable, queryable replica
 * of a topic (Kafka Streams runs it with no stream thread, the global thread alone). On the
 * embedded broker (on disk) with LevelDB state: the app never joins the consumer group nor makes a
 * producer, is RUNNING once the table is read, serves it to interactive queries, follows the
 * topic while it runs, and a restart reads only what was written since.
 */
import { Serdes, StreamsApp, createErrorHandlers, type StreamsConfig } from 'streamfold'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import type { OutgoingRecord } from '../../src/runtime/broker/broker'
import { captureLogs } from '../observability/support/log-capture'
import { bootstrapCounts, countingBroker, globalOnlyTopology, startGlobalOnly } from './support/global-only-fixtures'
import { produce, tempDirs, waitFor } from './support/app-test-kit'

const tempDir = tempDirs()
const str = Serdes.string()

const customer = (id: string, name: string): OutgoingRecord => ({ topic: 'customers', key: Buffer.from(id), value: Buffer.from(name), timestamp: 1, headers: [] })

describe.each(['at_least_once', 'exactly_once'] as const)('a global-only app on the embedded broker (%s)', (guarantee) => {
  let broker: EmbeddedBroker
  beforeEach(async () => {
    broker = await createEmbeddedBroker({ dataDir: tempDir('broker'), cleanerIntervalMs: 0 })
    await broker.admin().ensureTopics([{ name: 'customers', partitions: 3, config: { 'cleanup.policy': 'compact' } }])
  })
  afterEach(async () => {
    await broker.close()
  })

  it('is RUNNING once the table is read, answers queries, follows the topic, and a restart reads only what is new', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `c${i}`)
    await produce(broker, ids.map((id) => customer(id, `name-${id}`)))
    const logs = captureLogs('info')
    const bootstrapped = bootstrapCounts(logs)
    const counted = countingBroker(broker)
    const config: StreamsConfig = { applicationId: `global-only-${guarantee}`, broker: { instance: counted.broker }, stateDir: tempDir(), logger: logs.logger, processingGuarantee: guarantee }
    const app = new StreamsApp(globalOnlyTopology(), config)
    // As Kafka Streams with no stream thread: RUNNING as soon as the global store is bootstrapped.
    const states = await startGlobalOnly(app)
    expect(bootstrapped()).toEqual([30])
    const store = app.store<string, string>('customers')
    expect(store.get('c7')).toBe('name-c7')
    expect(await store.approximateNumEntries()).toBe(30)
    const all: string[] = []
    for await (const { key } of store.all()) all.push(key)
    expect(all.sort()).toEqual([...ids].sort())
    expect(app.queryMetadataForKey('customers', 'c7', str)).toEqual({ partition: -1, local: true })

    // Followed while running: an update, a new row and a tombstone.
    await produce(broker, [customer('c0', 'renamed'), customer('c100', 'new'), { ...customer('c1', ''), value: null }])
    await waitFor(() => store.get('c100') === 'new' && store.get('c0') === 'renamed' && store.get('c1') === undefined, 10_000, 'updates applied')
    expect(await app.close({ timeoutMs: 10_000 })).toBe(true)
    expect(states).toEqual(['REBALANCING', 'RUNNING', 'PENDING_SHUTDOWN', 'NOT_RUNNING'])
    // No group membership, no producer (no transaction to open under exactly_once): nothing to process.
    expect(counted.calls).toEqual({ consumer: 0, producer: 0 })
    expect(() => store.get('c7')).toThrow(expect.objectContaining({ code: 'STATE_STORE_NOT_AVAILABLE' }))

    // While the app is down: one new row. The restart reads only that record (stored offsets).
    await produce(broker, [customer('c200', 'late')])
    const again = new StreamsApp(globalOnlyTopology(), config)
    await again.start()
    expect(again.state).toBe('RUNNING')
    expect(bootstrapped()).toEqual([30, 1])
    const restarted = again.store<string, string>('customers')
    expect([restarted.get('c200'), restarted.get('c100'), restarted.get('c0'), restarted.get('c1'), restarted.get('c9')]).toEqual(['late', 'new', 'renamed', undefined, 'name-c9'])
    expect(await again.close({ timeoutMs: 10_000 })).toBe(true)
    expect(again.state).toBe('NOT_RUNNING')
  })

  it('a background catch-up failing (a malformed record under the fail policy) moves the app to ERROR; close() still resolves', async () => {
    const logs = captureLogs('info')
    const errorHandlers = createErrorHandlers({ deserialization: 'fail', logger: logs.logger })
    const app = new StreamsApp(globalOnlyTopology(Serdes.double()), {
      applicationId: `global-only-fail-${guarantee}`,
      broker: { instance: broker },
      stateDir: tempDir(),
      logger: logs.logger,
      processingGuarantee: guarantee,
      errorHandlers,
    })
    await app.start()
    expect(app.state).toBe('RUNNING')
    await produce(broker, [customer('bad', 'not a double')])
    await waitFor(() => app.state === 'ERROR', 10_000, 'state ERROR')
    expect(app.error).toEqual(expect.objectContaining({ code: 'DESERIALIZATION_FAILED' }))
    expect(await app.close({ timeoutMs: 10_000 })).toBe(true)
    expect(app.state).toBe('NOT_RUNNING')
  })

  it('close() right after start() resolves, and the state directory is free for the next start', async () => {
    const config: StreamsConfig = { applicationId: `global-only-quick-${guarantee}`, broker: { instance: broker }, stateDir: tempDir(), logger: captureLogs('info').logger, processingGuarantee: guarantee }
    const app = new StreamsApp(globalOnlyTopology(), config)
    const started = app.start()
    expect(await app.close({ timeoutMs: 10_000 })).toBe(true)
    await started
    expect(app.state).toBe('NOT_RUNNING')
    const again = new StreamsApp(globalOnlyTopology(), config)
    await again.start()
    expect(await again.close({ timeoutMs: 10_000 })).toBe(true)
  })
})
