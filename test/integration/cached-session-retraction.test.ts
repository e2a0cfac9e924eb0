/**
 * A cached session aggregation on the runtime (embedded broker): session [1000,1000]=1 is
 * committed and forwarded by a first run. In the next interval a record at 1000 replaces it (same
 * window, nothing removed) and one at 1010 merges it away: the retraction of the forwarded
 * [1000,1000] must still go out, as Kafka Streams' cached session store forwards it (its old
 * value is read from the store at flush).
 */
import { Serdes, SessionWindows, StreamBuilder, StreamsApp } from 'streamfold'
import type { EmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import { createEmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import { silentLogger } from '../../src/logger'
import { produce, readTopic, tempDirs, waitFor } from '../integration/support/app-test-kit'

const tempDir = tempDirs()
let broker: EmbeddedBroker
beforeEach(async () => {
  broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0 })
  await broker.admin().ensureTopics([{ name: 'ticks', partitions: 1 }, { name: 'windows', partitions: 1 }])
})
afterEach(async () => broker.close())

async function runOnce(stateDir: string, caching: boolean, expectSeen: number): Promise<void> {
  const seen = { n: 0 }
  const builder = new StreamBuilder()
  builder
    .stream('ticks', { key: Serdes.string(), value: Serdes.string() })
    .peek(() => void seen.n++)
    .groupByKey()
    .windowedBy(SessionWindows.ofInactivityGapAndGrace(50, 1_000))
    .count({ name: 'sessions', caching })
    .toStream()
    .to('windows', { key: Serdes.windowed(Serdes.string()), value: Serdes.double() })
  const app = new StreamsApp(builder.build(), { applicationId: 'cached-session-retraction', broker: { instance: broker }, stateDir, logger: silentLogger(), commitIntervalMs: 600_000 })
  await app.start()
  await waitFor(() => seen.n === expectSeen, 15_000, 'ticks processed')
  expect(await app.close({ timeoutMs: 10_000 })).toBe(true)
}

const tick = (timestamp: number) => ({ topic: 'ticks', key: Buffer.from('k'), value: Buffer.from('x'), timestamp, headers: [] })

it.each([true, false])('caching %s: the forwarded session [1000,1000] is retracted when merged away', async (caching) => {
  const dir = tempDir()
  await produce(broker, [tick(1000)])
  await runOnce(dir, caching, 1)
  await produce(broker, [tick(1000), tick(1010)])
  await runOnce(dir, caching, 2)
  const serde = Serdes.windowed(Serdes.string())
  const out = (await readTopic(broker, 'windows')).map((r) => {
    const { window } = serde.deserialize(r.key!, 'windows')
    return `${window.start}-${window.end}=${r.value === null ? 'null' : Serdes.double().deserialize(r.value, 'windows')}`
  })
  // Whatever else is forwarded, the last word on [1000,1000] must be its removal.
  const last1000 = out.filter((e) => e.startsWith('1000-1000=')).pop()
  expect(last1000).toBe('1000-1000=null')
  expect(out[out.length - 1]).toBe('1000-1010=3')
})
