/**
 * Interactive queries against a closing app (embedded broker, LevelDB in temp dirs), beyond
 * interactive-queries.test.ts (an iterator already past its first step when close() starts):
 * a LevelDB read still in flight when close() starts, and an iterator never read before it,
 * both fail with STATE_STORE_MIGRATED; an iteration left early does not hold close() up; and
 * nothing rejects unhandled (a read of a closed DB surfacing later would).
 */
import { Serdes, StreamBuilder, StreamfoldError, StreamsApp } from 'streamfold'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import { keyedInput, produce, referenceCounts, tempDirs, waitFor, waitForState } from './support/app-test-kit'
import { captureLogs } from '../observability/support/log-capture'

const tempDir = tempDirs()
const str = Serdes.string()

const codeOf = (error: unknown): string | undefined => (error instanceof StreamfoldError ? error.code : `not a StreamfoldError: ${String(error)}`)

/** Reads an iterator to its end; the error it fails with, if any. */
async function drain(iterator: AsyncIterator<unknown>): Promise<unknown> {
  try {
    while (!(await iterator.next()).done) {
      // keep reading
    }
  } catch (error) {
    return error
  }
  return undefined
}

describe('interactive queries while the app closes', () => {
  let broker: EmbeddedBroker
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason)
  beforeEach(async () => {
    process.on('unhandledRejection', onUnhandled)
    broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0 })
    await broker.admin().ensureTopics([{ name: 'in', partitions: 4 }])
  })
  afterEach(async () => {
    process.off('unhandledRejection', onUnhandled)
    await broker.close()
  })

  it('fails a read in flight and an unread iterator with STATE_STORE_MIGRATED, closes, and rejects nothing unhandled', async () => {
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: str }).groupByKey().count({ name: 'counts' })
    // Enough keys that all() reads each task's LevelDB in several chunks.
    const input = keyedInput('in', 30_000, 20_000)
    const expected = referenceCounts(input)
    const app = new StreamsApp(b.build(), { applicationId: 'iq-close', broker: { instance: broker }, stateDir: tempDir(), logger: captureLogs('warn').logger, commitIntervalMs: 50 })
    await app.start()
    await waitForState(app, 'RUNNING')
    await produce(broker, input)
    const counts = app.store<string, number>('counts')
    await waitFor(() => [...expected].every(([k, n]) => counts.get(k) === n), 30_000, 'counts')

    // Left early: its LevelDB iterators are closed at once, else the task close would wait on them.
    for await (const entry of counts.all()) {
      expect(entry.value).toBe(expected.get(entry.key))
      break
    }
    const reading = counts.all()[Symbol.asyncIterator]()
    const inFlight = reading.next()
    const unread = counts.all()[Symbol.asyncIterator]()
    const closed = app.close({ timeoutMs: 10_000 })
    const error = await inFlight.then(
      () => drain(reading),
      (e: unknown) => e,
    )
    expect(codeOf(error)).toBe('STATE_STORE_MIGRATED')
    expect(await closed).toBe(true)
    expect(codeOf(await drain(unread))).toBe('STATE_STORE_MIGRATED')
    expect(codeOf(await counts.approximateNumEntries().catch((e: unknown) => e))).toBe('STATE_STORE_NOT_AVAILABLE')
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(unhandled).toEqual([])
  })
})
