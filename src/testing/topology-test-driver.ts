import { StreamfoldError } from '../errors'
import type { RecordHeaders } from '../record-headers'
import type { Serde } from '../serdes/serde'
import type { BrokerRecord, OutgoingRecord } from '../runtime/broker/broker'
import type { RecordCollector } from '../runtime/task/record-collector'
import type { RecordErrorHandlers } from '../runtime/task/record-error-handlers'
import { StreamTask } from '../runtime/task/stream-task'
import type { Topology } from '../topology/topology'
import { TestInputTopic, type InputPipe, type TestInputTopicOptions } from './test-input-topic'
import { TestOutputTopic, type OutputTap } from './test-output-topic'

export interface TopologyTestDriverOptions {
  readonly applicationId?: string
  /** Start of the mock wall clock; default: Date.now() when the driver is created. */
  readonly initialWallClockTimeMs?: number
  readonly errorHandlers?: RecordErrorHandlers
}

/**
 * Runs a topology with no broker, synchronously, for unit tests (Kafka Streams'
 * TopologyTestDriver). It drives the same StreamTask, nodes and processors the runtime runs:
 * every topic has one partition, so each sub-topology has one task (`<id>_0`). A piped record
 * is processed to completion, then stream-time punctuators run; records written to a topic that
 * the topology also reads (e.g. a repartition topic) are fed back in before pipe returns.
 * Wall-clock punctuators run only on `advanceWallClockTime`.
 */
export class TopologyTestDriver implements InputPipe, OutputTap {
  private readonly tasks: StreamTask[] = []
  private readonly taskByTopic = new Map<string, StreamTask>()
  private readonly captured = new Map<string, { records: BrokerRecord[]; read: number }>()
  private readonly nextOffsets = new Map<string, number>()
  private wallClockMs: number
  private closed = false

  constructor(
    private readonly topology: Topology,
    options: TopologyTestDriverOptions = {},
  ) {
    this.wallClockMs = options.initialWallClockTimeMs ?? Date.now()
    const collector: RecordCollector = {
      send: (record) => this.capture(record),
      partitionsFor: () => 1,
    }
    const applicationId = options.applicationId ?? 'topology-test-driver'
    for (const subtopology of topology.subtopologies) {
      const task = new StreamTask({
        applicationId,
        topology,
        subtopology,
        partition: 0,
        collector,
        wallClock: () => this.wallClockMs,
        errorHandlers: options.errorHandlers,
      })
      this.tasks.push(task)
      for (const topic of topology.inputTopics(subtopology, applicationId)) this.taskByTopic.set(topic, task)
    }
    for (const task of this.tasks) task.init()
    this.runUntilIdle()
  }

  createInputTopic<K, V>(name: string, keySerde: Serde<K>, valueSerde: Serde<V>, options: TestInputTopicOptions = {}): TestInputTopic<K, V> {
    if (!this.taskByTopic.has(name)) {
      throw new StreamfoldError('TOPIC_NOT_FOUND', `The topology reads no topic named ${name} (it reads: ${[...this.taskByTopic.keys()].join(', ')})`, {
        topic: name,
      })
    }
    return new TestInputTopic(this, name, keySerde, valueSerde, this.wallClockMs, options)
  }

  createOutputTopic<K, V>(name: string, keySerde: Serde<K>, valueSerde: Serde<V>): TestOutputTopic<K, V> {
    return new TestOutputTopic(this, name, keySerde, valueSerde)
  }

  /** Moves the mock wall clock and runs the wall-clock punctuators that became due. */
  advanceWallClockTime(ms: number): void {
    this.assertOpen()
    this.wallClockMs += ms
    for (const task of this.tasks) task.punctuateWallClock(this.wallClockMs)
    this.runUntilIdle()
  }

  get wallClockTimeMs(): number {
    return this.wallClockMs
  }

  /** Topics the topology has written to so far. */
  producedTopicNames(): string[] {
    return [...this.captured.keys()]
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    for (const task of this.tasks) task.close()
  }

  /** @internal */
  pipe(topic: string, key: Buffer | null, value: Buffer | null, timestamp: number, headers: RecordHeaders): void {
    this.assertOpen()
    this.enqueue({ topic, partition: 0, offset: this.takeOffset(topic), timestamp, key, value, headers: headers.entries() })
    this.runUntilIdle()
  }

  /** @internal */
  readOutput(topic: string): BrokerRecord | undefined {
    const log = this.captured.get(topic)
    if (log === undefined || log.read >= log.records.length) return undefined
    return log.records[log.read++]
  }

  /** @internal */
  outputSize(topic: string): number {
    const log = this.captured.get(topic)
    return log === undefined ? 0 : log.records.length - log.read
  }

  private capture(out: OutgoingRecord): void {
    const record: BrokerRecord = { ...out, partition: 0, offset: this.takeOffset(out.topic) }
    let log = this.captured.get(out.topic)
    if (log === undefined) {
      log = { records: [], read: 0 }
      this.captured.set(out.topic, log)
    }
    log.records.push(record)
    if (this.taskByTopic.has(out.topic)) this.enqueue(record)
  }

  private enqueue(record: BrokerRecord): void {
    this.taskByTopic.get(record.topic)!.enqueue([record])
  }

  /** Processes one record at a time across tasks, with stream-time punctuation after each. */
  private runUntilIdle(): void {
    let progressed = true
    while (progressed) {
      progressed = false
      for (const task of this.tasks) {
        if (task.process()) {
          task.punctuateStreamTime()
          progressed = true
        }
      }
    }
  }

  private takeOffset(topic: string): number {
    const offset = this.nextOffsets.get(topic) ?? 0
    this.nextOffsets.set(topic, offset + 1)
    return offset
  }

  private assertOpen(): void {
    if (this.closed) throw new StreamfoldError('ILLEGAL_STATE', 'The TopologyTestDriver is closed')
  }
}
