import { TaskStores, type TaskStoresOptions } from '../../src/state/task-stores'
import { FakeChangelog } from './support/fake-changelog'
import { useTempDir } from './support/temp-dir'

describe('DedupStore', () => {
  const dir = useTempDir()
  const open = (extra: Partial<TaskStoresOptions> = {}): Promise<TaskStores> =>
    TaskStores.open({ applicationId: 'app', taskId: '0_1', stateDir: dir(), changelogPartition: 1, stores: [], ...extra })

  it('keeps the applied-offset watermark per input partition across restarts', async () => {
    const task = await open()
    expect(task.dedup.isApplied('in', 1, 0)).toBe(false)
    task.prepareCommit([{ topic: 'in', partition: 1, offset: 100 }])
    await task.commit({ appliedOffsets: [{ topic: 'in', partition: 1, offset: 90 }] })
    expect(task.dedup.appliedOffset('in', 1)).toBe(90)
    await task.close()
    const again = await open()
    expect(again.dedup.isApplied('in', 1, 89)).toBe(true)
    expect(again.dedup.isApplied('in', 1, 90)).toBe(false)
    expect(again.dedup.isApplied('other', 1, 0)).toBe(false)
    await again.close()
  })

  it('a commit never lowers the watermark: the state keeps the effects of the records below it', async () => {
    const task = await open()
    task.prepareCommit([{ topic: 'in', partition: 1, offset: 100 }])
    await task.commit()
    task.prepareCommit([{ topic: 'in', partition: 1, offset: 40 }, { topic: 'in', partition: 2, offset: 7 }])
    await task.commit()
    expect(task.dedup.appliedOffset('in', 1)).toBe(100)
    expect(task.dedup.appliedOffset('in', 2)).toBe(7)
    await task.close()
    const again = await open()
    expect(again.dedup.appliedOffset('in', 1)).toBe(100)
    expect(again.dedup.appliedOffset('in', 2)).toBe(7)
    await again.close()
  })

  it('the id window drops duplicates within its retention, even after losing the local state', async () => {
    const changelog = new FakeChangelog()
    const task = await open({ dedupIdRetentionMs: 1000 })
    expect(task.dedup.idWindowEnabled).toBe(true)
    expect(task.dedup.seen('req-1')).toBe(false)
    task.dedup.remember('req-1', 5000)
    expect(task.dedup.seen('req-1')).toBe(true)
    task.dedup.remember(Buffer.from('req-2'), 5500)
    const src = [{ topic: 'in', partition: 1, offset: 10 }]
    const ends = changelog.append(task.prepareCommit(src).changelogRecords)
    await task.commit({ changelogEndOffsets: ends })
    await task.wipe()

    const rebuilt = await open({ dedupIdRetentionMs: 1000 })
    expect(rebuilt.dedup.seen('req-1')).toBe(false)
    await rebuilt.restore({ reader: changelog, committedOffsets: src })
    expect(rebuilt.dedup.seen('req-1')).toBe(true)
    expect(rebuilt.dedup.seen('req-2')).toBe(true)
    rebuilt.dedup.remember('req-3', 6001) // stream time 6001: ids remembered at or before 5001 expire
    expect(rebuilt.dedup.seen('req-1')).toBe(false)
    expect(rebuilt.dedup.seen('req-2')).toBe(true)
    await rebuilt.close()
  })

  it('refuses id lookups when the id window is off', async () => {
    const task = await open()
    expect(() => task.dedup.seen('x')).toThrow(expect.objectContaining({ code: 'ILLEGAL_STATE' }))
    await task.close()
  })
})
