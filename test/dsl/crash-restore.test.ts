import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Serdes, SessionWindows, StreamBuilder, TimeWindows } from 'streamfold'
import { TopologyTestDriver } from 'streamfold/testing'

const str = Serdes.string()

/** A topology with one store of each kind, fed by the same stream. */
function topology() {
  const b = new StreamBuilder()
  const grouped = b.stream('events', { key: str, value: str }).groupByKey()
  grouped.count({ name: 'kv-counts' })
  grouped.windowedBy(TimeWindows.ofSizeAndGrace(100, 1_000)).count({ name: 'window-counts' })
  grouped.windowedBy(SessionWindows.ofInactivityGapAndGrace(30, 1_000)).count({ name: 'session-counts' })
  return b.build()
}

function events(n: number, seed: number): Array<[string, number]> {
  let s = seed
  return Array.from({ length: n }, (_, i) => {
    s = (s * 48271) % 2147483647
    return [`key-${s % 7}`, i * 10 + (s % 5)]
  })
}

async function snapshot(d: TopologyTestDriver) {
  const kv: Record<string, number | undefined> = {}
  const windows: Record<string, unknown> = {}
  const sessions: Record<string, unknown> = {}
  for (let k = 0; k < 7; k++) {
    const key = `key-${k}`
    kv[key] = d.getKeyValueStore<string, number>('kv-counts').get(key)
    windows[key] = d.getWindowStore<string, number>('window-counts').fetch(key, 0, 1_000_000)
    sessions[key] = d.getSessionStore<string, number>('session-counts').fetch(key).map((s) => [s.key.window.start, s.key.window.end, s.value])
  }
  return { kv, windows, sessions }
}

describe('state survives a crash through the changelog (TopologyTestDriver)', () => {
  test('KV, window and session stores after crash + restore equal the state before', async () => {
    const d = new TopologyTestDriver(topology(), { initialWallClockTimeMs: 0 })
    const input = d.createInputTopic('events', str, str)
    for (const [key, t] of events(300, 11)) input.pipeInput(key, 'x', t)
    const before = await snapshot(d)
    expect(Object.values(before.kv).reduce((a, b) => (a ?? 0) + (b ?? 0), 0)).toBe(300)
    expect(d.producedTopicNames()).toEqual(
      expect.arrayContaining([
        'topology-test-driver-kv-counts-changelog',
        'topology-test-driver-window-counts-changelog',
        'topology-test-driver-session-counts-changelog',
      ]),
    )
    await d.simulateCrash()
    expect(await snapshot(d)).toEqual(before)
    // and processing goes on from there
    input.pipeInput('key-0', 'x', 5_000)
    expect(d.getKeyValueStore<string, number>('kv-counts').get('key-0')).toBe((before.kv['key-0'] ?? 0) + 1)
    d.close()
  })

  test('a crash in the middle of a commit: changelog records of the uncommitted batch are not applied on restore', async () => {
    const d = new TopologyTestDriver(topology(), { initialWallClockTimeMs: 0, autoCommit: false })
    const input = d.createInputTopic('events', str, str)
    const all = events(200, 5)
    for (const [key, t] of all.slice(0, 120)) input.pipeInput(key, 'x', t)
    d.commit()
    const committed = await snapshot(d)
    for (const [key, t] of all.slice(120)) input.pipeInput(key, 'x', t)
    const uncommitted = await snapshot(d)
    expect(uncommitted).not.toEqual(committed)
    await d.simulateCrash({ midCommit: true }) // the half batch's changelog records are in the topic
    expect(await snapshot(d)).toEqual(committed)
    // A real broker would redeliver the uncommitted input: piping it again converges on the full state.
    for (const [key, t] of all.slice(120)) input.pipeInput(key, 'x', t)
    d.commit()
    expect(await snapshot(d)).toEqual(uncommitted)
    d.close()
  })

  test('a crash without commit loses only uncommitted work', async () => {
    const d = new TopologyTestDriver(topology(), { initialWallClockTimeMs: 0, autoCommit: false })
    const input = d.createInputTopic('events', str, str)
    input.pipeInput('key-1', 'x', 1)
    d.commit()
    input.pipeInput('key-1', 'x', 2)
    await d.simulateCrash()
    expect(d.getKeyValueStore<string, number>('kv-counts').get('key-1')).toBe(1)
    d.close()
  })
})

describe('a driver on a state directory (LevelDB stores)', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'streamfold-ttd-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  test.each(['keep', 'wipe'] as const)('restart on the %s state directory restores every store kind to the committed state', async (mode) => {
    const d = await TopologyTestDriver.create(topology(), { initialWallClockTimeMs: 0, stateDir: dir })
    const input = d.createInputTopic('events', str, str)
    const all = events(250, 3)
    for (const [key, t] of all.slice(0, 200)) input.pipeInput(key, 'x', t)
    await d.commitAsync()
    const committed = await snapshot(d)
    expect(readdirSync(join(dir, 'topology-test-driver')).sort()).toEqual(['0_0'])
    for (const [key, t] of all.slice(200)) input.pipeInput(key, 'x', t) // processed, never committed
    expect(await snapshot(d)).not.toEqual(committed)
    await d.simulateCrash({ stateDir: mode })
    expect(await snapshot(d)).toEqual(committed)
    expect(() => d.commit()).toThrow(/commitAsync/)
    await d.closeAsync()
  })
})
