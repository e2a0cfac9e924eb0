/** StreamsApp details on the embedded broker: dedup id window, error handling, back-pressure, punctuation, locking. */
import { Serdes, StreamBuilder, StreamsApp, type Processor, type ProcessorContext, type StreamsConfig } from 'streamfold'
import { Writable } from 'node:stream'
import { createLogger, silentLogger } from '../../src/logger'
import type { Broker, GroupConsumer } from '../../src/runtime/broker/broker'
import { keyValueStoreSpec, type KeyValueStore } from '../../src/state'
import { TaskMigratedError } from '../../src/errors'
import type { StreamsMetrics } from '../../src/runtime/observability/streams-metrics'
import { caughtUp, countTopology, inMemoryCountBroker, latestCounts, produce, readTopic, referenceCounts, tempDirs, waitFor, waitForState } from './support/app-test-kit'

const tempDir = tempDirs()
const logger = silentLogger()

const currentBroker = inMemoryCountBroker()

const base = (applicationId: string, extra: Partial<StreamsConfig> = {}): StreamsConfig => ({
  applicationId,
  broker: { instance: currentBroker() },
  stateDir: tempDir(),
  logger,
  commitIntervalMs: 20,
  ...extra,
})

const record = (key: string, value: string, i = 0) => ({ topic: 'in', key: Buffer.from(key), value: Buffer.from(value), timestamp: 1_000 + i, headers: [] })

it('drops records whose dedup id was processed, also after a restore on an empty state directory', async () => {
  const dedup = { retentionMs: 60_000, by: { in: (r: { value: Buffer | null }) => r.value?.toString() } }
  const first = new StreamsApp(countTopology(), base('dedup', { dedup }))
  await first.start()
  await produce(currentBroker(), [record('k1', 'r1', 0), record('k1', 'r2', 1), record('k1', 'r1', 2), record('k2', 'r3', 3), record('k2', 'r3', 4)])
  await waitFor(() => caughtUp(currentBroker().admin(), 'dedup', 'in', 2), 10_000, 'first batch')
  await first.close()
  expect(latestCounts(await readTopic(currentBroker(), 'counts'))).toEqual(new Map([['k1', 2], ['k2', 1]]))
  expect((await currentBroker().admin().partitionCounts(['dedup-__dedup-changelog'])).get('dedup-__dedup-changelog')).toBe(2)

  const second = new StreamsApp(countTopology(), base('dedup', { dedup }))
  await second.start()
  await produce(currentBroker(), [record('k1', 'r2', 5), record('k1', 'r4', 6)])
  await waitFor(() => caughtUp(currentBroker().admin(), 'dedup', 'in', 2), 10_000, 'second batch')
  await second.close()
  // The window came back from its changelog: r2 again is dropped, r4 is new.
  expect(latestCounts(await readTopic(currentBroker(), 'counts'))).toEqual(new Map([['k1', 3], ['k2', 1]]))
})

it('rejects a dedup configuration for a topic the topology does not read', async () => {
  const app = new StreamsApp(countTopology(), base('dedup-bad', { dedup: { retentionMs: 1_000, by: { other: () => 'x' } } }))
  await expect(app.start()).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  await app.close()
})

describe('record errors', () => {
  const failing = () => {
    const builder = new StreamBuilder()
    builder
      .stream('in', { key: Serdes.string(), value: Serdes.string() })
      .mapValues((_k, v) => {
        if (v === 'boom') throw new Error(`bad value ${v}`) // quotes the record: must never reach a log
        return v.toUpperCase()
      })
      .to('counts', { key: Serdes.string(), value: Serdes.string() })
    return builder.build()
  }

  it('stops in ERROR on a failing record (default handler); nothing of the failed transaction is visible', async () => {
    let logged = ''
    const destination = new Writable({ write: (chunk: Buffer, _enc, done) => void ((logged += chunk.toString()), done()) })
    const logger = createLogger({ level: 'trace', destination })
    const app = new StreamsApp(failing(), base('fails', { processingGuarantee: 'exactly_once', commitIntervalMs: 60_000, logger }))
    await app.start()
    await produce(currentBroker(), [record('a', 'x', 0), record('a', 'boom', 1), record('a', 'y', 2)])
    await waitForState(app, 'ERROR')
    expect(logged).toContain('processing stopped by an error')
    expect(logged).not.toContain('boom')
    expect(app.error).toMatchObject({ code: 'PROCESSING_FAILED', coordinates: { topic: 'in', offset: 1 } })
    expect(String(app.error)).not.toContain('boom')
    await app.close()
    expect(app.state).toBe('NOT_RUNNING')
    expect(await readTopic(currentBroker(), 'counts', 'read_committed')).toEqual([])
  })

  it('goes on past a failing record when the handler says continue', async () => {
    const errorHandlers = { deserialization: () => 'fail' as const, processing: () => 'continue' as const }
    const app = new StreamsApp(failing(), base('continues', { errorHandlers }))
    await app.start()
    await produce(currentBroker(), [record('a', 'x', 0), record('a', 'boom', 1), record('a', 'y', 2)])
    await waitFor(() => caughtUp(currentBroker().admin(), 'continues', 'in', 2), 10_000, 'input processed')
    await app.close()
    expect((await readTopic(currentBroker(), 'counts')).map((r) => r.value!.toString())).toEqual(['X', 'Y'])
  })
})

it('pauses a partition whose queue passes the bound and resumes it once drained', async () => {
  const consumers: GroupConsumer[] = []
  const spying: Broker = {
    kind: currentBroker().kind,
    admin: () => currentBroker().admin(),
    producer: (options) => currentBroker().producer(options),
    reader: () => currentBroker().reader(),
    close: () => currentBroker().close(),
    consumer: (options) => {
      const consumer = currentBroker().consumer(options)
      jest.spyOn(consumer, 'pause')
      jest.spyOn(consumer, 'resume')
      consumers.push(consumer)
      return consumer
    },
  }
  await produce(currentBroker(), Array.from({ length: 3_000 }, (_, i) => record(`k${i % 7}`, `v${i}`, i)))
  const app = new StreamsApp(countTopology(), base('bounded', { broker: { instance: spying }, maxQueuedRecordsPerPartition: 20, maxBatchRecords: 200 }))
  await app.start()
  await waitFor(() => caughtUp(currentBroker().admin(), 'bounded', 'in', 2), 20_000, 'input processed')
  await app.close()
  const consumer = consumers[0]!
  // Beyond the pause during restore: one per partition that overflowed.
  expect(jest.mocked(consumer.pause).mock.calls.length).toBeGreaterThan(2)
  expect(jest.mocked(consumer.resume).mock.calls.length).toBeGreaterThan(2)
  const counts = latestCounts(await readTopic(currentBroker(), 'counts'))
  expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(3_000)
})

it('runs Processor API processors with a store and a wall-clock punctuator', async () => {
  class Totals implements Processor<string, string, string, number> {
    private context!: ProcessorContext<string, number>
    private store!: KeyValueStore<string, number>
    init(context: ProcessorContext<string, number>): void {
      this.context = context
      this.store = context.getStateStore<KeyValueStore<string, number>>('totals')
      context.schedule(20, 'wall-clock', () => this.store.put('__ticks', (this.store.get('__ticks') ?? 0) + 1))
    }
    process(r: { key: string; value: string; timestamp: number }): void {
      const total = (this.store.get(r.key) ?? 0) + r.value.length
      this.store.put(r.key, total)
      this.context.forward({ ...r, value: total } as never)
    }
  }
  const builder = new StreamBuilder()
  builder.addStateStore(keyValueStoreSpec({ name: 'totals', keySerde: Serdes.string(), valueSerde: Serdes.double() }))
  builder
    .stream('in', { key: Serdes.string(), value: Serdes.string() })
    .process(() => new Totals(), { stores: ['totals'] })
    .to('counts', { key: Serdes.string(), value: Serdes.double() })
  const app = new StreamsApp(builder.build(), base('papi', { processingGuarantee: 'exactly_once' }))
  await app.start()
  await produce(currentBroker(), [record('a', 'xx', 0), record('a', 'yyy', 1)])
  await waitFor(() => caughtUp(currentBroker().admin(), 'papi', 'in', 2), 10_000, 'input processed')
  await new Promise((r) => setTimeout(r, 100))
  await app.close()
  expect(latestCounts(await readTopic(currentBroker(), 'counts')).get('a')).toBe(5)
  // The punctuator's writes were committed and logged like any other.
  const ticks = (await readTopic(currentBroker(), 'papi-totals-changelog')).filter((r) => r.key!.toString() === '__ticks')
  expect(ticks.length).toBeGreaterThan(0)
})

it('refuses a second app on the same state directory', async () => {
  const stateDir = tempDir()
  const one = new StreamsApp(countTopology(), base('locked', { stateDir }))
  const two = new StreamsApp(countTopology(), base('locked', { stateDir }))
  await one.start()
  await expect(two.start()).rejects.toMatchObject({ code: 'STATE_DIR_LOCKED' })
  await Promise.all([one.close(), two.close()])
  const three = new StreamsApp(countTopology(), base('locked', { stateDir }))
  await three.start()
  await three.close()
})

describe('recovery and metrics', () => {
  /** The embedded currentBroker(), except that its producers' `send` fails once with TASK_MIGRATED at the n-th call. */
  function fencedOnce(n: number): Broker {
    let sends = 0
    return {
      kind: currentBroker().kind,
      admin: () => currentBroker().admin(),
      consumer: (options) => currentBroker().consumer(options),
      reader: () => currentBroker().reader(),
      close: () => currentBroker().close(),
      producer: (options) => {
        const real = currentBroker().producer(options)
        const send = real.send.bind(real)
        real.send = (record) => {
          if (++sends === n) throw new TaskMigratedError('producer fenced (injected)')
          send(record)
        }
        return real
      },
    }
  }

  it('rolls back and goes on when the producer is fenced while processing (exactly_once)', async () => {
    const input = Array.from({ length: 400 }, (_, i) => record(`k${i % 9}`, `v${i}`, i))
    await produce(currentBroker(), input)
    const app = new StreamsApp(countTopology(), base('fenced', { broker: { instance: fencedOnce(150) }, processingGuarantee: 'exactly_once', maxBatchRecords: 50 }))
    await app.start()
    await waitFor(() => caughtUp(currentBroker().admin(), 'fenced', 'in', 2), 10_000, 'input processed')
    expect(app.state).toBe('RUNNING')
    await app.close()
    const output = await readTopic(currentBroker(), 'counts', 'read_committed')
    expect(output).toHaveLength(400)
    expect(latestCounts(output)).toEqual(referenceCounts(input))
  })

  it('reports processing, commits, tasks, restores and states to the metrics port', async () => {
    const calls = { processed: 0, commits: [] as boolean[], tasks: [] as number[], states: [] as string[], restored: new Set<number>() }
    const metrics: StreamsMetrics = {
      recordsProcessed: (_task, n) => void (calls.processed += n),
      lateRecordsDropped: () => undefined,
      consumerLag: () => undefined,
      lagUnassigned: () => undefined,
      commitCompleted: (_ms, ok) => void calls.commits.push(ok),
      restoreProgress: (p) => void (p.done && calls.restored.add(p.partition)),
      errorOutcome: () => undefined,
      tasksAssigned: (n) => void calls.tasks.push(n),
      appState: (s) => void calls.states.push(s),
    }
    const app = new StreamsApp(countTopology(), base('metered', { metrics }))
    await app.start()
    await produce(currentBroker(), Array.from({ length: 100 }, (_, i) => record(`k${i % 5}`, `v${i}`, i)))
    await waitFor(() => caughtUp(currentBroker().admin(), 'metered', 'in', 2), 10_000, 'input processed')
    await app.close()
    expect(calls.processed).toBe(100)
    expect(calls.commits.length).toBeGreaterThan(0)
    expect(calls.commits.every((ok) => ok)).toBe(true)
    expect(calls.tasks).toContain(2)
    expect([...calls.restored].sort()).toEqual([0, 1])
    expect(calls.states).toEqual(['CREATED', 'REBALANCING', 'RUNNING', 'PENDING_SHUTDOWN', 'NOT_RUNNING'])
  })
})
