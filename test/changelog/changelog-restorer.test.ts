import { restoreChangelogs, type RestoreListener, type RestoreTarget } from '../../src/changelog/changelog-restorer'
import { ChangelogRecordEncoder, type ChangelogEntry } from '../../src/changelog/changelog-record'
import type { PartitionReader, TopicPartitionOffset } from '../../src/runtime/broker/broker'
import { captureLogger } from '../state/support/capture-logger'
import { FakeChangelog } from '../state/support/fake-changelog'

const TOPIC = 'app-s-changelog'

class RecordingTarget implements RestoreTarget {
  readonly storeName = 's'
  readonly topic = TOPIC
  readonly partition = 0
  readonly chunks: { keys: string[]; nextOffset: number }[] = []
  constructor(readonly startOffset = 0) {}
  async applyChunk(entries: readonly ChangelogEntry[], nextOffset: number): Promise<void> {
    this.chunks.push({ keys: entries.map((e) => e.key.toString()), nextOffset })
  }
  get applied(): string[] {
    return this.chunks.flatMap((c) => c.keys)
  }
}

function produce(log: FakeChangelog, src: readonly TopicPartitionOffset[], keys: string[]): void {
  const encoder = new ChangelogRecordEncoder(src)
  log.append(keys.map((k) => encoder.record(TOPIC, 0, { key: Buffer.from(k), value: Buffer.from('v'), timestamp: 0 })))
}

describe('restoreChangelogs', () => {
  it('applies records whose every source position is committed, skips the rest, and still advances', async () => {
    const log = new FakeChangelog()
    produce(log, [{ topic: 'a', partition: 0, offset: 10 }, { topic: 'b', partition: 0, offset: 5 }], ['k1', 'k2'])
    produce(log, [{ topic: 'a', partition: 0, offset: 20 }, { topic: 'b', partition: 0, offset: 5 }], ['k3'])
    produce(log, [{ topic: 'c', partition: 0, offset: 1 }], ['k4']) // never committed on c
    log.append([{ topic: TOPIC, partition: 0, key: Buffer.from('k5'), value: null, timestamp: 0, headers: [] }]) // foreign: applied
    const target = new RecordingTarget()
    const [end] = await restoreChangelogs([target], {
      reader: log,
      committedOffsets: [
        { topic: 'a', partition: 0, offset: 10 },
        { topic: 'b', partition: 0, offset: 7 },
      ],
      logger: captureLogger(),
    })
    expect(target.applied).toEqual(['k1', 'k2', 'k5'])
    expect(end).toMatchObject({ startOffset: 0, endOffset: 5, applied: 3, skipped: 2 })
    expect(target.chunks.at(-1)!.nextOffset).toBe(5)
  })

  it('starts at the stored offset and hands over chunks no larger than maxBatchRecords', async () => {
    const log = new FakeChangelog()
    const src = [{ topic: 'a', partition: 0, offset: 1 }]
    produce(log, src, Array.from({ length: 1000 }, (_, i) => `k${i}`))
    // A reader that ignores maxBatchRecords: the restorer must still bound its chunks.
    const greedy: Pick<PartitionReader, 'readToEnd'> = {
      readToEnd: (from, onBatch) => log.readToEnd(from, onBatch, { maxBatchRecords: 10_000 }),
    }
    const target = new RecordingTarget(100)
    const events: string[] = []
    const listener: RestoreListener = {
      onRestoreStart: (e) => events.push(`start@${e.startOffset}`),
      onBatchRestored: (e) => events.push(`batch:${e.applied}->${e.batchEndOffset}`),
      onRestoreEnd: (e) => events.push(`end:${e.applied}:${e.recordsPerSecond > 0}`),
    }
    const logger = captureLogger()
    await restoreChangelogs([target], { reader: greedy, committedOffsets: src, maxBatchRecords: 256, listener, logger })
    expect(target.chunks.map((c) => c.keys.length)).toEqual([256, 256, 256, 132])
    expect(target.applied[0]).toBe('k100')
    expect(events).toEqual(['start@100', 'batch:256->356', 'batch:256->612', 'batch:256->868', 'batch:132->1000', 'end:900:true'])
    const line = logger.lines.find((l) => l.msg === 'state store restored')!
    expect(line.obj).toMatchObject({ store: 's', applied: 900, recordsPerSecond: expect.any(Number) })
  })

  it('stores the end offset when the log ends with records it cannot see (transaction markers)', async () => {
    const target = new RecordingTarget(3)
    const reader: Pick<PartitionReader, 'readToEnd'> = { readToEnd: async () => 5 }
    await restoreChangelogs([target], { reader, committedOffsets: [], logger: captureLogger() })
    expect(target.chunks).toEqual([{ keys: [], nextOffset: 5 }])
  })

  it('a changelog shorter than the stored offset means the local state cannot be trusted', async () => {
    const reader: Pick<PartitionReader, 'readToEnd'> = { readToEnd: async () => 2 }
    await expect(
      restoreChangelogs([new RecordingTarget(10)], { reader, committedOffsets: [], logger: captureLogger() }),
    ).rejects.toMatchObject({ code: 'TASK_CORRUPTED' })
  })

  it('wraps reader and target failures in RESTORE_FAILED with coordinates', async () => {
    const reader: Pick<PartitionReader, 'readToEnd'> = {
      readToEnd: async () => {
        throw new Error('broker gone')
      },
    }
    await expect(
      restoreChangelogs([new RecordingTarget()], { reader, committedOffsets: [], logger: captureLogger() }),
    ).rejects.toMatchObject({ code: 'RESTORE_FAILED', coordinates: { store: 's', topic: TOPIC, partition: 0 } })
  })

  it('ignores a listener that throws', async () => {
    const log = new FakeChangelog()
    produce(log, [], ['k'])
    const target = new RecordingTarget()
    const logger = captureLogger()
    const listener: RestoreListener = {
      onBatchRestored: () => {
        throw new Error('listener bug')
      },
    }
    await restoreChangelogs([target], { reader: log, committedOffsets: [], listener, logger })
    expect(target.applied).toEqual(['k'])
    expect(logger.lines.some((l) => l.level === 'warn')).toBe(true)
  })
})
