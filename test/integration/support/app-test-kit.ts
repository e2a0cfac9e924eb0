/** Helpers shared by the StreamsApp integration, crash and mock-cluster tests. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { AppState, StreamsApp } from 'streamfold'
import type { Broker, BrokerRecord, IsolationLevel, OutgoingRecord } from '../../../src/runtime/broker/broker'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../../src/runtime/broker/embedded/embedded-broker'

export * from './count-fixtures'

/**
 * A fresh in-memory embedded broker per test (no background cleaner) holding `in` and `counts`
 * with 2 partitions each, the count topology's topics; closed after the test.
 */
export function inMemoryCountBroker(): () => EmbeddedBroker {
  let broker: EmbeddedBroker | undefined
  beforeEach(async () => {
    broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0 })
    await broker.admin().ensureTopics([{ name: 'in', partitions: 2 }, { name: 'counts', partitions: 2 }])
  })
  afterEach(async () => {
    await broker?.close()
    broker = undefined
  })
  return () => broker!
}

/** A fresh directory per call, removed after the test file. */
export function tempDirs(): (name?: string) => string {
  const made: string[] = []
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true })
  })
  return (name = 'app') => {
    const dir = mkdtempSync(path.join(tmpdir(), `streamfold-${name}-`))
    made.push(dir)
    return dir
  }
}

export async function produce(broker: Broker, records: readonly OutgoingRecord[]): Promise<void> {
  const producer = broker.producer()
  await producer.connect()
  for (const r of records) producer.send(r)
  await producer.flush()
  await producer.close()
}

/** Every record of `topic`, partition by partition. */
export async function readTopic(broker: Broker, topic: string, isolationLevel: IsolationLevel = 'read_committed'): Promise<BrokerRecord[]> {
  const partitions = (await broker.admin().partitionCounts([topic])).get(topic) ?? 0
  const reader = broker.reader()
  const out: BrokerRecord[] = []
  try {
    for (let partition = 0; partition < partitions; partition++) {
      await reader.readToEnd({ topic, partition, offset: 0 }, (batch) => void out.push(...batch), { isolationLevel })
    }
  } finally {
    await reader.close()
  }
  return out
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

export function waitForState(app: StreamsApp, state: AppState, timeoutMs = 20_000): Promise<void> {
  return waitFor(() => app.state === state || app.state === 'ERROR', timeoutMs, `state ${state}`).then(() => {
    if (app.state === 'ERROR' && state !== 'ERROR') throw new Error(`app failed: ${String(app.error)}`)
  })
}

