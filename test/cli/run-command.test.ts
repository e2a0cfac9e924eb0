/** `streamfold run` as a real process on the embedded broker: lifecycle, endpoints, exit codes. */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { keyedInput, latestCounts, produce, readTopic, referenceCounts, waitFor } from '../integration/support/app-test-kit'
import { cli, FIXTURES, startCli, tempDirs } from './support/cli-process'
import { httpGet, httpPort, metricValue, withBroker, workerDirs } from './support/worker-kit'

const tempDir = tempDirs()
jest.setTimeout(90_000)

const COUNT = path.join(FIXTURES, 'count-module.ts')

describe('streamfold run', () => {
  it('processes, serves /healthz /readyz /metrics, stops on SIGTERM with status 0 and a clean last line', async () => {
    const dirs = workerDirs(tempDir('run'))
    const input = keyedInput('in', 2_000, 25, 3)
    await withBroker(dirs.dataDir, async (broker) => {
      await broker.admin().ensureTopics([{ name: 'in', partitions: 2 }, { name: 'counts', partitions: 2 }])
      await produce(broker, input)
    })
    const run = startCli(['run', COUNT, ...dirs.flags, '--http-port', '0', '--commit-interval-ms', '100'])
    const port = await httpPort(run)
    expect((await httpGet(port, '/healthz')).status).toBe(200)
    await waitFor(async () => (await httpGet(port, '/readyz')).status === 200, 20_000, 'ready')
    let metrics = ''
    await waitFor(async () => {
      metrics = (await httpGet(port, '/metrics')).body
      // Lag is measured every 10 s, so it reaches 0 a little after the last record.
      return metricValue(metrics, 'streamfold_records_processed_total') >= input.length && metricValue(metrics, 'streamfold_consumer_lag_records', 'topic="in"') === 0
    }, 30_000, 'every record processed and committed')
    expect(metricValue(metrics, 'streamfold_records_processed_total')).toBe(input.length)
    expect(metrics).toContain('streamfold_consumer_lag_records{topic="in",partition="1",application_id="cli-count"} 0')
    expect(metricValue(metrics, 'streamfold_tasks')).toBe(2)
    expect(metricValue(metrics, 'streamfold_app_state', 'state="RUNNING"')).toBe(1)
    expect(metricValue(metrics, 'streamfold_commits_total', 'result="ok"')).toBeGreaterThan(0)
    expect(metrics).toContain('application_id="cli-count"')

    run.child.kill('SIGTERM')
    expect(await run.exited).toBe(0)
    const logs = run.logs()
    expect(logs.find((l) => l.msg === 'stopping: finishing the current batch, committing, closing tasks')).toMatchObject({ signal: 'SIGTERM' })
    expect(logs.at(-2)).toMatchObject({ msg: 'worker stopped cleanly', state: 'NOT_RUNNING' })
    expect(logs.find((l) => String(l.msg).startsWith('worker running. Stop it with Ctrl-C or SIGTERM'))).toBeDefined()
    await withBroker(dirs.dataDir, async (broker) => expect(latestCounts(await readTopic(broker, 'counts', 'read_uncommitted'))).toEqual(referenceCounts(input)))
  })

  it('takes the applicationId and options from the environment and a config file', async () => {
    const root = tempDir('run')
    const dirs = workerDirs(root)
    await withBroker(dirs.dataDir, (broker) => broker.admin().ensureTopics([{ name: 'in', partitions: 1 }]))
    const config = path.join(root, 'worker.json')
    writeFileSync(config, JSON.stringify({ applicationId: 'from-file', summaryIntervalMs: 200 }))
    const run = startCli(['run', path.join(FIXTURES, 'plain-module.ts'), ...dirs.flags, '--config', config], { env: { STREAMFOLD_APPLICATION_ID: 'from-env', STREAMFOLD_LOG_FORMAT: 'json' } })
    await run.waitForLine((l) => l.includes('"msg":"summary"'))
    run.child.kill('SIGINT')
    expect(await run.exited).toBe(0)
    const logs = run.logs()
    expect(logs.find((l) => l.msg === 'app started')).toMatchObject({ applicationId: 'from-env' })
    expect(logs.find((l) => l.msg === 'summary')).toMatchObject({ state: 'RUNNING', tasks: 1, processed: 0, lag: 0, errors: {} })
  })

  it.each([
    [['run', path.join(FIXTURES, 'plain-module.ts')], {}, "missing applicationId: give --application-id, STREAMFOLD_APPLICATION_ID, or applicationId in the module's config or the config file"],
    [['run', COUNT], { STREAMFOLD_HTTP_PORT: 'eighty' }, "invalid value for STREAMFOLD_HTTP_PORT: expected an integer >= 0, got 'eighty'"],
    [['run', COUNT, '--on-processing-error', 'retry'], {}, "invalid value for --on-processing-error: expected one of fail, skip, deadLetter, got 'retry'"],
    [['run', COUNT, '--config', '/nonexistent/w.json'], {}, 'invalid --config: cannot read /nonexistent/w.json (ENOENT)'],
    [['run'], {}, 'missing <module>'],
  ])('%j exits 2 before starting: %j', async (args, env, message) => {
    const result = await cli([...args, ...workerDirs(tempDir('run')).flags], { env })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(message)
  })

  it('exits 2 when a source topic is missing or the dead-letter topic is a source', async () => {
    const dirs = workerDirs(tempDir('run'))
    const missing = await cli(['run', COUNT, ...dirs.flags])
    expect(missing.code).toBe(2)
    expect(missing.stdout).toContain('source topics do not exist: in')
    await withBroker(dirs.dataDir, (broker) => broker.admin().ensureTopics([{ name: 'in', partitions: 1 }]))
    const loop = await cli(['run', COUNT, ...dirs.flags, '--on-deserialization-error', 'deadLetter', '--dead-letter-topic', 'in'])
    expect(loop.code).toBe(2)
    expect(loop.stdout).toContain('invalid deadLetterTopic: in is a source topic of the topology')
  })

  it('exits 1 on a fatal record error and commits nothing past the record', async () => {
    const dirs = workerDirs(tempDir('run'))
    const good = (i: number) => ({ topic: 'orders-json', partition: 0, key: Buffer.from(`c${i % 3}`), value: Buffer.from(`{"amount":${i}}`), timestamp: 1000 + i, headers: [] })
    const records = [...Array.from({ length: 50 }, (_, i) => good(i)), { ...good(50), value: Buffer.from('{"amount": SECRET-4711}') }, ...Array.from({ length: 50 }, (_, i) => good(51 + i))]
    await withBroker(dirs.dataDir, async (broker) => {
      await broker.admin().ensureTopics(['orders-json', 'orders-msgpack', 'totals'].map((name) => ({ name, partitions: 1 })))
      await produce(broker, records)
    })
    const result = await cli(['run', path.join(FIXTURES, 'orders-module.ts'), ...dirs.flags])
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('the app stopped on a fatal error: closing and exiting with status 1')
    expect(result.stdout).toContain('DESERIALIZATION_FAILED')
    // JSON.parse's own message quotes the text: neither it nor any other cause reaches the log.
    expect(`${result.stdout}${result.stderr}`).not.toContain('SECRET')
    await withBroker(dirs.dataDir, async (broker) => {
      const [committed] = await broker.admin().committedOffsets('cli-orders', [{ topic: 'orders-json', partition: 0 }])
      expect(committed?.offset ?? 0).toBeLessThanOrEqual(50)
    })
  })

  it('a stop that overruns --shutdown-timeout-ms exits 1; a second signal exits at once with 128 + signal', async () => {
    const dirs = workerDirs(tempDir('run'))
    await withBroker(dirs.dataDir, (broker) => broker.admin().ensureTopics([{ name: 'in', partitions: 1 }]))
    const slow = path.join(FIXTURES, 'slow-stop-module.ts')
    const timedOut = startCli(['run', slow, ...dirs.flags, '--shutdown-timeout-ms', '500'])
    await timedOut.waitForLine((l) => l.includes('worker running'))
    timedOut.child.kill('SIGTERM')
    expect(await timedOut.exited).toBe(1)
    expect(timedOut.stdout()).toContain('the worker did not close within the shutdown timeout')

    const twice = startCli(['run', slow, ...dirs.flags])
    await twice.waitForLine((l) => l.includes('worker running'))
    twice.child.kill('SIGTERM')
    await twice.waitForLine((l) => l === 'detaching slowly')
    const started = Date.now()
    twice.child.kill('SIGINT')
    expect(await twice.exited).toBe(130)
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(twice.stdout()).toContain('second signal: exiting now, without committing')
  })
})
