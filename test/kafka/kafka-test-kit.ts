/** Shared helpers for the tests that run the Kafka adapter on librdkafka's mock cluster. */
import type { BrokerRecord, GroupConsumer, GroupConsumerOptions, OutgoingRecord, RebalanceListener, TopicPartition } from '../../src/runtime/broker/broker'
import { KafkaBroker, type KafkaBrokerConfig } from '../../src/runtime/broker/kafka/kafka-broker'
import type { MockClusterHandle } from '../support/mock-cluster/use-mock-cluster'

/** Session and heartbeat short enough that joins, leaves and failover take a couple of seconds. */
export const FAST_GROUP = { sessionTimeoutMs: 2_500, heartbeatIntervalMs: 300 } as const

/** A fresh adapter for each test, closed after it: `broker()` inside tests. */
export function brokerPerTest(kafka: MockClusterHandle, overrides: Partial<KafkaBrokerConfig> = {}): () => KafkaBroker {
  let current: KafkaBroker | undefined
  beforeEach(() => {
    current = mockBroker(kafka.bootstrapServers, overrides)
  })
  afterEach(async () => {
    await current?.close()
    current = undefined
  })
  return () => {
    if (current === undefined) throw new Error('broker() is only available inside tests')
    return current
  }
}

export function mockBroker(bootstrapServers: string, overrides: Partial<KafkaBrokerConfig> = {}): KafkaBroker {
  return new KafkaBroker({ bootstrapServers, topicCreation: 'auto', operationTimeoutMs: 10_000, ...overrides })
}

export function outgoing(topic: string, key: string | null, value: string, extra: Partial<OutgoingRecord> = {}): OutgoingRecord {
  return {
    topic,
    key: key === null ? null : Buffer.from(key),
    value: Buffer.from(value),
    timestamp: Date.now(),
    headers: [],
    ...extra,
  }
}

export interface RebalanceLog extends RebalanceListener {
  readonly events: Array<{ kind: 'assigned' | 'revoked' | 'lost'; partitions: TopicPartition[] }>
}

export function rebalanceLog(hooks: Partial<RebalanceListener> = {}): RebalanceLog {
  const events: RebalanceLog['events'] = []
  return {
    events,
    async onAssigned(partitions) {
      events.push({ kind: 'assigned', partitions: [...partitions] })
      await hooks.onAssigned?.(partitions)
    },
    async onRevoked(partitions) {
      events.push({ kind: 'revoked', partitions: [...partitions] })
      await hooks.onRevoked?.(partitions)
    },
    async onLost(partitions) {
      events.push({ kind: 'lost', partitions: [...partitions] })
      await hooks.onLost?.(partitions)
    },
  }
}

/** Polls until `done(all records so far)` holds, or fails after `timeoutMs`. */
export async function pollUntil(
  consumers: readonly GroupConsumer[],
  done: (records: readonly BrokerRecord[]) => boolean,
  timeoutMs = 15_000,
): Promise<BrokerRecord[]> {
  const records: BrokerRecord[] = []
  const deadline = Date.now() + timeoutMs
  while (!done(records)) {
    if (Date.now() > deadline) throw new Error(`pollUntil timed out with ${records.length} records`)
    for (const c of consumers) records.push(...(await c.poll(500, 100)))
  }
  return records
}

export function groupOptions(groupId: string, extra: Partial<GroupConsumerOptions> = {}): GroupConsumerOptions {
  return { groupId, autoOffsetReset: 'earliest', ...FAST_GROUP, ...extra }
}

export function byPartition(records: readonly BrokerRecord[]): Map<number, BrokerRecord[]> {
  const out = new Map<number, BrokerRecord[]>()
  for (const r of records) out.set(r.partition, [...(out.get(r.partition) ?? []), r])
  return out
}

export function sortTp(list: readonly TopicPartition[]): TopicPartition[] {
  return [...list].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
}
