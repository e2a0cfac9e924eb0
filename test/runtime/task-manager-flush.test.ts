/**
 * TaskManager flushes cached aggregations before it commits, but only after settling a failed
 * at_least_once background commit: the flush runs downstream processors, sinks and store writes,
 * and Checkpoint's rule is that nothing runs on discarded state (settle rolls back first). The
 * Checkpoint and the task are stand-ins of our own; the order of calls is what is checked.
 */
import { TaskManager } from '../../src/runtime/task-manager'

function setup() {
  const log: string[] = []
  const checkpoint = {
    backgroundFailed: true, // a background commit failed (e.g. its LevelDB batch: stores dropped their buffers)
    settle: async () => (log.push('settle'), { ok: false, error: new Error('bg'), corrupted: [] }),
    commit: async () => (log.push('checkpoint.commit (settles first)'), { ok: true, committed: 0 }),
    startCommit: async () => (log.push('checkpoint.startCommit (settles first)'), undefined),
    rollBack: async () => void log.push('rollBack'),
    forget: () => undefined,
    rewind: () => undefined,
  }
  const tm = new TaskManager({ config: { metrics: undefined }, checkpoint, onRebalance: () => undefined, consumer: { assignment: () => [] }, logger: { info() {}, warn() {}, error() {} } } as never)
  const task = { id: '0_0', running: true, dirty: true, inputs: [], flushCaches: () => void log.push('flush'), close: async () => undefined }
  ;(tm as unknown as { tasks: Map<string, unknown> }).tasks.set(task.id, task)
  return { tm, log }
}

it.each(['commit', 'startCommit'] as const)('%s: a failed background commit is settled before anything is flushed', async (what) => {
  const { tm, log } = setup()
  await tm[what]().catch(() => undefined)
  // Settled and rolled back: nothing is flushed or committed on top of it.
  expect(log[0]).toBe('settle')
  expect(log).not.toContain('flush')
})

it('onRevoked: a failed background commit is settled before anything is flushed', async () => {
  const { tm, log } = setup()
  await tm.onRevoked([]).catch((e) => log.push(String(e)))
  expect(log[0]).toBe('settle')
  expect(log).not.toContain('flush')
})
