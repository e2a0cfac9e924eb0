import { StreamfoldError } from '../errors'
import type { DropReason } from '../processors/internal-context'
import type { RecordHeaders } from '../record-headers'
import type { Serde } from '../serdes/serde'
import type { BrokerRecord, OutgoingRecord, TopicPartitionOffset } from '../runtime/broker/broker'
import type { RecordCollector } from '../runtime/task/record-collector'
import type { RecordErrorHandlers } from '../runtime/task/record-error-handlers'
import { StreamTask } from '../runtime/task/stream-task'
import type { KeyValueStore } from '../state/key-value-store'
import type { SessionStore } from '../state/session-store'
import type { StoreSpec } from '../state/store-spec'
import { TaskStores } from '../state/task-stores'
import type { WindowStore } from '../state/window-store'
import type { Subtopology, Topology } from '../topology/topology'
import { InMemoryTopics } from './in-memory-topics'
import { GlobalState } from '../runtime/global/global-state'
import { FAIL_ON_ERRORS } from '../runtime/task/record-error-handlers'
import { keyValueView, windowView } from './store-views'
import { TestInputTopic, type InputPipe, type TestInputTopicOptions } from './test-input-topic'
import { TestOutputTopic, type OutputTap } from './test-output-topic'

export interface TopologyTestDriverOptions {
  readonly applicationId?: string
  /** Start of the mock wall clock; default: Date.now() when the driver is created. */
  readonly initialWallClockTimeMs?: number
  readonly errorHandlers?: RecordErrorHandlers
  /** Commit after every piped record, as Kafka Streams' driver does (default true). With false,
   *  call `commit()`; `simulateCrash()` then loses what was processed since the last commit. */
  readonly autoCommit?: boolean
}

export interface PersistentDriverOptions extends Omit<TopologyTestDriverOptions, 'autoCommit'> {
  /** Keep persistent stores in LevelDB under this directory (one database per task). */
  readonly stateDir: string
}

export interface SimulateCrashOptions {
  /** Crash in the middle of a commit: the changelog records of the uncommitted work are written
   *  but neither the input offsets nor the state are committed. Restore must skip them. */
  readonly midCommit?: boolean
  /** With a state directory: restart on it as it is (default), or on an empty one (`'wipe'`),
   *  so state comes back entirely from the changelogs. */
  readonly stateDir?: 'keep' | 'wipe'
}

interface DriverTask {
  readonly subtopology: Subtopology
  task: StreamTask
  stores: TaskStores
}

/**
 * Runs a topology with no broker, synchronously, for unit tests (Kafka Streams'
 * TopologyTestDriver). It drives the same StreamTask, nodes, processors and state stores the
 * runtime runs: every topic has one partition, so each sub-topology has one task (`<id>_0`), and
 * its stores live in memory, logged to in-memory changelog topics. A piped record is processed
 * to completion, then stream-time punctuators run, cached aggregations forward what they held
 * back (so every update is seen, as with Kafka Streams' driver) and the task commits; records written to a
 * topic the topology also reads (a repartition topic) are fed back in before pipe returns.
 * Wall-clock punctuators run only on `advanceWallClockTime`.
 */
export class TopologyTestDriver implements InputPipe, OutputTap {
  private readonly tasks: DriverTask[] = []
  private readonly taskByTopic = new Map<string, DriverTask>()
  private readonly topics = new InMemoryTopics()
  /** Input offsets committed per topic (the group's committed offsets, for restore). */
  private readonly committedOffsets = new Map<string, number>()
  private readonly applicationId: string
  private readonly autoCommit: boolean
  private wallClockMs: number
  private closed = false
  private readonly stateDir: string | undefined
  /** Global stores (GlobalKTable), in memory; a record piped to their topic is applied at once. */
  private readonly globals: GlobalState | undefined

  constructor(
    private readonly topology: Topology,
    private readonly options: TopologyTestDriverOptions = {},
    /** @internal tasks opened by create() */
    opened?: ReadonlyMap<number, TaskStores>,
    stateDir?: string,
  ) {
    this.wallClockMs = options.initialWallClockTimeMs ?? Date.now()
    this.applicationId = options.applicationId ?? 'topology-test-driver'
    this.stateDir = stateDir
    // LevelDB commits are asynchronous, so a driver on a state directory commits on commitAsync().
    this.autoCommit = stateDir === undefined && (options.autoCommit ?? true)
    this.globals =
      topology.globalStores.length === 0
        ? undefined
        : GlobalState.openInMemory({ applicationId: this.applicationId, specs: topology.globalStores, errorHandlers: options.errorHandlers ?? FAIL_ON_ERRORS })
    for (const subtopology of topology.subtopologies) {
      const stores = opened?.get(subtopology.id) ?? TaskStores.openInMemory(this.storesOptions(subtopology))
      const entry: DriverTask = { subtopology, stores, task: this.createTask(subtopology, stores) }
      this.tasks.push(entry)
      for (const topic of topology.inputTopics(subtopology, this.applicationId)) this.taskByTopic.set(topic, entry)
    }
    for (const { task } of this.tasks) task.init()
    this.runUntilIdle()
  }

  /**
   * A driver whose persistent stores live in LevelDB under `stateDir`, as in the runtime. Piping
   * stays synchronous; commits are explicit (`await commitAsync()`), and `simulateCrash` can
   * restart on the same directory (state from LevelDB plus the changelog tail) or a wiped one.
   */
  static async create(topology: Topology, options: PersistentDriverOptions): Promise<TopologyTestDriver> {
    const applicationId = options.applicationId ?? 'topology-test-driver'
    const opened = new Map<number, TaskStores>()
    for (const subtopology of topology.subtopologies) {
      const stores = await TaskStores.open({ ...storesOptionsOf(topology, subtopology, applicationId), stateDir: options.stateDir })
      await stores.restore({ reader: new InMemoryTopics(), committedOffsets: [] })
      opened.set(subtopology.id, stores)
    }
    return new TopologyTestDriver(topology, options, opened, options.stateDir)
  }

  createInputTopic<K, V>(name: string, keySerde: Serde<K>, valueSerde: Serde<V>, options: TestInputTopicOptions = {}): TestInputTopic<K, V> {
    if (!this.taskByTopic.has(name) && this.globals?.topics.includes(name) !== true) {
      const read = [...this.taskByTopic.keys(), ...(this.globals?.topics ?? [])]
      throw new StreamfoldError('TOPIC_NOT_FOUND', `The topology reads no topic named ${name} (it reads: ${read.join(', ')})`, {
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
    for (const { task } of this.tasks) {
      task.punctuateWallClock(this.wallClockMs)
      task.flushCaches()
    }
    this.runUntilIdle()
  }

  get wallClockTimeMs(): number {
    return this.wallClockMs
  }

  /** Topics the topology has written to so far (changelog topics included). */
  producedTopicNames(): string[] {
    return this.topics.producedTopicNames()
  }

  getKeyValueStore<K, V>(name: string): KeyValueStore<K, V> {
    const global = this.topology.globalStores.find((g) => g.store.name === name)
    if (global !== undefined) return keyValueView<K, V>(this.globals!.store(name) as KeyValueStore<K, unknown>, global.store)
    const { stores, spec } = this.storeEntry(name)
    return keyValueView<K, V>(stores.getKeyValueStore(name), spec)
  }

  getWindowStore<K, V>(name: string): WindowStore<K, V> {
    const { stores, spec } = this.storeEntry(name)
    return windowView<K, V>(stores.getWindowStore(name), spec)
  }

  getSessionStore<K, V>(name: string): SessionStore<K, V> {
    return this.storeEntry(name).stores.getSessionStore<K, V>(name)
  }

  /** Records built-in processors dropped (late records, null keys, ...), in all tasks. */
  droppedRecords(reason?: DropReason): number {
    let total = 0
    for (const { task } of this.tasks) {
      for (const [r, n] of task.droppedRecords) if (reason === undefined || r === reason) total += n
    }
    return total
  }

  /** Commits every task: changelog records out, state and input offsets committed. */
  commit(): void {
    this.assertOpen()
    if (this.stateDir !== undefined) {
      throw new StreamfoldError('ILLEGAL_STATE', 'A driver with a state directory commits with await commitAsync()')
    }
    for (const entry of this.tasks) this.commitTask(entry)
  }

  /** Commits every task, writing persistent stores to LevelDB. */
  async commitAsync(): Promise<void> {
    this.assertOpen()
    for (const entry of this.tasks) {
      const consumed = entry.task.consumedOffsets()
      const ends = this.publishChangelog(entry.stores.prepareCommit(consumed).changelogRecords)
      await entry.stores.commit({ changelogEndOffsets: ends })
      for (const { topic, offset } of consumed) this.committedOffsets.set(topic, offset)
    }
  }

  /**
   * Kills every task without committing, then starts them again: stores come back only from
   * their changelog topics, applying just what was committed (docs/state.md's restore rule).
   * Records processed since the last commit are lost, as their input would be re-delivered by a
   * real broker; pipe them again to continue.
   */
  async simulateCrash(crash: SimulateCrashOptions = {}): Promise<void> {
    this.assertOpen()
    for (const entry of this.tasks) {
      if (crash.midCommit === true) {
        for (const record of entry.stores.prepareCommit(entry.task.consumedOffsets()).changelogRecords) this.topics.append(record)
      }
      await entry.stores.close()
    }
    const committed: TopicPartitionOffset[] = [...this.committedOffsets].map(([topic, offset]) => ({ topic, partition: 0, offset }))
    for (const entry of this.tasks) {
      if (this.stateDir === undefined) {
        entry.stores = TaskStores.openInMemory(this.storesOptions(entry.subtopology))
      } else {
        const options = { ...this.storesOptions(entry.subtopology), stateDir: this.stateDir }
        if (crash.stateDir === 'wipe') await (await TaskStores.open(options)).wipe()
        entry.stores = await TaskStores.open(options)
      }
      await entry.stores.restore({ reader: this.topics, committedOffsets: committed })
      entry.task = this.createTask(entry.subtopology, entry.stores)
      entry.task.init()
    }
  }

  close(): void {
    void this.closeAsync()
  }

  /** Closes and waits for every task database to be closed (needed before reusing a state directory). */
  async closeAsync(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const { task, stores } of this.tasks) {
      task.close()
      await stores.close()
    }
    await this.globals?.close()
  }

  /** @internal */
  pipe(topic: string, key: Buffer | null, value: Buffer | null, timestamp: number, headers: RecordHeaders): void {
    this.assertOpen()
    const record = this.topics.append({ topic, partition: 0, key, value, timestamp, headers: headers.entries() })
    if (this.globals?.topics.includes(topic) === true) {
      this.globals.apply(record)
      this.globals.commitInMemory({ topic, partition: 0, offset: record.offset + 1 })
      return
    }
    this.enqueue(record)
    this.runUntilIdle()
  }

  /** @internal */
  readOutput(topic: string): BrokerRecord | undefined {
    return this.topics.readOutput(topic)
  }

  /** @internal */
  outputSize(topic: string): number {
    return this.topics.outputSize(topic)
  }

  private createTask(subtopology: Subtopology, stores: TaskStores): StreamTask {
    const collector: RecordCollector = {
      send: (record) => this.capture(record),
      partitionsFor: () => 1,
    }
    return new StreamTask({
      applicationId: this.applicationId,
      topology: this.topology,
      subtopology,
      partition: 0,
      collector,
      wallClock: () => this.wallClockMs,
      errorHandlers: this.options.errorHandlers,
      stores: (name) => stores.store(name),
      caching: (name) => stores.caching(name),
      globalStores: this.globals,
    })
  }

  private storesOptions(subtopology: Subtopology) {
    return storesOptionsOf(this.topology, subtopology, this.applicationId)
  }

  private storeEntry(name: string): { stores: TaskStores; spec: StoreSpec } {
    const entry = this.tasks.find((t) => t.subtopology.stores.includes(name))
    const spec = this.topology.store(name) as StoreSpec | undefined
    if (entry === undefined || spec === undefined) {
      throw new StreamfoldError('UNKNOWN_STATE_STORE', `The topology has no state store named "${name}" (it has: ${this.topology.stores.map((s) => s.name).join(', ') || 'none'})`, {
        store: name,
      })
    }
    return { stores: entry.stores, spec }
  }

  private capture(out: OutgoingRecord): void {
    const record = this.topics.append(out)
    this.topics.markOutput(record)
    if (this.taskByTopic.has(out.topic)) this.enqueue(record)
  }

  private enqueue(record: BrokerRecord): void {
    const entry = this.taskByTopic.get(record.topic)
    if (entry === undefined) return
    // A redelivered record the task already applied changes nothing (the dedup watermark).
    if (entry.stores.dedup.isApplied(record.topic, record.partition, record.offset)) return
    entry.task.enqueue([record])
  }

  /** Processes one record at a time across tasks; after each, stream-time punctuation and a commit. */
  private runUntilIdle(): void {
    let progressed = true
    while (progressed) {
      progressed = false
      for (const entry of this.tasks) {
        if (entry.task.process()) {
          entry.task.punctuateStreamTime()
          // Cached aggregations forward after every record, as in Kafka Streams' driver.
          entry.task.flushCaches()
          if (this.autoCommit) this.commitTask(entry)
          progressed = true
        }
      }
    }
  }

  private commitTask(entry: DriverTask): void {
    const consumed = entry.task.consumedOffsets()
    const ends = this.publishChangelog(entry.stores.prepareCommit(consumed).changelogRecords)
    entry.stores.commitInMemory({ changelogEndOffsets: ends })
    for (const { topic, offset } of consumed) this.committedOffsets.set(topic, offset)
  }

  /** Appends changelog records to their topics; returns each topic's new end offset. */
  private publishChangelog(records: readonly OutgoingRecord[]): TopicPartitionOffset[] {
    const ends = new Map<string, number>()
    for (const r of records) {
      const stored = this.topics.append(r)
      this.topics.markOutput(stored)
      ends.set(stored.topic, stored.offset + 1)
    }
    return [...ends].map(([topic, offset]) => ({ topic, partition: 0, offset }))
  }

  private assertOpen(): void {
    if (this.closed) throw new StreamfoldError('ILLEGAL_STATE', 'The TopologyTestDriver is closed')
  }
}

function storesOptionsOf(topology: Topology, subtopology: Subtopology, applicationId: string) {
  return {
    applicationId,
    taskId: `${subtopology.id}_0`,
    changelogPartition: 0,
    // Stores added with only a name (the low-level API's validation cases) cannot be instantiated.
    stores: subtopology.stores.map((name) => topology.store(name) as StoreSpec).filter((spec) => spec.kind !== undefined),
  }
}
