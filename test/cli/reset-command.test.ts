/** `streamfold reset`: rewinds input offsets, deletes internal topics and local state; refuses while the app runs. */
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { keyedInput, latestCounts, produce, readTopic, referenceCounts } from '../integration/support/app-test-kit'
import { cli, FIXTURES, startCli, tempDirs } from './support/cli-process'
import { httpGet, httpPort, metricValue, withBroker, workerDirs, type WorkerDirs } from './support/worker-kit'
import { waitFor } from '../integration/support/app-test-kit'

const tempDir = tempDirs()
jest.setTimeout(90_000)

const COUNT = path.join(FIXTURES, 'count-module.ts')
const PARTITIONS = [0, 1].map((partition) => ({ topic: 'in', partition }))

async function runUntilCaughtUp(dirs: WorkerDirs, total: number): Promise<void> {
  const run = startCli(['run', COUNT, ...dirs.flags, '--http-port', '0', '--commit-interval-ms', '100'])
  const port = await httpPort(run)
  await waitFor(async () => metricValue((await httpGet(port, '/metrics')).body, 'streamfold_records_processed_total') >= total, 20_000, 'input processed')
  run.child.kill('SIGTERM')
  expect(await run.exited).toBe(0)
}

describe('streamfold reset', () => {
  it('makes the next run reprocess the input from the beginning with empty state', async () => {
    const dirs = workerDirs(tempDir('reset'))
    const input = keyedInput('in', 600, 10, 5)
    await withBroker(dirs.dataDir, async (broker) => {
      await broker.admin().ensureTopics([{ name: 'in', partitions: 2 }, { name: 'counts', partitions: 2 }])
      await produce(broker, input)
    })
    await runUntilCaughtUp(dirs, input.length)
    const localDir = path.join(dirs.stateDir, 'cli-count')
    expect(readdirSync(localDir).sort()).toEqual(['0_0', '0_1', 'process-metadata.json'])

    const dry = await cli(['reset', 'cli-count', ...dirs.flags, '--dry-run'])
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain('[dry run] input offsets of group cli-count rewound to the beginning: in [0@0 1@0]')
    expect(dry.stdout).toContain('[dry run] internal topics deleted: cli-count-counts-store-changelog')
    expect(readdirSync(localDir)).toHaveLength(3)

    const reset = await cli(['reset', 'cli-count', ...dirs.flags])
    expect(reset).toMatchObject({ code: 0, stderr: '' })
    expect(reset.stdout).toBe(
      [
        'input offsets of group cli-count rewound to the beginning: in [0@0 1@0]',
        'internal topics deleted: cli-count-counts-store-changelog',
        `local state deleted: ${path.join(localDir, '0_0')}, ${path.join(localDir, '0_1')}`,
        '',
      ].join('\n'),
    )
    expect(readdirSync(localDir)).toEqual(['process-metadata.json'])
    await withBroker(dirs.dataDir, async (broker) => {
      expect(await broker.admin().committedOffsets('cli-count', PARTITIONS)).toEqual(PARTITIONS.map((tp) => ({ ...tp, offset: 0 })))
      expect(await broker.admin().listTopics()).toEqual(['counts', 'in'])
    })

    // Everything is counted again from zero: the latest counts equal the reference, not twice it.
    await runUntilCaughtUp(dirs, input.length)
    await withBroker(dirs.dataDir, async (broker) => {
      const output = await readTopic(broker, 'counts', 'read_uncommitted')
      expect(output).toHaveLength(2 * input.length)
      expect(latestCounts(output)).toEqual(referenceCounts(input))
    })
  })

  it('refuses while an instance runs on the state directory, and --local-only leaves the broker alone', async () => {
    const dirs = workerDirs(tempDir('reset'))
    await withBroker(dirs.dataDir, async (broker) => {
      await broker.admin().ensureTopics([{ name: 'in', partitions: 2 }])
      await produce(broker, keyedInput('in', 50, 5))
    })
    const run = startCli(['run', COUNT, ...dirs.flags])
    await run.waitForLine((l) => l.includes('worker running'))
    const refused = await cli(['reset', 'cli-count', ...dirs.flags])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain(`STATE_DIR_LOCKED: state directory ${path.join(dirs.stateDir, 'cli-count')} is in use by process ${run.child.pid}: stop the application before resetting it`)
    run.child.kill('SIGTERM')
    expect(await run.exited).toBe(0)

    const local = await cli(['reset', 'cli-count', ...dirs.flags, '--local-only'])
    expect(local.code).toBe(0)
    expect(local.stdout).not.toContain('input offsets')
    await withBroker(dirs.dataDir, async (broker) => expect(await broker.admin().listTopics()).toContain('cli-count-counts-store-changelog'))
  })

  it('checks --input-topics', async () => {
    const dirs = workerDirs(tempDir('reset'))
    const result = await cli(['reset', 'app', ...dirs.flags, '--input-topics', 'a,b'])
    expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining('TOPIC_NOT_FOUND: invalid --input-topics: topics do not exist: a, b') })
  })
})
