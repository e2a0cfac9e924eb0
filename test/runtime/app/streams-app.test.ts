import { StreamsApp, type AppState } from 'streamfold'
import { silentLogger } from '../../../src/logger'
import { createEmbeddedBroker } from '../../../src/runtime/broker/embedded/embedded-broker'
import { countTopology, tempDirs, waitForState } from '../../integration/support/app-test-kit'

const tempDir = tempDirs()
const config = () => ({ applicationId: 'lifecycle', broker: { inMemory: true as const }, stateDir: tempDir(), logger: silentLogger() })

describe('StreamsApp lifecycle', () => {
  it('closes an app that never started', async () => {
    const app = new StreamsApp(countTopology(), config())
    const states: AppState[] = []
    app.onStateChange((s) => states.push(s))
    expect(await app.close()).toBe(true)
    expect(states).toEqual(['PENDING_SHUTDOWN', 'NOT_RUNNING'])
    await expect(app.start()).rejects.toMatchObject({ code: 'ILLEGAL_STATE' })
  })

  it('starts once, closes idempotently, opens and releases a durable embedded broker', async () => {
    const dataDir = tempDir()
    const setup = await createEmbeddedBroker({ dataDir })
    await setup.admin().ensureTopics([{ name: 'in', partitions: 2 }])
    await setup.close()
    const app = new StreamsApp(countTopology('in', 'out'), { ...config(), broker: { embedded: { dataDir, defaultPartitions: 2 } } })
    await app.start()
    await waitForState(app, 'RUNNING')
    await expect(app.start()).rejects.toMatchObject({ code: 'ILLEGAL_STATE' })
    const [a, b] = await Promise.all([app.close({ timeoutMs: 10_000 }), app.close()])
    expect([a, b, app.state]).toEqual([true, true, 'NOT_RUNNING'])
    // The app closed its broker: the directory can be opened again.
    const after = await createEmbeddedBroker({ dataDir })
    expect(await after.admin().listTopics()).toEqual(['in', 'lifecycle-counts-store-changelog'])
    await after.close()
  })

  it('throws CONFIG_INVALID from the constructor', () => {
    expect(() => new StreamsApp(countTopology(), { ...config(), applicationId: 'a b' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
  })
})
