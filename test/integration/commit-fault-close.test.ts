/**
 * exactly_once, a failure before step 3 (past the point of no return) followed at once by a clean
 * close: the failed tasks' LevelDB is still at the previous commit while the changelog and the
 * group's offsets hold the new one. The tasks rebuilt for them must be restored before the app
 * closes, so the local state it leaves behind is the committed state (not one commit behind until
 * the next start restores it).
 *
 * Both cases force the interleaving that made commit-faults.test.ts fail now and then: the app is
 * closed while the failure is being handled, so the processing loop never turns again.
 */
import { StreamsApp } from 'streamfold'
import { silentLogger } from '../../src/logger'
import { countTopology, inMemoryCountBroker, keyedInput, latestCounts, produce, readTopic, referenceCounts, storeCounts, tempDirs, waitFor } from './support/app-test-kit'

const tempDir = tempDirs()

const currentBroker = inMemoryCountBroker()

it('exactly_once: close requested while a failure before step 3 is handled leaves the committed state on disk', async () => {
  const input = keyedInput('in', 600, 30, 3)
  const stateDir = tempDir()
  const applicationId = 'fault-close-loop'
  const topology = countTopology()
  let reached = 0
  let closing: Promise<unknown> | undefined
  const app: StreamsApp = new StreamsApp(topology, {
    applicationId,
    broker: { instance: currentBroker() },
    stateDir,
    logger: silentLogger(),
    processingGuarantee: 'exactly_once',
    commitIntervalMs: 20,
    maxBatchRecords: 50,
    faults: {
      beforeStep(at) {
        // The second commit that reaches step 3 (one with new records: only dirty tasks get there)
        // fails, and the app is told to close in the same turn.
        if (at !== 3 || ++reached !== 2) return
        closing = app.close()
        throw new Error('injected fault before step 3')
      },
    },
  })
  await app.start()
  for (let i = 0; closing === undefined && i < input.length; i += 50) {
    await produce(currentBroker(), input.slice(i, i + 50))
    await new Promise((r) => setTimeout(r, 40))
  }
  await waitFor(() => closing !== undefined, 20_000, 'a commit failed before step 3')
  await closing

  // The output and offsets of the failed commit are committed: the store must hold the same counts.
  const committed = latestCounts(await readTopic(currentBroker(), 'counts', 'read_committed'))
  expect(committed.size).toBeGreaterThan(0)
  expect(await storeCounts(topology, applicationId, stateDir, 2)).toEqual(committed)
})

it("exactly_once: a failure before step 3 of the close's own commit leaves the committed state on disk", async () => {
  const input = keyedInput('in', 600, 30, 3)
  const stateDir = tempDir()
  const applicationId = 'fault-close-final'
  let processed = 0
  const topology = countTopology('in', 'counts', 'counts-store', () => processed++)
  let injected = 0
  const app = new StreamsApp(topology, {
    applicationId,
    broker: { instance: currentBroker() },
    stateDir,
    logger: silentLogger(),
    processingGuarantee: 'exactly_once',
    // No periodic commit: everything is committed by the close, whose step 3 fails.
    commitIntervalMs: 600_000,
    faults: {
      beforeStep(at) {
        if (at === 3 && injected++ === 0) throw new Error('injected fault before step 3')
      },
    },
  })
  await produce(currentBroker(), input)
  await app.start()
  await waitFor(() => processed === input.length, 20_000, 'input processed')
  await app.close()

  expect(injected).toBe(1)
  const reference = referenceCounts(input)
  expect(latestCounts(await readTopic(currentBroker(), 'counts', 'read_committed'))).toEqual(reference)
  expect(await storeCounts(topology, applicationId, stateDir, 2)).toEqual(reference)
})
