/**
 * The app's state-memory options reach every task it opens: each task database is opened with the
 * configured LevelDB sizes (and so shares the app's record-cache pool, not the process default).
 */
import { StreamsApp } from 'streamfold'
import { silentLogger } from '../../../src/logger'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../../src/runtime/broker/embedded/embedded-broker'
import { TaskDb, type TaskDbTuning } from '../../../src/state/task-db'
import { countTopology, tempDirs, waitForState } from '../../integration/support/app-test-kit'

const tempDir = tempDirs()

let broker: EmbeddedBroker
beforeEach(async () => {
  broker = await createEmbeddedBroker({ inMemory: true })
  await broker.admin().ensureTopics([{ name: 'in', partitions: 2 }])
})
afterEach(async () => {
  jest.restoreAllMocks()
  await broker.close()
})

it('opens every task database with the configured LevelDB sizes', async () => {
  const open = jest.spyOn(TaskDb, 'open')
  const app = new StreamsApp(countTopology('in', 'out'), {
    applicationId: 'memory-config',
    broker: { instance: broker },
    stateDir: tempDir(),
    logger: silentLogger(),
    cacheMaxBytes: 123_456,
    taskDbCacheBytes: 65_536,
    taskDbWriteBufferBytes: 1_048_576,
  })
  try {
    await app.start()
    await waitForState(app, 'RUNNING')
    expect(open.mock.calls.length).toBeGreaterThan(0)
    for (const [, tuning] of open.mock.calls) {
      expect(tuning).toEqual<TaskDbTuning>({ cacheSize: 65_536, writeBufferSize: 1_048_576 })
    }
  } finally {
    await app.close()
  }
})

it('uses LevelDB sizes of its own by default (256 KiB block cache, 4 MiB write buffer)', async () => {
  const open = jest.spyOn(TaskDb, 'open')
  const app = new StreamsApp(countTopology('in', 'out'), { applicationId: 'memory-default', broker: { instance: broker }, stateDir: tempDir(), logger: silentLogger() })
  try {
    await app.start()
    await waitForState(app, 'RUNNING')
    expect(open.mock.calls.length).toBeGreaterThan(0)
    for (const [, tuning] of open.mock.calls) expect(tuning).toEqual({ cacheSize: 262_144, writeBufferSize: 4_194_304 })
  } finally {
    await app.close()
  }
})
