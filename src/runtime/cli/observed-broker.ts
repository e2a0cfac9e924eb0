/**
 * A Broker decorator the worker hands to its StreamsApp, to see through the Broker port what the
 * runtime does not report yet:
 *  - the app's producer, so dead letters are sent on it (in its transaction for exactly_once,
 *    flushed before the offset commit for at_least_once): DeadLetterSink wiring;
 *  - the group assignment (tasks on this instance, partitions for the lag probe);
 *  - commit timing: the broker-side commit (transaction commit with its offsets, or the offset
 *    commit), the part of a commit that waits on the broker.
 * Delete each piece once StreamsApp reports it through StreamsMetrics and connects the dead-letter
 * sink itself (docs/operations.md, "Metrics").
 */
import type {
  Broker,
  BrokerAdmin,
  BrokerProducer,
  GroupConsumer,
  GroupConsumerOptions,
  PartitionReader,
  ProducerOptions,
  RebalanceListener,
  TopicPartition,
  TopicPartitionOffset,
} from '../broker/broker'

export interface BrokerObserver {
  /** Partitions are about to be handed to the app: nothing of theirs has been processed yet. */
  beforeAssigned(partitions: readonly TopicPartition[]): Promise<void>
  /** The app created (or replaced) its producer. */
  onProducer(producer: BrokerProducer): void
  /** The partitions assigned to this instance changed. */
  onAssignment(partitions: readonly TopicPartition[]): void
  onCommit(durationMs: number, ok: boolean): void
}

export class ObservedBroker implements Broker {
  readonly kind: Broker['kind']
  private readonly inner = new WeakMap<GroupConsumer, GroupConsumer>()

  constructor(
    private readonly broker: Broker,
    private readonly observer: BrokerObserver,
  ) {
    this.kind = broker.kind
  }

  admin(): BrokerAdmin {
    return this.broker.admin()
  }

  reader(): PartitionReader {
    return this.broker.reader()
  }

  close(): Promise<void> {
    return this.broker.close()
  }

  consumer(options: GroupConsumerOptions): GroupConsumer {
    const consumer = this.broker.consumer(options)
    const assigned = new Map<string, TopicPartition>()
    const { observer } = this
    const publish = (): void => observer.onAssignment([...assigned.values()])
    const wrapped: GroupConsumer = {
      subscribe: (topics, listener) =>
        consumer.subscribe(topics, {
          onAssigned: async (partitions) => {
            await observer.beforeAssigned(partitions)
            await listener.onAssigned(partitions)
            for (const tp of partitions) assigned.set(key(tp), tp)
            publish()
          },
          onRevoked: async (partitions) => {
            await listener.onRevoked(partitions)
            for (const tp of partitions) assigned.delete(key(tp))
            publish()
          },
          onLost: async (partitions) => {
            await listener.onLost(partitions)
            for (const tp of partitions) assigned.delete(key(tp))
            publish()
          },
        } satisfies RebalanceListener),
      poll: (max, timeout) => consumer.poll(max, timeout),
      assignment: () => consumer.assignment(),
      pause: (partitions) => consumer.pause(partitions),
      resume: (partitions) => consumer.resume(partitions),
      seek: (position) => consumer.seek(position),
      commit: (offsets) => timed(observer, () => consumer.commit(offsets)),
      committed: (partitions) => consumer.committed(partitions),
      close: async () => {
        await consumer.close()
        assigned.clear()
        publish()
      },
    }
    this.inner.set(wrapped, consumer)
    return wrapped
  }

  producer(options?: ProducerOptions): BrokerProducer {
    const producer = this.broker.producer(options)
    const { observer } = this
    let commitStarted: number | undefined
    const wrapped: BrokerProducer = {
      connect: () => producer.connect(),
      send: (record) => producer.send(record),
      flush: () => producer.flush(),
      beginTransaction: () => producer.beginTransaction(),
      sendOffsetsToTransaction: (offsets: readonly TopicPartitionOffset[], consumer: GroupConsumer) => {
        commitStarted = performance.now()
        // The adapters need their own consumer object (group metadata), not our wrapper.
        return producer.sendOffsetsToTransaction(offsets, this.inner.get(consumer) ?? consumer)
      },
      commitTransaction: () => {
        const started = commitStarted ?? performance.now()
        commitStarted = undefined
        return timed(observer, () => producer.commitTransaction(), started)
      },
      abortTransaction: () => {
        commitStarted = undefined
        return producer.abortTransaction()
      },
      close: () => producer.close(),
    }
    observer.onProducer(wrapped)
    return wrapped
  }
}

async function timed(observer: BrokerObserver, action: () => Promise<void>, started = performance.now()): Promise<void> {
  try {
    await action()
  } catch (error) {
    observer.onCommit(performance.now() - started, false)
    throw error
  }
  observer.onCommit(performance.now() - started, true)
}

function key(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`
}
