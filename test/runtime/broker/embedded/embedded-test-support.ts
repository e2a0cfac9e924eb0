/** Helpers for the embedded broker's own tests. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrokerRecord, IsolationLevel, OutgoingRecord } from '../../../../src/runtime/broker/broker'
import type { EmbeddedBroker } from '../../../../src/runtime/broker/embedded/embedded-broker'

export function out(topic: string, key: string | null, value: string | null, extra: Partial<OutgoingRecord> = {}): OutgoingRecord {
  return { topic, key: key === null ? null : Buffer.from(key), value: value === null ? null : Buffer.from(value), timestamp: Date.now(), headers: [], ...extra }
}

export async function readAll(broker: EmbeddedBroker, topic: string, partition = 0, isolationLevel: IsolationLevel = 'read_uncommitted'): Promise<BrokerRecord[]> {
  const records: BrokerRecord[] = []
  const reader = broker.reader()
  await reader.readToEnd({ topic, partition, offset: 0 }, (batch) => void records.push(...batch), { isolationLevel })
  await reader.close()
  return records
}

/** [offset, key, value] triples, for compact assertions. */
export function triples(records: readonly BrokerRecord[]): [number, string | null, string | null][] {
  return records.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString() ?? null])
}

export async function produce(broker: EmbeddedBroker, records: readonly OutgoingRecord[]): Promise<void> {
  const producer = broker.producer()
  for (const r of records) producer.send(r)
  await producer.flush()
  await producer.close()
}

/** A temp directory per test, removed afterwards. */
export function useTempDir(): () => string {
  let dir = ''
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamfold-embedded-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })
  return () => dir
}
