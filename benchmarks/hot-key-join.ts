/**
 * A stream-stream join on one hot key, against the same join with its keys spread: what a key
 * with many records in the join's stores costs per record. It runs the join's real path (the
 * TopologyTestDriver on a LevelDB state directory: the runtime's tasks, processors and stores),
 * committing every `--commit-every` records, as the runtime commits every interval.
 *
 * Records 1 ms apart alternate between the left and right stream, 100-byte values. The join
 * window is 1 ms and the grace makes each side's store hold `--held` records (retention 2 x held
 * ms, a side's records 2 ms apart), so each record finds about one match but its key's index
 * lists `--held` items in the hot case (one key) and held / `--keys` in the spread one. The first
 * 2 x held records fill the stores; the figures are for the `--records` after them.
 *
 *   node -r ./test/support/ts-register.js benchmarks/hot-key-join.ts [--held 10000]
 *     [--records 10000] [--commit-every 1000] [--keys 1000] [--case hot,spread]
 *
 * It uses only the public API and the driver, so it runs unchanged in an older checkout (copy it
 * there, node_modules linked) for before/after figures.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { JoinWindows, Serdes, StreamBuilder } from '../src/index'
import { TopologyTestDriver } from '../src/testing'

type Case = 'hot' | 'spread'

function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`)
  return i < 0 ? undefined : argv[i + 1]
}

interface Phase {
  readonly usPerRecord: number
  readonly cpuUsPerRecord: number
}

async function run(kase: Case, held: number, records: number, commitEvery: number, keys: number): Promise<Record<string, unknown>> {
  const str = Serdes.string()
  const b = new StreamBuilder()
  const left = b.stream('left', { key: str, value: str })
  const right = b.stream('right', { key: str, value: str })
  left
    .join(right, (l, r) => l.length + r.length, JoinWindows.ofTimeDifferenceAndGrace(1, 2 * held), { name: 'j' })
    .to('out', { key: str, value: Serdes.int32() })
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'streamfold-hot-key-join-'))
  const driver = await TopologyTestDriver.create(b.build(), { stateDir, initialWallClockTimeMs: 0 })
  const inputs = [driver.createInputTopic('left', str, str), driver.createInputTopic('right', str, str)] as const
  const out = driver.createOutputTopic('out', str, Serdes.int32())
  const value = 'v'.repeat(100)
  let joined = 0
  const phase = async (from: number, to: number): Promise<Phase> => {
    const cpu = process.cpuUsage()
    const started = performance.now()
    for (let i = from; i < to; i++) {
      // The spread case gives a left record and the right one after it the same key, so both
      // cases find about one match per record.
      const key = kase === 'hot' ? 'hot' : `k${Math.floor(i / 2) % keys}`
      inputs[i % 2]!.pipeInput(key, value, i)
      if ((i + 1) % commitEvery === 0) {
        await driver.commitAsync()
        joined += out.getQueueSize()
        out.readRecordsToList()
      }
    }
    await driver.commitAsync()
    joined += out.getQueueSize()
    out.readRecordsToList()
    const used = process.cpuUsage(cpu)
    const n = to - from
    return {
      usPerRecord: Math.round(((performance.now() - started) * 10_000) / n) / 10,
      cpuUsPerRecord: Math.round(((used.user + used.system) * 10) / n) / 10,
    }
  }
  try {
    const fill = await phase(0, 2 * held)
    const steady = await phase(2 * held, 2 * held + records)
    return { bench: 'hot-key-join', case: kase, held, records, commitEvery, keys: kase === 'hot' ? 1 : keys, fill, steady, joined }
  } finally {
    await driver.closeAsync()
    rmSync(stateDir, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  const held = Number(option(argv, 'held') ?? 10_000)
  const records = Number(option(argv, 'records') ?? 10_000)
  const commitEvery = Number(option(argv, 'commit-every') ?? 1000)
  const keys = Number(option(argv, 'keys') ?? 1000)
  const cases = (option(argv, 'case') ?? 'hot,spread').split(',') as Case[]
  for (const kase of cases) process.stdout.write(`${JSON.stringify(await run(kase, held, records, commitEvery, keys))}\n`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
