/** The global-only topology (one GlobalKTable, nothing else) and a broker that counts the clients an app asks for. */
import { Serdes, StreamBuilder, type AppState, type Serde, type StreamsApp, type Topology } from 'streamfold'
import type { Broker } from '../../../src/runtime/broker/broker'
import type { CapturedLogs } from '../../observability/support/log-capture'

/** `topic` (default `customers`) as a global table in the store `customers`. */
export function globalOnlyTopology<V = string>(value: Serde<V> = Serdes.string() as unknown as Serde<V>, topic = 'customers'): Topology {
  const b = new StreamBuilder()
  b.globalTable(topic, { key: Serdes.string(), value, name: 'customers' })
  return b.build()
}

/** Passes everything to `broker`, counting group consumers and producers handed out. */
export function countingBroker(broker: Broker): { readonly broker: Broker; readonly calls: { consumer: number; producer: number } } {
  const calls = { consumer: 0, producer: 0 }
  const counting: Broker = {
    kind: broker.kind,
    admin: () => broker.admin(),
    reader: () => broker.reader(),
    consumer: (options) => (calls.consumer++, broker.consumer(options)),
    producer: (options) => (calls.producer++, broker.producer(options)),
    close: () => broker.close(),
  }
  return { broker: counting, calls }
}

/** Starts `app`, recording its state moves: a global-only app is RUNNING once start() resolves (no group to wait for). */
export async function startGlobalOnly(app: StreamsApp): Promise<AppState[]> {
  const states: AppState[] = []
  app.onStateChange((next) => states.push(next))
  await app.start()
  expect(app.state).toBe('RUNNING')
  return states
}

/** How many records each global-store bootstrap logged so far read. */
export function bootstrapCounts(logs: CapturedLogs): () => unknown[] {
  return () => logs.lines.filter((l) => l.msg === 'global stores are up to date').map((l) => l.records)
}
