/**
 * A real process SIGKILLs itself right before each numbered step of the commit protocol
 * (src/runtime/checkpoint.ts), i.e. in each crash window; a restart on the same state directory
 * runs to the end of the input. State and output must be consistent: the store equals the
 * reference fold; exactly_once output holds every result once; at_least_once output holds every
 * result at least once. (at_least_once commits finish in the background, so records processed
 * after a commit's step 1 may have sent their output before the kill and send it again after the
 * restart, whatever the step: duplicates, as at_least_once allows; the state never double counts.)
 */
import path from 'node:path'
import type { ProcessingGuarantee } from 'streamfold'
import { createEmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import {
  countResults,
  countTopology,
  expectedResults,
  keyedInput,
  latestCounts,
  readTopic,
  referenceCounts,
  storeCounts,
  tempDirs,
} from '../integration/support/app-test-kit'
import { prepareBroker, runToEnd, startWorker } from './support/worker'

jest.setTimeout(60_000)
const tempDir = tempDirs()
const PARTITIONS = 2

const cases = (['exactly_once', 'at_least_once'] as const).flatMap((g) => [1, 2, 3, 4].map((step) => [g, step] as const))

it.each(cases)('%s: killed before step %i, restarted, consistent', async (guarantee: ProcessingGuarantee, step: number) => {
  const dir = tempDir('step')
  const input = keyedInput('in', 3_000, 40, step)
  const args = {
    brokerDir: path.join(dir, 'broker'),
    stateDir: path.join(dir, 'state'),
    applicationId: `step-${guarantee}-${step}`,
    guarantee,
    partitions: PARTITIONS,
    throttleEvery: 5,
    commitIntervalMs: 20,
  }
  await prepareBroker(args.brokerDir, PARTITIONS, input)
  const crashing = startWorker({ ...args, untilDone: true, killAtStep: step, killAtCommit: 3 })
  expect(await crashing.exited).toBe('SIGKILL')
  await runToEnd(args)

  const reference = referenceCounts(input)
  expect(await storeCounts(countTopology(), args.applicationId, args.stateDir, PARTITIONS)).toEqual(reference)
  const broker = await createEmbeddedBroker({ dataDir: args.brokerDir, cleanerIntervalMs: 0 })
  try {
    const output = await readTopic(broker, 'counts', 'read_committed')
    expect(latestCounts(output)).toEqual(reference)
    const expected = expectedResults(reference).sort()
    if (guarantee === 'exactly_once') expect(countResults(output).sort()).toEqual(expected)
    else expect([...new Set(countResults(output))].sort()).toEqual(expected)
  } finally {
    await broker.close()
  }
})
