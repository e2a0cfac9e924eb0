/**
 * Real processes killed with SIGKILL at random moments, on the durable embedded broker, then a
 * final run to the end of the input. exactly_once: a read_committed reader sees every result
 * exactly once. at_least_once: the applied-offset watermark keeps the state right (no update
 * counted twice) whatever is redelivered. In both, the store equals the reference fold. A cached
 * count (one update per key per commit) is killed the same way: under exactly_once its committed
 * counts only grow, and under both its last counts and its store end at the reference. In the
 * "early commits" cases the commit interval is 10 minutes away while killed: every commit is one
 * that `maxUncommittedBytes` started.
 */
import path from 'node:path'
import type { ProcessingGuarantee } from 'streamfold'
import { createEmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import type { TopicPartition } from '../../src/runtime/broker/broker'
import {
  cachedResultsInvalid,
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

jest.setTimeout(120_000)
const tempDir = tempDirs()
const PARTITIONS = 3
const KILLS = 4

/** Early commits only: about 8 keys' writes (entry-size.ts) start a commit; the interval never comes. */
const EARLY = { maxUncommittedBytes: 4096, commitIntervalMs: 600_000 }

const CASES: ReadonlyArray<readonly [string, ProcessingGuarantee, boolean, boolean]> = [
  ['exactly_once', 'exactly_once', false, false],
  ['at_least_once', 'at_least_once', false, false],
  ['exactly_once, cached count', 'exactly_once', true, false],
  ['at_least_once, cached count', 'at_least_once', true, false],
  ['exactly_once, early commits only', 'exactly_once', false, true],
  ['at_least_once, early commits only', 'at_least_once', false, true],
]

it.each(CASES)('%s: SIGKILLed 4 times at random moments, then run to the end', async (_name, guarantee, caching, early) => {
  const dir = tempDir('sigkill')
  const input = keyedInput('in', 12_000, 60, 5)
  const args = {
    brokerDir: path.join(dir, 'broker'),
    stateDir: path.join(dir, 'state'),
    applicationId: `sigkill-${guarantee}${caching ? '-cached' : ''}${early ? '-early' : ''}`,
    guarantee,
    caching,
    partitions: PARTITIONS,
    throttleEvery: 5,
    commitIntervalMs: guarantee === 'exactly_once' ? 100 : 200,
    ...(early ? EARLY : {}),
  }
  await prepareBroker(args.brokerDir, PARTITIONS, input)
  const delays: number[] = []
  // Kills before a run's first commit (a short delay on a loaded machine) commit nothing: while
  // nothing is committed, kill again, up to twice as often, so the kills land mid-run.
  for (let i = 0; i < KILLS || (i < 2 * KILLS && (await committedSum(args.brokerDir, args.applicationId)) === 0); i++) {
    const worker = startWorker({ ...args, untilDone: false })
    await worker.waitFor('running')
    const delay = 50 + Math.floor(Math.random() * 700)
    delays.push(delay)
    await new Promise((r) => setTimeout(r, delay))
    await worker.kill()
  }
  // The kills must have landed mid-run: some input committed, not all of it.
  const progress = await committedSum(args.brokerDir, args.applicationId)
  expect({ delays, progress: progress > 0 && progress < input.length }).toEqual({ delays, progress: true })
  // The last run commits on its interval too: the input's tail may stay under the bound.
  await runToEnd(early ? { ...args, commitIntervalMs: 200 } : args)

  const reference = referenceCounts(input)
  const broker = await createEmbeddedBroker({ dataDir: args.brokerDir, cleanerIntervalMs: 0 })
  try {
    const output = await readTopic(broker, 'counts', 'read_committed')
    const context = `kill delays ${delays.join(', ')} ms`
    expect({ context, latest: latestCounts(output) }).toEqual({ context, latest: reference })
    if (guarantee === 'exactly_once' && !caching) {
      expect({ context, results: countResults(output).sort() }).toEqual({ context, results: expectedResults(reference).sort() })
    }
    // exactly_once: committed counts only grow. at_least_once may repeat a count after a kill.
    if (caching && guarantee === 'exactly_once') {
      expect({ context, invalid: cachedResultsInvalid(output, reference) }).toEqual({ context, invalid: {} })
      // One update per key per commit: far fewer than one per input record.
      expect(output.length).toBeLessThan(input.length / 2)
    }
  } finally {
    await broker.close()
  }
  expect(await storeCounts(countTopology(), args.applicationId, args.stateDir, PARTITIONS)).toEqual(reference)
})

async function committedSum(brokerDir: string, groupId: string): Promise<number> {
  const broker = await createEmbeddedBroker({ dataDir: brokerDir, cleanerIntervalMs: 0 })
  try {
    const partitions: TopicPartition[] = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: 'in', partition }))
    return (await broker.admin().committedOffsets(groupId, partitions)).reduce((n, o) => n + o.offset, 0)
  } finally {
    await broker.close()
  }
}
