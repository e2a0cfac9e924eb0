/**
 * The worker under kill -9 on the Kafka protocol: `streamfold run --brokers <mock cluster>` of a
 * stateful at_least_once topology, SIGKILLed 5 times at random moments while it processes, then run
 * to the end. Redelivered records are dropped by the applied-offset watermark, so the store equals
 * the reference fold and the last count per key is right. (The mock cluster has no read_committed
 * isolation: exactly_once is proven on the embedded broker, worker-crash.test.ts.)
 */
import path from 'node:path'
import { keyedInput, latestCounts, produce, readTopic, referenceCounts, storeCounts, waitFor } from '../integration/support/app-test-kit'
import { mockBroker } from '../kafka/kafka-test-kit'
import { useMockCluster } from '../support/mock-cluster/use-mock-cluster'
import { topology } from './fixtures/crash-module'
import { FIXTURES, startCli, tempDirs } from './support/cli-process'
import { httpGet, httpPort, metricValue } from './support/worker-kit'

jest.setTimeout(240_000)
const PARTITIONS = 4
const RECORDS = 60_000
const KILLS = 5
const kafka = useMockCluster({ topics: ['in', 'counts', 'cli-crash-counts-store-changelog'].map((name) => ({ name, partitions: PARTITIONS })) })
const tempDir = tempDirs()
const INPUTS = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: 'in', partition }))

it(`at_least_once on the mock cluster: ${KILLS} SIGKILLs, then the store equals the fold`, async () => {
  const stateDir = tempDir('crash-kafka')
  const admin = mockBroker(kafka.bootstrapServers)
  const input = keyedInput('in', RECORDS, 200, 17)
  const flags = [
    'run',
    path.join(FIXTURES, 'crash-module.ts'),
    '--brokers',
    kafka.bootstrapServers,
    '--topic-creation',
    'auto',
    '--state-dir',
    stateDir,
    '--processing-guarantee',
    'at_least_once',
    '--commit-interval-ms',
    '200',
    '--session-timeout-ms',
    '3000',
    '--heartbeat-interval-ms',
    '500',
    '--http-port',
    '0',
  ]
  const committedSum = async (): Promise<number> => (await admin.admin().committedOffsets('cli-crash', INPUTS)).reduce((n, c) => n + c.offset, 0)
  try {
    await produce(admin, input)
    const delays: number[] = []
    for (let i = 0; i < KILLS; i++) {
      const worker = startCli(flags)
      const port = await httpPort(worker)
      // Killed while processing: once this run has processed something, at a random moment after.
      await waitFor(async () => metricValue((await httpGet(port, '/metrics')).body, 'streamfold_records_processed_total') > 0, 60_000, 'the worker to process')
      const delay = Math.floor(Math.random() * 800)
      delays.push(delay)
      await new Promise((r) => setTimeout(r, delay))
      worker.child.kill('SIGKILL')
      await worker.exited
    }
    const committed = await committedSum()
    expect({ delays, midRun: committed > 0 && committed < RECORDS }).toEqual({ delays, midRun: true })

    const last = startCli(flags, { env: { CRASH_SLOW_EVERY: '0' } })
    const port = await httpPort(last)
    await waitFor(async () => {
      const metrics = (await httpGet(port, '/metrics')).body
      return (metrics.match(/^streamfold_consumer_lag_records\{/gm) ?? []).length === PARTITIONS && metricValue(metrics, 'streamfold_consumer_lag_records') === 0
    }, 120_000, 'the rest of the input')
    last.child.kill('SIGTERM')
    expect(await last.exited).toBe(0)
    expect(await committedSum()).toBe(RECORDS)

    const reference = referenceCounts(input)
    expect(await storeCounts(topology(), 'cli-crash', stateDir, PARTITIONS)).toEqual(reference)
    expect(latestCounts(await readTopic(admin, 'counts', 'read_uncommitted'))).toEqual(reference)
  } finally {
    await admin.close()
  }
})
