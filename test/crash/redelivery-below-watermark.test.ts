/**
 * at_least_once, a crash between the LevelDB write (step 3) and the offset commit (step 4): the
 * restarted app is redelivered records whose effects are already in the state, and the
 * applied-offset watermark drops them. Commits made while only part of that redelivered range has
 * been fetched must not lower the watermark: a second crash would then let the records above the
 * lowered watermark change the state twice (found by test/crash/random-sigkill.test.ts under load,
 * where the first commit after a restart comes right after the first poll).
 *
 * Deterministic: run 1 commits once after a long interval and dies before step 4; run 2 reads
 * 10 records per poll and commits after every poll, dying before step 1 of its second commit;
 * run 3 goes to the end.
 */
import path from 'node:path'
import { createEmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import type { TopicPartition } from '../../src/runtime/broker/broker'
import type { StoreSpec } from '../../src/state/store-spec'
import { TaskStores } from '../../src/state/task-stores'
import { countTopology, keyedInput, latestCounts, readTopic, referenceCounts, storeCounts, tempDirs } from '../integration/support/app-test-kit'
import { prepareBroker, runToEnd, startWorker } from './support/worker'

jest.setTimeout(120_000)
const tempDir = tempDirs()
const PARTITIONS = 3

interface TaskProgress {
  /** The task's stored applied-offset watermark. */
  readonly applied: number | undefined
  /** Records counted in its store: the number of input records below the watermark when right. */
  readonly counted: number
  readonly groupCommitted: number | undefined
}

it('at_least_once: commits while skipping redelivered records never lower the applied watermark', async () => {
  const dir = tempDir('watermark')
  const input = keyedInput('in', 12_000, 60, 11)
  const args = {
    brokerDir: path.join(dir, 'broker'),
    stateDir: path.join(dir, 'state'),
    applicationId: 'watermark',
    guarantee: 'at_least_once' as const,
    partitions: PARTITIONS,
    throttleEvery: 5,
  }
  await prepareBroker(args.brokerDir, PARTITIONS, input)

  // Run 1: state and watermark written (step 3), offsets never committed (killed before step 4).
  const first = startWorker({ ...args, untilDone: true, commitIntervalMs: 1_500, killAtStep: 4, killAtCommit: 1 })
  expect(await first.exited).toBe('SIGKILL')
  const afterCrash = await progress(args)
  for (const task of afterCrash) {
    expect(task.applied).toBeGreaterThanOrEqual(100) // a long redelivered range: many polls of 10
    expect(task.groupCommitted ?? 0).toBeLessThan(task.applied!)
    expect(task.counted).toBe(task.applied)
  }

  // Run 2: its first commit happens after one poll of 10 records, deep inside the redelivered range.
  const second = startWorker({ ...args, untilDone: true, commitIntervalMs: 1, maxBatchRecords: 10, killAtStep: 1, killAtCommit: 2 })
  expect(await second.exited).toBe('SIGKILL')
  const afterSkipping = await progress(args)
  afterSkipping.forEach((task, partition) => {
    const before = afterCrash[partition]!
    expect({ partition, applied: task.applied, counted: task.counted }).toEqual({ partition, applied: before.applied, counted: before.counted })
    expect(task.groupCommitted ?? 0).toBeLessThanOrEqual(task.applied!)
  })

  await runToEnd({ ...args, commitIntervalMs: 50 })
  const reference = referenceCounts(input)
  expect(await storeCounts(countTopology(), args.applicationId, args.stateDir, PARTITIONS)).toEqual(reference)
  const broker = await createEmbeddedBroker({ dataDir: args.brokerDir, cleanerIntervalMs: 0 })
  try {
    expect(latestCounts(await readTopic(broker, 'counts', 'read_committed'))).toEqual(reference)
  } finally {
    await broker.close()
  }
})

/** Per task (= input partition): its stored watermark, what its store counted, the group's offset. */
async function progress(args: { brokerDir: string; stateDir: string; applicationId: string }): Promise<TaskProgress[]> {
  const broker = await createEmbeddedBroker({ dataDir: args.brokerDir, cleanerIntervalMs: 0 })
  let committed: { partition: number; offset: number }[]
  try {
    const partitions: TopicPartition[] = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: 'in', partition }))
    committed = await broker.admin().committedOffsets(args.applicationId, partitions)
  } finally {
    await broker.close()
  }
  const out: TaskProgress[] = []
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const stores = await TaskStores.open({
      applicationId: args.applicationId,
      taskId: `0_${partition}`,
      stateDir: args.stateDir,
      changelogPartition: partition,
      stores: countTopology().stores as StoreSpec[],
    })
    try {
      let counted = 0
      for await (const { value } of stores.getKeyValueStore<string, { value: number }>('counts-store').all()) counted += value.value
      out.push({ applied: stores.dedup.appliedOffset('in', partition), counted, groupCommitted: committed.find((c) => c.partition === partition)?.offset })
    } finally {
      await stores.close()
    }
  }
  return out
}
