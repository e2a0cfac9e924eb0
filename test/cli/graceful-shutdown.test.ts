/**
 * SIGTERM during load: the worker finishes its batch, commits, exits 0; at that point every
 * output record belongs to a committed input (at_least_once with no periodic commit, so the one
 * at shutdown is the only one), and a restart reprocesses nothing that was committed: the final
 * output holds each key's counts 1..n exactly once.
 */
import path from 'node:path'
import { countResults, expectedResults, keyedInput, produce, readTopic, referenceCounts, waitFor } from '../integration/support/app-test-kit'
import { FIXTURES, startCli, tempDirs } from './support/cli-process'
import { httpGet, httpPort, metricValue, withBroker, workerDirs } from './support/worker-kit'

const tempDir = tempDirs()
jest.setTimeout(120_000)

const INPUTS = [0, 1, 2].map((partition) => ({ topic: 'in', partition }))

it('exits 0 on SIGTERM under load, with output matching the commit, and a restart duplicates nothing', async () => {
  const dirs = workerDirs(tempDir('graceful'))
  // A backlog the worker is still working through when the signal comes, with more arriving.
  // (Sized for a worker that processes a few hundred thousand records a second: the signal must
  // come while the backlog lasts.)
  const backlog = keyedInput('in', 300_000, 50, 11)
  await withBroker(dirs.dataDir, async (broker) => {
    await broker.admin().ensureTopics([{ name: 'in', partitions: 3 }, { name: 'counts', partitions: 3 }])
    await produce(broker, backlog)
  })

  const loaded = startCli(['run', path.join(FIXTURES, 'load-module.ts'), ...dirs.flags, '--processing-guarantee', 'at_least_once', '--commit-interval-ms', '600000'])
  await loaded.waitForLine((l) => l === 'load running')
  loaded.child.kill('SIGTERM')
  expect(await loaded.exited).toBe(0)
  expect(loaded.logs().at(-2)).toMatchObject({ msg: 'worker stopped cleanly' })
  const total = backlog.length + Number(/generated (\d+)/.exec(loaded.stdout())![1])

  let committedAtStop = 0
  await withBroker(dirs.dataDir, async (broker) => {
    const committed = await broker.admin().committedOffsets('cli-count', INPUTS)
    committedAtStop = committed.reduce((n, c) => n + c.offset, 0)
    expect(committedAtStop).toBeGreaterThan(0)
    expect(committedAtStop).toBeLessThan(total)
    // Every processed record was committed at the stop, and nothing beyond was processed.
    expect(await readTopic(broker, 'counts', 'read_uncommitted')).toHaveLength(committedAtStop)
  })

  const again = startCli(['run', path.join(FIXTURES, 'count-module.ts'), ...dirs.flags, '--processing-guarantee', 'at_least_once', '--commit-interval-ms', '200', '--http-port', '0'])
  const port = await httpPort(again)
  await waitFor(async () => metricValue((await httpGet(port, '/metrics')).body, 'streamfold_consumer_lag_records') === 0 && metricValue((await httpGet(port, '/metrics')).body, 'streamfold_records_processed_total') >= total - committedAtStop, 60_000, 'the rest processed')
  again.child.kill('SIGTERM')
  expect(await again.exited).toBe(0)

  await withBroker(dirs.dataDir, async (broker) => {
    const output = await readTopic(broker, 'counts', 'read_uncommitted')
    expect(output).toHaveLength(total)
    const reference = referenceCounts(await readTopic(broker, 'in', 'read_uncommitted'))
    expect(countResults(output).sort()).toEqual(expectedResults(reference).sort())
  })
})
