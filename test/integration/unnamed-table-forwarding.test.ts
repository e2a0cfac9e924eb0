/**
 * An unnamed toTable() forwards every update, as in Kafka Streams, which materializes (and so
 * caches) a source table only when it is named (TableSourceNode adds the store only when
 * KTableSource.materialized()). A named one is cached: cached-aggregation.test.ts.
 */
import { Serdes, StreamBuilder, StreamsApp } from 'streamfold'
import type { EmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import { createEmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import { silentLogger } from '../../src/logger'
import { produce, readTopic, tempDirs, waitFor } from '../integration/support/app-test-kit'

const tempDir = tempDirs()
let broker: EmbeddedBroker
beforeEach(async () => {
  broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0 })
})
afterEach(async () => broker.close())

it('an unnamed toTable().toStream() forwards every update, as in Kafka Streams', async () => {
  await broker.admin().ensureTopics([{ name: 'profiles', partitions: 1 }, { name: 'latest', partitions: 1 }])
  const updates: Array<[string, string]> = [['a', '1'], ['b', '1'], ['a', '2']]
  await produce(broker, updates.map(([key, value], i) => ({ topic: 'profiles', key: Buffer.from(key), value: Buffer.from(value), timestamp: 1000 + i, headers: [] })))
  const seen = { n: 0 }
  const builder = new StreamBuilder()
  builder.stream('profiles', { key: Serdes.string(), value: Serdes.string() }).peek(() => void seen.n++).toTable().toStream().to('latest', { key: Serdes.string(), value: Serdes.string() })
  const app = new StreamsApp(builder.build(), { applicationId: 'unnamed-table', broker: { instance: broker }, stateDir: tempDir(), logger: silentLogger(), commitIntervalMs: 600_000 })
  await app.start()
  await waitFor(() => seen.n === updates.length, 15_000, 'processed')
  expect(await app.close({ timeoutMs: 10_000 })).toBe(true)
  const got = (await readTopic(broker, 'latest')).map((r) => `${r.key!.toString()}=${r.value!.toString()}`)
  expect(got).toEqual(['a=1', 'b=1', 'a=2'])
})
