/**
 * The benchmark suite (issue 6): `npm run bench` runs every case; `npm run bench -- <case>...`
 * runs the cases whose name equals or contains an argument (`count`, `mock`, `rss-10m`).
 * One JSON line per case on stdout, then a summary table; progress goes to stderr.
 *
 *   --list          print the case names with their variants and exit (opt-in variants marked)
 *   --reps N        repetitions per variant (default 3; medians and ratios need >= 3)
 *   --scale X       multiply record counts (default 1)
 *   --variant a,b   run only these variants of the chosen cases: for profiling, and the only way to
 *                   run the opt-in ceiling variants (tight-loop-changelog, tight-loop-eos)
 *   --against DIR   also run every variant from another checkout (e.g. `git worktree add DIR HEAD~1`,
 *                   with node_modules linked) as `<name>@base`, alternating with this one, and
 *                   report `<name> vs @base` ratios: before/after figures of a change
 *   BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench -- count-embedded-zipf
 *                   passes node flags to every child (whole-process profiles)
 *   BENCH_PROFILE_DIR=/tmp/prof npm run bench -- count-embedded-zipf --reps 1 --variant streamfold-eos
 *                   profiles only the measured part of each run (benchmarks/profile-summary.ts reads it)
 *   BENCH_LOG_LEVEL=debug   streamfold's debug log (per-commit durations) of the latency runs on stderr
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { allCases, sizes } from './cases'
import { runCase, type CaseReport } from './harness/suite'
import { summaryTable } from './harness/table'

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  const option = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`)
    if (i < 0) return undefined
    const value = argv[i + 1]
    argv.splice(i, 2)
    return value
  }
  const reps = option('reps')
  const only = option('variant')
  const against = option('against')
  const scale = Number(option('scale') ?? 1)
  const list = argv.includes('--list')
  const selectors = argv.filter((a) => !a.startsWith('--'))
  const cases = allCases(sizes(scale))
  if (list) {
    for (const c of cases) {
      const variants = c.variants.map((v) => (v.optIn === true ? `${v.name} (opt-in)` : v.name)).join(', ')
      process.stdout.write(`${c.name.padEnd(26)} ${c.description}\n${''.padEnd(26)} variants: ${variants}\n`)
    }
    return
  }
  const chosen = selectors.length === 0 ? cases : cases.filter((c) => selectors.some((s) => c.name === s || c.name.includes(s)))
  if (chosen.length === 0) throw new Error(`no case matches ${selectors.join(' ')}; --list shows them`)

  const suiteDir = mkdtempSync(path.join(os.tmpdir(), 'streamfold-bench-'))
  const started = performance.now()
  const reports: CaseReport[] = []
  try {
    for (const def of chosen) {
      process.stderr.write(`${def.name}: ${def.description}\n`)
      const report = await runCase(def, suiteDir, { reps: reps === undefined ? undefined : Number(reps), only: only?.split(','), against: against === undefined ? undefined : path.resolve(against) })
      reports.push(report)
      process.stdout.write(`${JSON.stringify(compact(report))}\n`)
    }
  } finally {
    rmSync(suiteDir, { recursive: true, force: true })
  }
  const machine = `${revision()}; ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(1)).join('/')}`
  process.stdout.write(`\n${summaryTable(reports)}\n${machine}; suite ${Math.round((performance.now() - started) / 1000)} s\n`)
  if (reports.some((r) => r.failures.length > 0)) process.exitCode = 1
}

/** The commit measured, and whether src/ had uncommitted changes (others work in the same tree). */
function revision(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).trim() !== ''
    return `commit ${head}${dirty ? ' + uncommitted src changes' : ''}`
  } catch {
    return 'commit unknown'
  }
}

/** The JSON line of a case: medians and ranges per variant, ratios, targets. */
function compact(r: CaseReport): object {
  const variants: Record<string, object> = {}
  for (const [name, v] of Object.entries(r.variants)) {
    const m = v.median
    variants[name] = {
      recordsPerSec: m.recordsPerSec,
      mbPerSec: m.mbPerSec,
      ...(m.p50Ms === undefined ? {} : { p50Ms: m.p50Ms, p99Ms: m.p99Ms, maxMs: m.maxMs }),
      peakRssMb: m.peakRssMb,
      ...(v.cpuUsPerRecord === undefined ? {} : { cpuUsPerRecord: v.cpuUsPerRecord }),
      [`${r.metric}Runs`]: v.all,
      ...(m.extra === undefined ? {} : { extra: m.extra }),
    }
  }
  return { bench: r.case, broker: r.broker, metric: r.metric, baseline: r.baseline, variants, ratios: r.ratios, targets: r.targets, seconds: r.seconds, failures: r.failures }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String((error as Error).stack ?? error)}\n`)
  process.exitCode = 1
})
