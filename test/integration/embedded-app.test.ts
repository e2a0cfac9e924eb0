/** StreamsApp end to end on the embedded broker: stateless and stateful topologies, restarts. */
import { Serdes, StreamBuilder, StreamsApp, type AppState } from 'streamfold'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import { silentLogger } from '../../src/logger'
import {
  caughtUp,
  countTopology,
  keyedInput,
  latestCounts,
  produce,
  readTopic,
  referenceCounts,
  tempDirs,
  waitFor,
  waitForState,
} from './support/app-test-kit'

const tempDir = tempDirs()
const logger = silentLogger()

describe('StreamsApp on the embedded broker', () => {
  let broker: EmbeddedBroker
  beforeEach(async () => {
    broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0 })
  })
  afterEach(async () => {
    await broker.close()
  })

  it('runs a stateless topology end to end and walks through the states', async () => {
    await broker.admin().ensureTopics([{ name: 'words', partitions: 2 }, { name: 'upper', partitions: 2 }])
    const builder = new StreamBuilder()
    builder
      .stream('words', { key: Serdes.string(), value: Serdes.string() })
      .filter((_k, v) => v !== 'skip')
      .mapValues((_k, v) => v.toUpperCase())
      .to('upper', { key: Serdes.string(), value: Serdes.string() })
    const app = new StreamsApp(builder.build(), { applicationId: 'stateless', broker: { instance: broker }, stateDir: tempDir(), logger, commitIntervalMs: 50 })
    const states: AppState[] = [app.state]
    app.onStateChange((next) => states.push(next))
    await app.start()
    await waitForState(app, 'RUNNING')
    const values = ['a', 'skip', 'b', 'c', 'skip', 'd']
    await produce(broker, values.map((v, i) => ({ topic: 'words', key: Buffer.from(`k${i}`), value: Buffer.from(v), timestamp: 1000 + i, headers: [] })))
    await waitFor(async () => (await readTopic(broker, 'upper')).length === 4, 10_000, 'output')
    await waitFor(() => caughtUp(broker.admin(), 'stateless', 'words', 2), 10_000, 'offsets committed')
    expect(await app.close({ timeoutMs: 10_000 })).toBe(true)
    expect((await readTopic(broker, 'upper')).map((r) => r.value!.toString()).sort()).toEqual(['A', 'B', 'C', 'D'])
    expect(states).toEqual(['CREATED', 'REBALANCING', 'RUNNING', 'PENDING_SHUTDOWN', 'NOT_RUNNING'])
  })

  it.each(['at_least_once', 'exactly_once'] as const)('counts per key (%s), resumes after a restart without double counting', async (guarantee) => {
    await broker.admin().ensureTopics([{ name: 'in', partitions: 3 }, { name: 'counts', partitions: 3 }])
    const stateDir = tempDir()
    const first = keyedInput('in', 300, 20, 7)
    await produce(broker, first)
    const config = { applicationId: `count-${guarantee}`, broker: { instance: broker }, stateDir, logger, processingGuarantee: guarantee, commitIntervalMs: 50 }
    const app = new StreamsApp(countTopology(), config)
    await app.start()
    await waitFor(() => caughtUp(broker.admin(), config.applicationId, 'in', 3), 15_000, 'first input processed')
    expect(await app.close()).toBe(true)
    expect(latestCounts(await readTopic(broker, 'counts'))).toEqual(referenceCounts(first))

    const second = keyedInput('in', 200, 20, 99)
    await produce(broker, second)
    const again = new StreamsApp(countTopology(), config)
    await again.start()
    await waitFor(() => caughtUp(broker.admin(), config.applicationId, 'in', 3), 15_000, 'second input processed')
    await again.close()
    const output = await readTopic(broker, 'counts')
    expect(latestCounts(output)).toEqual(referenceCounts([...first, ...second]))
    if (guarantee === 'exactly_once') expect(output).toHaveLength(500)
  })
})
