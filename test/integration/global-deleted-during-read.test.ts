/**
 * Records deleted from a global topic while the global store reads it (between the range check
 * and the read of a partition): the reader then starts at the new log start, so records the store
 * never applied are gone, a tombstone among them, and the row it deletes would stay for good.
 * Kafka Streams' global consumer has no offset reset and gets OffsetOutOfRange there; the store
 * must likewise be rebuilt (bootstrap) or the app stopped with STATE_CORRUPTED (background).
 * Real embedded broker and LevelDB; the deletion is made by the broker's admin right before the
 * real reader reads the partition.
 */
import { createEmbeddedBroker, type EmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import type { BrokerRecord, OutgoingRecord, PartitionReadOptions, TopicPartitionOffset } from '../../src/runtime/broker/broker'
import { GlobalState, type CatchUpSource } from '../../src/runtime/global/global-state'
import type { KeyValueStore } from '../../src/state/key-value-store'
import { FAIL_ON_ERRORS } from '../../src/runtime/task/record-error-handlers'
import { captureLogs } from '../observability/support/log-capture'
import { produce, tempDirs } from './support/app-test-kit'
import { customersJoinTopology } from './support/global-table-fixtures'

const tempDir = tempDirs()
const row = (key: string, value: string | null, partition: number): OutgoingRecord => ({
  topic: 'customers',
  key: Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  timestamp: 1,
  headers: [],
  partition,
})

describe('records deleted from a global topic while it is read', () => {
  let broker: EmbeddedBroker
  let globals: GlobalState
  let logs: ReturnType<typeof captureLogs>
  beforeEach(async () => {
    logs = captureLogs('debug')
    broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0 })
    await broker.admin().ensureTopics([{ name: 'customers', partitions: 2 }])
    globals = await GlobalState.open({ applicationId: 'global-deleted', specs: customersJoinTopology('leftJoin').globalStores, stateDir: tempDir(), errorHandlers: FAIL_ON_ERRORS, logger: logs.logger })
  })
  afterEach(async () => {
    await globals.close()
    await broker.close()
  })

  /** The real reader; `before` runs once, right before partition 1 is read. */
  function source(before?: () => Promise<void>): CatchUpSource {
    const reader = broker.reader()
    let pending = before
    return {
      reader: {
        readToEnd: async (start: TopicPartitionOffset, onBatch: (records: readonly BrokerRecord[]) => Promise<void> | void, options?: PartitionReadOptions) => {
          if (start.partition === 1 && pending !== undefined) {
            const run = pending
            pending = undefined
            await run()
          }
          return reader.readToEnd(start, onBatch, options)
        },
      },
      offsets: broker.admin(),
      partitions: new Map([['customers', 2]]),
      isolationLevel: 'read_uncommitted',
    }
  }

  async function rows(): Promise<Record<string, string>> {
    const out: Record<string, string> = {}
    for await (const { key, value } of (globals.store('customers') as KeyValueStore<string, { value: string }>).all()) out[key] = value.value
    return out
  }

  /** a, b on partition 1 applied; then a's tombstone and c written, and the deletion of a, b and the tombstone. */
  async function tombstoneDeletedUnread(): Promise<CatchUpSource> {
    await produce(broker, [row('x', 'x1', 0), row('a', 'a1', 1), row('b', 'b1', 1)])
    await globals.catchUp(source(), 'bootstrap')
    expect(await rows()).toEqual({ x: 'x1', a: 'a1', b: 'b1' })
    await produce(broker, [row('a', null, 1), row('c', 'c1', 1)])
    return source(() => broker.admin().deleteRecords([{ topic: 'customers', partition: 1, offset: 3 }]))
  }

  it('at bootstrap: the store is wiped and read again, so the deleted tombstone leaves no stale row', async () => {
    const racing = await tombstoneDeletedUnread()
    await globals.catchUp(racing, 'bootstrap')
    expect(await rows()).toEqual({ x: 'x1', c: 'c1' })
    expect(globals.nextOffset('customers', 1)).toBe(4)
    expect(logs.lines.filter((l) => String(l.msg).includes('deleted while they were read'))).toHaveLength(1)
  })

  it('in the background: the catch-up fails with STATE_CORRUPTED (the restart wipes)', async () => {
    const racing = await tombstoneDeletedUnread()
    await expect(globals.catchUp(racing, 'background')).rejects.toMatchObject({ code: 'STATE_CORRUPTED' })
  })

  it('a partition never read before whose head is deleted just before it is read starts at the new log start, with no rebuild', async () => {
    await produce(broker, [row('x', 'x1', 0), row('a', 'a1', 1), row('b', 'b1', 1), row('c', 'c1', 1)])
    const racing = source(() => broker.admin().deleteRecords([{ topic: 'customers', partition: 1, offset: 2 }]))
    expect(await globals.catchUp(racing, 'bootstrap')).toBe(2)
    expect(await rows()).toEqual({ x: 'x1', c: 'c1' })
    expect(logs.lines.filter((l) => (l.level as number) >= 40)).toEqual([])
  })

  it('records deleted after they were read are no reason to rebuild', async () => {
    await produce(broker, [row('a', 'a1', 1), row('b', 'b1', 1)])
    await globals.catchUp(source(), 'bootstrap')
    await produce(broker, [row('a', 'a2', 1)])
    // Deleted once the partition has been read: nothing was missed.
    const reader = broker.reader()
    const after: CatchUpSource = {
      ...source(),
      reader: {
        readToEnd: async (start, onBatch, options) => {
          const reached = await reader.readToEnd(start, onBatch, options)
          if (start.partition === 1) await broker.admin().deleteRecords([{ topic: 'customers', partition: 1, offset: 3 }])
          return reached
        },
      },
    }
    expect(await globals.catchUp(after, 'background')).toBe(1)
    expect(await rows()).toEqual({ a: 'a2', b: 'b1' })
  })
})
