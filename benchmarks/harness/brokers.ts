/**
 * Brokers for benchmark runs, all behind streamfold's Broker port:
 * - embedded: a seeded durable broker directory (made once per case by `seedEmbedded`) copied
 *   for each run, so every run starts from identical bytes on disk;
 * - mock: streamfold's Kafka adapter on librdkafka's mock cluster that the parent runs and seeds.
 * `observe` watches a broker's clients from outside (their own methods wrapped on the instance,
 * so identity checks such as the embedded producer's `instanceof EmbeddedConsumer` still hold).
 */
import { cpSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import type { Broker, BrokerRecord, GroupConsumer, BrokerProducer, TopicPartitionOffset } from '../../src/runtime/broker/broker'
import { createEmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import { KafkaBroker } from '../../src/runtime/broker/kafka/kafka-broker'
import { tableRows, type Dataset } from './data'
import type { RunParams } from './protocol'

export const GROUP_TIMING = { sessionTimeoutMs: 3_000, heartbeatIntervalMs: 300 } as const

/** The run's broker: a fresh copy of the embedded template, or the adapter on the mock cluster. */
export async function openBroker(params: RunParams): Promise<Broker> {
  if (params.broker === 'mock') {
    if (params.bootstrapServers === undefined) throw new Error('mock broker run without bootstrapServers')
    return new KafkaBroker({ bootstrapServers: params.bootstrapServers, topicCreation: 'auto', operationTimeoutMs: 15_000 })
  }
  if (params.inMemoryBroker === true) {
    // Diagnostic: the same broker without storage I/O (topics made here, no seeded data).
    const broker = await createEmbeddedBroker({ inMemory: true })
    const names = [params.inputTopic, params.outputTopic].filter((t): t is string => t !== undefined)
    await broker.admin().ensureTopics(names.map((name) => ({ name, partitions: params.partitions ?? 16 })))
    return broker
  }
  if (params.brokerTemplate === undefined) throw new Error('embedded broker run without a template')
  const dataDir = path.join(params.workDir, 'broker')
  cpSync(params.brokerTemplate, dataDir, { recursive: true })
  return createEmbeddedBroker({ dataDir, ...(process.env.BENCH_NO_SYNC === '1' ? { syncAcknowledgedWrites: false } : {}) })
}

export interface SeedTopics {
  readonly input: string
  readonly partitions: number
  /** Other topics to create empty with the same partition count (sinks). */
  readonly others: readonly string[]
  /** A compacted topic to fill with the join cases' table (one row per key). */
  readonly table?: string
}

/** Writes the dataset to `input` of a new durable embedded broker in `dir` (key-partitioned). */
export async function seedEmbedded(dir: string, data: Dataset, topics: SeedTopics): Promise<void> {
  mkdirSync(dir, { recursive: true })
  const broker = await createEmbeddedBroker({ dataDir: dir, cleanerIntervalMs: 0 })
  try {
    await broker.admin().ensureTopics([topics.input, ...topics.others].map((name) => ({ name, partitions: topics.partitions })))
    const producer = broker.producer()
    await producer.connect()
    await sendAll(producer, data, topics.input)
    if (topics.table !== undefined) {
      await broker.admin().ensureTopics([{ name: topics.table, partitions: topics.partitions, config: { 'cleanup.policy': 'compact' } }])
      for (const row of tableRows(data)) producer.send({ topic: topics.table, key: row.key, value: row.value, timestamp: row.timestamp, headers: [] })
      await producer.flush()
    }
    await producer.close()
  } finally {
    await broker.close()
  }
}

/** Sends the dataset in order, flushing every 20k records (bounded memory). */
export async function sendAll(producer: BrokerProducer, data: Dataset, topic: string): Promise<void> {
  for (let i = 0; i < data.count; i++) {
    producer.send({ topic, key: data.keyOf(i), value: data.valueOf(i), timestamp: data.timestampOf(i), headers: [] })
    if ((i + 1) % 20_000 === 0) await producer.flush()
  }
  await producer.flush()
}

export interface Observer {
  /** performance.now() of the first poll that returned records; undefined before. */
  firstRecordAt: number | undefined
  /** performance.now() when the last poll that returned records returned. */
  lastRecordAt: number | undefined
  /** Commits (offset commit for at_least_once, transaction commit for exactly_once) completed. */
  commits: number
  /** Wall time spent inside poll() / inside commit calls (flush, commit, commitTransaction,
   *  sendOffsetsToTransaction) since the first record: where a run waits rather than computes. */
  pollMs: number
  /** Polls since the first record, and how many returned records. */
  polls: number
  nonEmptyPolls: number
  commitCallMs: number
  /** Wall time per client call name (commitTransaction, flush, endOffsets, ...) since the first record. */
  readonly callMs: Map<string, number>
  /** Called once, synchronously, when the first poll returns records (the window's start). */
  onFirstRecord: (() => void) | undefined
  /**
   * Resolves with the time of the first commit that completes with committed offsets covering
   * `count` records of `topic` (offsets summed over its partitions; the seeded input starts at 0 and
   * has no control records). That is when every input's results are durable: at_least_once commits
   * offsets only after the outputs are flushed, exactly_once commits them in the outputs'
   * transaction. The offsets, not the outputs sent, decide: a background at_least_once commit
   * started before the last outputs were sent does not cover them.
   */
  inputCommitted(topic: string, count: number): Promise<number>
}

/**
 * Wraps the clients a broker hands out so a run can see, without touching the runtime, when the
 * first record arrived, how many records went to each topic and when a commit completed.
 */
export function observe(broker: Broker): Observer {
  const waiters: Array<{ topic: string; count: number; resolve: (t: number) => void }> = []
  const observer: Observer = {
    firstRecordAt: undefined,
    lastRecordAt: undefined,
    commits: 0,
    pollMs: 0,
    polls: 0,
    nonEmptyPolls: 0,
    commitCallMs: 0,
    callMs: new Map(),
    onFirstRecord: undefined,
    inputCommitted(topic, count) {
      return new Promise((resolve) => waiters.push({ topic, count, resolve }))
    },
  }
  /** Committed offset per partition, by topic. */
  const committedOffsets = new Map<string, Map<number, number>>()
  /** Offsets sent to the open transaction: committed with it, dropped if it aborts. */
  let inTransaction: readonly TopicPartitionOffset[] = []
  const committed = (offsets: readonly TopicPartitionOffset[]): void => {
    observer.commits++
    const now = performance.now()
    for (const { topic, partition, offset } of offsets) {
      let byPartition = committedOffsets.get(topic)
      if (byPartition === undefined) committedOffsets.set(topic, (byPartition = new Map()))
      byPartition.set(partition, offset)
    }
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i]!
      let covered = 0
      for (const offset of committedOffsets.get(w.topic)?.values() ?? []) covered += offset
      if (covered >= w.count) {
        waiters.splice(i, 1)
        w.resolve(now)
      }
    }
  }
  // Calls nest (the Kafka producer's commitTransaction flushes first): commitCallMs counts only
  // the outermost one, callMs every one by name.
  let depth = 0
  const timed = async <T>(name: string, call: () => Promise<T>, commitPart = true): Promise<T> => {
    const started = performance.now()
    if (commitPart) depth++
    try {
      return await call()
    } finally {
      if (commitPart) depth--
      if (observer.firstRecordAt !== undefined) {
        const ms = performance.now() - started
        if (commitPart && depth === 0) observer.commitCallMs += ms
        observer.callMs.set(name, (observer.callMs.get(name) ?? 0) + ms)
      }
    }
  }
  const makeAdmin = broker.admin.bind(broker)
  broker.admin = () => {
    const admin = makeAdmin()
    const endOffsets = admin.endOffsets.bind(admin)
    admin.endOffsets = (partitions, isolation) => timed('endOffsets', () => endOffsets(partitions, isolation), false)
    return admin
  }
  const makeConsumer = broker.consumer.bind(broker)
  broker.consumer = (options) => {
    const consumer: GroupConsumer = makeConsumer(options)
    const poll = consumer.poll.bind(consumer)
    consumer.poll = async (max, timeout) => {
      const started = performance.now()
      const records: BrokerRecord[] = await poll(max, timeout)
      if (observer.firstRecordAt !== undefined) {
        observer.pollMs += performance.now() - started
        observer.polls++
        if (records.length > 0) {
          observer.nonEmptyPolls++
          observer.lastRecordAt = performance.now()
        }
      }
      if (records.length > 0 && observer.firstRecordAt === undefined) {
        observer.firstRecordAt = performance.now()
        observer.onFirstRecord?.()
      }
      return records
    }
    const commit = consumer.commit.bind(consumer)
    consumer.commit = async (offsets) => {
      await timed('consumer.commit', () => commit(offsets))
      committed(offsets)
    }
    return consumer
  }
  const makeProducer = broker.producer.bind(broker)
  broker.producer = (options) => {
    // send() is not wrapped: a wrapper per record would cost the candidate alone (~3% of its window).
    const producer: BrokerProducer = makeProducer(options)
    const commitTransaction = producer.commitTransaction.bind(producer)
    producer.commitTransaction = async () => {
      const offsets = inTransaction
      inTransaction = []
      await timed('commitTransaction', commitTransaction)
      committed(offsets)
    }
    const abortTransaction = producer.abortTransaction.bind(producer)
    producer.abortTransaction = () => {
      inTransaction = []
      return abortTransaction()
    }
    const flush = producer.flush.bind(producer)
    producer.flush = () => timed('flush', flush)
    const sendOffsets = producer.sendOffsetsToTransaction.bind(producer)
    producer.sendOffsetsToTransaction = (offsets, consumer) => {
      inTransaction = [...inTransaction, ...offsets]
      return timed('sendOffsetsToTransaction', () => sendOffsets(offsets, consumer))
    }
    return producer
  }
  return observer
}
