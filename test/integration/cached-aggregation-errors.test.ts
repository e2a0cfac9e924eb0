/**
 * Errors thrown downstream of a cached aggregation, while it forwards what it held back (at a
 * commit, or when its bound of pending keys is reached): handled like errors in `process()`, the
 * handler asked once, nothing committed past them.
 */
import { ProcessingError, Serdes, StreamBuilder, StreamsApp, TimeWindows, type Topology } from 'streamfold'
import { TopologyTestDriver } from 'streamfold/testing'
import type { BrokerRecord, OutgoingRecord } from '../../src/runtime/broker/broker'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import { createErrorHandlers } from '../../src/runtime/errors/error-handlers'
import { captureLogs } from '../observability/support/log-capture'
import { produce, readTopic, tempDirs, waitFor } from './support/app-test-kit'

const tempDir = tempDirs()
// 20 good records over 4 keys, then one whose count fails downstream.
const INPUT: OutgoingRecord[] = [
  ...Array.from({ length: 20 }, (_, i) => ({ topic: 'in', key: Buffer.from(`k${i % 4}`), value: Buffer.from('v'), timestamp: 1000 + i, headers: [] })),
  { topic: 'in', key: Buffer.from('bad'), value: Buffer.from('v'), timestamp: 2000, headers: [] },
]

/** count (cached unless `caching` is false), then a mapValues that throws for the key `bad`. */
function failingAfterCount(seen: { n: number }, caching = true): Topology {
  const builder = new StreamBuilder()
  builder
    .stream('in', { key: Serdes.string(), value: Serdes.string() })
    .peek(() => void seen.n++)
    .groupByKey()
    .count({ name: 'counts', caching })
    .toStream()
    .mapValues((key, n) => {
      if (key === 'bad') throw new Error('boom')
      return n
    })
    .to('out', { key: Serdes.string(), value: Serdes.double() })
  return builder.build()
}

describe('on the runtime (embedded broker)', () => {
  let broker: EmbeddedBroker
  beforeEach(async () => {
    broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0 })
    await broker.admin().ensureTopics([{ name: 'in', partitions: 1 }, { name: 'out', partitions: 1 }])
    await produce(broker, INPUT)
  })
  afterEach(async () => {
    await broker.close()
  })

  it.each(['at_least_once', 'exactly_once'] as const)('%s: an error at the commit stops the app at once, as one in process() does, never as a commit to retry', async (guarantee) => {
    const seen = { n: 0 }
    const { logger, lines } = captureLogs('info')
    const app = new StreamsApp(failingAfterCount(seen), { applicationId: `flush-fail-${guarantee}`, broker: { instance: broker }, stateDir: tempDir(), logger, processingGuarantee: guarantee, commitIntervalMs: 100 })
    await app.start()
    await waitFor(() => app.state === 'ERROR', 20_000, 'ERROR')
    await app.close({ timeoutMs: 5_000 })
    expect(app.error).toBeInstanceOf(ProcessingError)
    expect((app.error as ProcessingError).coordinates).toMatchObject({ topic: 'in', partition: 0, offset: 20 })
    expect(lines.filter((l) => l.msg === 'commit failed; rolled back')).toEqual([])
    // Every record went through once: the interval was not re-read by a retried commit.
    expect(seen.n).toBe(INPUT.length)
    if (guarantee === 'exactly_once') expect(await readTopic(broker, 'out')).toEqual([])
  })

  it.each(['at_least_once', 'exactly_once'] as const)('%s: an error in the final commit of close() is reported: app.error, an error line, nothing committed', async (guarantee) => {
    const seen = { n: 0 }
    const { logger, lines } = captureLogs('info')
    const app = new StreamsApp(failingAfterCount(seen), { applicationId: `close-fail-${guarantee}`, broker: { instance: broker }, stateDir: tempDir(), logger, processingGuarantee: guarantee, commitIntervalMs: 600_000 })
    await app.start()
    await waitFor(() => seen.n === INPUT.length, 15_000, 'every record processed')
    expect(await app.close({ timeoutMs: 10_000 })).toBe(true)
    expect(app.error).toBeInstanceOf(ProcessingError)
    expect(lines.filter((l) => (l.level as number) >= 50).map((l) => l.msg)).toContain('processing failed in the final commit: its work was rolled back')
    const committed = await broker.admin().committedOffsets(`close-fail-${guarantee}`, [{ topic: 'in', partition: 0 }])
    expect(committed.filter((c) => c.offset > 0)).toEqual([])
    if (guarantee === 'exactly_once') expect(await readTopic(broker, 'out')).toEqual([])
  })
})

describe('in the TopologyTestDriver', () => {
  it('asks the handler once when the bound of pending keys makes an aggregation forward inside process()', () => {
    const calls: Array<BrokerRecord | undefined> = []
    const builder = new StreamBuilder()
    // Hopping windows of 10 s advancing by 1 ms: one record updates 10,000 windows, reaching the
    // bound of pending keys (MAX_PENDING_CHANGES) inside process().
    builder
      .stream('in', { key: Serdes.string(), value: Serdes.string() })
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeAndGrace(10_000, 0).advanceBy(1))
      .count({ name: 'windows' })
      .toStream()
      .mapValues(() => {
        throw new Error('boom')
      })
      .to('out', { key: Serdes.windowed(Serdes.string()), value: Serdes.string() })
    const driver = new TopologyTestDriver(builder.build(), {
      errorHandlers: {
        deserialization: () => 'fail',
        processing: (_error: ProcessingError, record: BrokerRecord | undefined) => {
          calls.push(record)
          return 'fail'
        },
      },
    })
    expect(() => driver.createInputTopic('in', Serdes.string(), Serdes.string()).pipeInput('k', 'x', 20_000)).toThrow(ProcessingError)
    expect(calls).toHaveLength(1)
  })

  it.each([false, true])('deadLetter (caching %s): the input record is dead-lettered without caching; a cached update is logged and skipped, naming its last input', (caching) => {
    const sent: OutgoingRecord[] = []
    const { logger, lines } = captureLogs()
    const handlers = createErrorHandlers({ processing: 'deadLetter', deadLetterTopic: 'dlq', logger })
    handlers.connectDeadLetters({ send: (record) => void sent.push(record) })
    const driver = new TopologyTestDriver(failingAfterCount({ n: 0 }, caching), { errorHandlers: handlers })
    const input = driver.createInputTopic('in', Serdes.string(), Serdes.string())
    input.pipeInput('k0', 'x')
    input.pipeInput('bad', 'x')
    input.pipeInput('k0', 'x')
    expect(driver.createOutputTopic('out', Serdes.string(), Serdes.double()).readKeyValuesToList()).toEqual([
      { key: 'k0', value: 1 },
      { key: 'k0', value: 2 },
    ])
    if (!caching) {
      expect(sent.map((r) => r.key?.toString())).toEqual(['bad'])
      return
    }
    expect(sent).toEqual([])
    const skipped = lines.filter((l) => typeof l.msg === 'string' && l.msg.includes('a cached update forwarded at commit'))
    expect(skipped).toHaveLength(1)
    expect(skipped[0]).toMatchObject({ topic: 'in', partition: 0, offset: 1 })
  })
})
