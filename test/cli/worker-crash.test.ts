/**
 * The worker under kill -9: `streamfold run` of a stateful exactly_once topology on the durable
 * embedded broker over 100,000 records, SIGKILLed at 10 random moments, then run to the end.
 * A read_committed reader sees every count result exactly once, and the task stores equal the
 * reference fold.
 */
import path from 'node:path'
import { countResults, expectedResults, keyedInput, produce, readTopic, referenceCounts, storeCounts, waitFor } from '../integration/support/app-test-kit'
import { topology } from './fixtures/crash-module'
import { FIXTURES, startCli, tempDirs } from './support/cli-process'
import { httpGet, httpPort, metricValue, withBroker, workerDirs } from './support/worker-kit'

const tempDir = tempDirs()
jest.setTimeout(240_000)

const RECORDS = 100_000
const KILLS = 10
const PARTITIONS = 3
const MODULE = path.join(FIXTURES, 'crash-module.ts')

async function committedSum(dataDir: string): Promise<number> {
  return withBroker(dataDir, async (broker) => {
    const committed = await broker.admin().committedOffsets('cli-crash', Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: 'in', partition })))
    return committed.reduce((n, c) => n + c.offset, 0)
  })
}

it(`exactly_once: ${KILLS} SIGKILLs at random moments, then every result exactly once and the store equals the fold`, async () => {
  const dirs = workerDirs(tempDir('crash'))
  const input = keyedInput('in', RECORDS, 500, 13)
  await withBroker(dirs.dataDir, async (broker) => {
    await broker.admin().ensureTopics([{ name: 'in', partitions: PARTITIONS }, { name: 'counts', partitions: PARTITIONS }])
    await produce(broker, input)
  })
  const delays: number[] = []
  for (let i = 0; i < KILLS; i++) {
    const worker = startCli(['run', MODULE, ...dirs.flags])
    await worker.waitForLine((l) => l.includes('worker running'))
    const delay = 100 + Math.floor(Math.random() * 700)
    delays.push(delay)
    await new Promise((r) => setTimeout(r, delay))
    worker.child.kill('SIGKILL')
    expect(await worker.exited).toBe(137)
  }
  const committed = await committedSum(dirs.dataDir)
  // The kills landed mid-run: some input committed, not all of it.
  expect({ delays, midRun: committed > 0 && committed < RECORDS }).toEqual({ delays, midRun: true })

  const last = startCli(['run', MODULE, ...dirs.flags, '--http-port', '0'], { env: { CRASH_SLOW_EVERY: '0' } })
  const port = await httpPort(last)
  await waitFor(async () => metricValue((await httpGet(port, '/metrics')).body, 'streamfold_records_processed_total') >= RECORDS - committed, 120_000, 'the rest of the input')
  last.child.kill('SIGTERM')
  expect(await last.exited).toBe(0)
  expect(await committedSum(dirs.dataDir)).toBe(RECORDS)

  const reference = referenceCounts(input)
  await withBroker(dirs.dataDir, async (broker) => {
    const output = await readTopic(broker, 'counts', 'read_committed')
    expect(output).toHaveLength(RECORDS)
    expect(countResults(output).sort()).toEqual(expectedResults(reference).sort())
  })
  expect(await storeCounts(topology(), 'cli-crash', dirs.stateDir, PARTITIONS)).toEqual(reference)
})
