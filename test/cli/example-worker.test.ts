/**
 * README command 1's worker (examples/main.ts through `streamfold run`): it generates page views,
 * prints per-page counts, tells how to stop, and after kill -9 and a restart the counts carry on
 * from the committed state instead of starting over.
 */
import path from 'node:path'
import { attach } from '../../examples/main'
import type { AttachHook } from '../../src/runtime/cli/worker-module'
import { startCli, tempDirs } from './support/cli-process'
import { workerDirs } from './support/worker-kit'

const tempDir = tempDirs()
jest.setTimeout(120_000)

// The example types its worker structurally (the package does not export the type): it must fit.
const hook: AttachHook = attach
void hook

const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'main.ts')

/** The counts of the last "views per page" line printed, by page. */
function lastCounts(stdout: string): Map<string, number> {
  const lines = stdout.split('\n').filter((l) => l.startsWith('  views per page: ') && !l.includes('(none yet)'))
  const last = lines.at(-1)
  if (last === undefined) return new Map()
  return new Map(last.slice('  views per page: '.length).split(' | ').map((part) => {
    const at = part.lastIndexOf(' ')
    return [part.slice(0, at), Number(part.slice(at + 1))] as const
  }))
}

async function countsPrinted(run: ReturnType<typeof startCli>, times: number): Promise<Map<string, number>> {
  for (let seen = 0; seen < times; ) {
    await run.waitForLine(() => run.stdout().split('\n').filter((l) => l.startsWith('  views per page: ') && !l.includes('(none yet)')).length > seen, 30_000)
    seen++
  }
  return lastCounts(run.stdout())
}

it('prints progress, per-page counts and how to stop; after kill -9 the counts continue', async () => {
  const dirs = workerDirs(tempDir('example'))
  const first = startCli(['run', EXAMPLE, ...dirs.flags, '--log-format', 'json'])
  const before = await countsPrinted(first, 2)
  expect(first.stdout()).toContain('Stop with Ctrl-C: the worker commits and exits. Start it again (npm start) and the counts continue where they stopped')
  expect(first.stdout()).toMatch(/\d\d:\d\d:\d\d RUNNING: processed \d+ \(\d+\/s\), lag \d+, dead letters \d+/)
  expect([...before.keys()].every((page) => ['/', '/pricing', '/docs', '/checkout', '/login'].includes(page))).toBe(true)
  const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0)
  expect(total(before)).toBeGreaterThan(0)
  first.child.kill('SIGKILL')
  await first.exited

  const second = startCli(['run', EXAMPLE, ...dirs.flags, '--log-format', 'json'])
  const after = await countsPrinted(second, 1)
  // The first report after the restart already includes everything counted before the kill.
  expect(total(after)).toBeGreaterThan(total(before))
  for (const [page, n] of before) expect(after.get(page) ?? 0).toBeGreaterThanOrEqual(n)
  second.child.kill('SIGINT')
  expect(await second.exited).toBe(0)
  expect(second.stdout()).toMatch(/Generated \d+ page views in this run\./)
})
