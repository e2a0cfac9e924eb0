/**
 * Shared pieces of the broker contract suite: what a broker under test declares, and helpers
 * that poll until a condition holds (brokers differ in how fast they rebalance and deliver).
 */
import type { Broker, BrokerRecord, GroupConsumer, OutgoingRecord, RebalanceListener, TopicPartition, TopicSpec } from '../../src/runtime/broker/broker'

/** What the broker can do. A test a broker cannot pass is skipped, and says why in its name. */
export interface BrokerCapabilities {
  /** admin.ensureTopics creates topics with the requested partition counts. */
  readonly adminCreatesTopics: boolean
  /** Topics with a chosen partition count can be made: by admin, or by the createTopics hook. */
  readonly topicsWithPartitions: boolean
  readonly deleteTopics: boolean
  /** Transactional producers: init, begin, send, commit, abort. */
  readonly transactions: boolean
  /** A second producer with the same transactionalId fences the first (default: `transactions`). */
  readonly fencing?: boolean
  /** read_committed hides open and aborted transactions (the LSO), also in endOffsets. */
  readonly readCommitted: boolean
  /** Offsets sent to a transaction become the group's committed offsets when it commits. */
  readonly transactionalOffsets: boolean
  /** A member that stops polling for its session timeout is evicted; its next poll reports onLost. */
  readonly evictsSilentMembers: boolean
  /** Session timeout to configure in failover tests, and how long a rebalance may take. */
  readonly sessionTimeoutMs: number
  readonly rebalanceTimeoutMs: number
}

export interface BrokerUnderTest {
  readonly broker: Broker
  /** Creates topics when the broker's admin cannot (e.g. through a test cluster's own API). */
  readonly createTopics?: (specs: readonly TopicSpec[]) => Promise<void>
  cleanup(): Promise<void>
}

export type MakeBroker = () => Promise<BrokerUnderTest>

let topicCounter = 0

/** A topic name no other test uses. */
export function freshTopic(label: string): string {
  return `contract-${label}-${process.pid}-${++topicCounter}-${Math.random().toString(36).slice(2, 8)}`
}

/** Creates topics with the hook if the harness has one, else with admin.ensureTopics. */
export async function createTopics(t: BrokerUnderTest, specs: readonly TopicSpec[]): Promise<void> {
  if (t.createTopics !== undefined) await t.createTopics(specs)
  else await t.broker.admin().ensureTopics(specs)
}

export function record(topic: string, key: string | null, value: string | null, extra: Partial<OutgoingRecord> = {}): OutgoingRecord {
  return {
    topic,
    key: key === null ? null : Buffer.from(key),
    value: value === null ? null : Buffer.from(value),
    timestamp: 1_700_000_000_000,
    headers: [],
    ...extra,
  }
}

/** Produces records k{i}/v{i} for i in [from, to) with a plain producer, flushed. */
export async function produceRange(broker: Broker, topic: string, range: { from?: number; to: number; partition?: number }): Promise<void> {
  const producer = broker.producer()
  await producer.connect()
  for (let i = range.from ?? 0; i < range.to; i++) producer.send(record(topic, `k${i}`, `v${i}`, range.partition === undefined ? {} : { partition: range.partition }))
  await producer.flush()
  await producer.close()
}

export function text(b: Buffer | null): string | null {
  return b === null ? null : b.toString('utf8')
}

/** A listener that records every callback, in order. */
export class RecordingListener implements RebalanceListener {
  readonly events: { kind: 'assigned' | 'revoked' | 'lost'; partitions: TopicPartition[] }[] = []
  constructor(private readonly hooks: Partial<RebalanceListener> = {}) {}

  async onAssigned(partitions: readonly TopicPartition[]): Promise<void> {
    this.events.push({ kind: 'assigned', partitions: [...partitions] })
    await this.hooks.onAssigned?.(partitions)
  }
  async onRevoked(partitions: readonly TopicPartition[]): Promise<void> {
    this.events.push({ kind: 'revoked', partitions: [...partitions] })
    await this.hooks.onRevoked?.(partitions)
  }
  async onLost(partitions: readonly TopicPartition[]): Promise<void> {
    this.events.push({ kind: 'lost', partitions: [...partitions] })
    await this.hooks.onLost?.(partitions)
  }

  /** Partitions held according to the callbacks: assigned minus revoked and lost. */
  held(): string[] {
    const held = new Set<string>()
    for (const e of this.events) {
      for (const tp of e.partitions) {
        if (e.kind === 'assigned') held.add(tpName(tp))
        else held.delete(tpName(tp))
      }
    }
    return [...held].sort()
  }

  count(kind: 'assigned' | 'revoked' | 'lost'): number {
    return this.events.filter((e) => e.kind === kind).length
  }
}

export function tpName(tp: TopicPartition): string {
  return `${tp.topic}:${tp.partition}`
}

export function names(tps: readonly TopicPartition[]): string[] {
  return tps.map(tpName).sort()
}

/** Polls until `done(all records so far)` or the deadline; returns what was polled. */
export async function pollUntil(
  consumer: GroupConsumer,
  done: (records: readonly BrokerRecord[]) => boolean,
  timeoutMs: number,
): Promise<BrokerRecord[]> {
  const all: BrokerRecord[] = []
  const deadline = Date.now() + timeoutMs
  while (!done(all) && Date.now() < deadline) {
    all.push(...(await consumer.poll(500, Math.min(200, Math.max(1, deadline - Date.now())))))
  }
  return all
}

/** Polls the consumers concurrently until `done()` or the deadline. */
export async function pollAllUntil(consumers: readonly GroupConsumer[], done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  await Promise.all(
    consumers.map(async (c) => {
      while (!done() && Date.now() < deadline) await c.poll(500, 100)
    }),
  )
}

/**
 * `it`, or, for a broker that lacks the capability, a test that must FAIL (`it.failing`) and says
 * why in its name: nothing is skipped silently, and the day the broker gains the capability the
 * test turns red, asking to be switched on.
 */
export function itIf(condition: boolean, reason: string): (name: string, fn: () => Promise<void>, timeout?: number) => void {
  return condition ? (name, fn, timeout) => it(name, fn, timeout) : (name, fn, timeout) => it.failing(`${name} [expected to fail: ${reason}]`, fn, timeout)
}

/** The broker under test, created once per contract describe block. */
export interface ContractContext {
  readonly capabilities: BrokerCapabilities
  /** Valid inside tests (created in beforeAll). */
  readonly current: () => BrokerUnderTest
}
