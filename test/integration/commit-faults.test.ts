/**
 * A failure injected at each numbered step of the commit protocol (src/runtime/checkpoint.ts),
 * inside a running app: the commit is rolled back (or, past the point of no return, the task's
 * state is rebuilt from its changelog), processing goes on, and the results stay right.
 * Crashes (SIGKILL) at the same steps: test/crash/.
 */
import { StreamsApp, type ProcessingGuarantee } from 'streamfold'
import { silentLogger } from '../../src/logger'
import {
  caughtUp,
  countResults,
  countTopology,
  expectedResults,
  inMemoryCountBroker,
  keyedInput,
  latestCounts,
  produce,
  readTopic,
  referenceCounts,
  storeCounts,
  tempDirs,
  waitFor,
} from './support/app-test-kit'

const tempDir = tempDirs()

const currentBroker = inMemoryCountBroker()

const cases = (['exactly_once', 'at_least_once'] as const).flatMap((g) => [1, 2, 3, 4].map((step) => [g, step] as const))

it.each(cases)('%s: a failure before step %i is survived without losing or double counting', async (guarantee: ProcessingGuarantee, step: number) => {
  const input = keyedInput('in', 600, 30, step)
  const stateDir = tempDir()
  const applicationId = `faults-${guarantee}-${step}`
  let seen = 0
  let injected = 0
  const topology = countTopology()
  const app = new StreamsApp(topology, {
    applicationId,
    broker: { instance: currentBroker() },
    stateDir,
    logger: silentLogger(),
    processingGuarantee: guarantee,
    commitIntervalMs: 20,
    maxBatchRecords: 50,
    faults: {
      beforeStep(at) {
        // The second and third commits that reach the step fail there.
        if (at === step && ++seen >= 2 && injected < 2) {
          injected++
          throw new Error(`injected fault before step ${step}`)
        }
      },
    },
  })
  await app.start()
  // Input trickles in, so that there are many commits to fail.
  for (let i = 0; i < input.length; i += 50) {
    await produce(currentBroker(), input.slice(i, i + 50))
    await new Promise((r) => setTimeout(r, 40))
  }
  await waitFor(() => caughtUp(currentBroker().admin(), applicationId, 'in', 2), 20_000, 'input processed')
  expect(injected).toBe(2)
  expect(app.state).toBe('RUNNING')
  await app.close()

  const reference = referenceCounts(input)
  expect(await storeCounts(topology, applicationId, stateDir, 2)).toEqual(reference)
  const output = await readTopic(currentBroker(), 'counts', 'read_committed')
  expect(latestCounts(output)).toEqual(reference)
  if (guarantee === 'exactly_once') expect(countResults(output).sort()).toEqual(expectedResults(reference).sort())
})
