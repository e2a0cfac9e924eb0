/**
 * Running cases: each case seeds its data once, then runs its variants in alternation (the order
 * rotates every repetition) in child processes, and reports medians, per-repetition ratios to its
 * baseline and its targets. Child processes keep peak RSS per run and stop a hung client from
 * stalling the suite.
 */
import { execFileSync, spawn } from 'node:child_process'
import { appendFileSync, mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { startMockCluster, type MockCluster } from '../../test/support/mock-cluster/start-mock-cluster'
import { RESULT_PREFIX, round, type RunParams, type RunResult } from './protocol'

const ROOT = path.resolve(__dirname, '../..')
const CHILD = path.join(__dirname, 'child.ts')
const REGISTER = path.join(ROOT, 'test/support/ts-register.js')

export type Metric = 'recordsPerSec' | 'p99Ms' | 'peakRssMb'

export interface VariantDef {
  /** Name in the report, e.g. `bare-pipe`, `streamfold-eos`. */
  readonly name: string
  /** Module in benchmarks/variants. */
  readonly module: string
  /** Another checkout to run the module from (`--against`): its own src and benchmarks. */
  readonly root?: string
  readonly params: Readonly<Record<string, unknown>>
  /** Runs only when named with `--variant` (diagnostics too costly for every suite run). */
  readonly optIn?: boolean
}

export interface TargetDef {
  readonly name: string
  /** The figure compared with the goal (from the case's medians and ratios). */
  value(report: CaseReport): number | undefined
  readonly goal: number
  /** 'min': value >= goal holds; 'max': value <= goal holds. */
  readonly kind: 'min' | 'max'
  readonly unit: string
}

export interface CaseContext {
  /** A directory of this case, removed at the end of the suite. */
  readonly dir: string
  /** Runs a preparation job (not measured) in a child. */
  job(module: string, params: Record<string, unknown>): Promise<RunResult>
  /** Starts a mock cluster for this case; stopped after the case. */
  mockCluster(topics: ReadonlyArray<{ name: string; partitions: number }>): Promise<MockCluster>
}

export interface CaseDef {
  readonly name: string
  readonly description: string
  readonly broker: 'embedded' | 'mock' | 'none'
  readonly reps: number
  readonly metric: Metric
  /** Name of the variant every other is divided by (for p99/RSS too: candidate / baseline). */
  readonly baseline: string
  /** Seeds data; returns params shared by every run of the case. */
  prepare(ctx: CaseContext): Promise<Record<string, unknown>>
  readonly variants: readonly VariantDef[]
  /** Per-run params (ids, topics) and anything to do before the run (e.g. create mock topics). */
  beforeRun?(variant: VariantDef, runId: string, ctx: CaseContext): Promise<Record<string, unknown>>
  readonly targets?: readonly TargetDef[]
  /** Informational ratios [a, b]: a over b per repetition, wall and CPU (`a / b`, `a / b cpu` in
   *  the ratios), e.g. streamfold over its hand-written ceiling; reported when both ran. */
  readonly comparisons?: ReadonlyArray<readonly [string, string]>
}

export interface VariantSummary {
  readonly runs: number
  readonly median: RunResult
  readonly min: number
  readonly max: number
  readonly all: readonly number[]
  /** Median of the runs' CPU time per record (process, all threads), when the variant measures it. */
  readonly cpuUsPerRecord?: number
}

export interface CaseReport {
  readonly case: string
  readonly description: string
  readonly broker: string
  readonly metric: Metric
  readonly baseline: string
  readonly variants: Record<string, VariantSummary>
  /** Median over repetitions of candidate / baseline of the same repetition, with the range. */
  readonly ratios: Record<string, { readonly median: number; readonly min: number; readonly max: number }>
  readonly targets: Array<{ name: string; value: number | null; goal: number; kind: string; unit: string; holds: boolean | null }>
  readonly seconds: number
  readonly failures: string[]
}

export interface RunOptions {
  readonly reps?: number
  /** Only these variants (profiling, opt-in variants); default all but the opt-in ones. */
  readonly only?: readonly string[]
  /** Another checkout (e.g. the commit before a change): every variant also runs from there as
   *  `<name>@base`, in the same alternation, and `<name> vs @base` ratios are reported. */
  readonly against?: string
}

export async function runCase(def: CaseDef, suiteDir: string, options: RunOptions = {}): Promise<CaseReport> {
  const started = performance.now()
  const dir = path.join(suiteDir, def.name)
  mkdirSync(dir, { recursive: true })
  const clusters: MockCluster[] = []
  const ctx: CaseContext = {
    dir,
    job: (module, params) => runChild(module, `${def.name}-prep`, { workDir: dir, ...params }),
    async mockCluster(topics) {
      const cluster = await startMockCluster({ brokers: 3, topics })
      clusters.push(cluster)
      return cluster
    },
  }
  const results = new Map<string, RunResult[]>(def.variants.map((v) => [v.name, []]))
  const failures: string[] = []
  try {
    const shared = await def.prepare(ctx)
    const reps = options.reps ?? def.reps
    const selected = options.only === undefined ? def.variants.filter((v) => v.optIn !== true) : def.variants.filter((v) => options.only!.includes(v.name))
    const against = options.against
    const variants = against === undefined ? selected : selected.flatMap((v) => [v, { ...v, name: `${v.name}@base`, root: against }])
    for (const v of variants) if (!results.has(v.name)) results.set(v.name, [])
    for (let rep = 0; rep < reps; rep++) {
      const order = rotate(variants, rep)
      for (const variant of order) {
        const runId = `${def.name}-${variant.name}-r${rep}`.replace(/[^A-Za-z0-9._-]/g, '-')
        const workDir = path.join(dir, runId)
        mkdirSync(workDir, { recursive: true })
        try {
          const extra = (await def.beforeRun?.(variant, runId, ctx)) ?? {}
          const result = await runChild(variant.module, runId, { ...shared, applicationId: runId, ...variant.params, ...extra, workDir }, variant.root)
          results.get(variant.name)!.push(result)
          process.stderr.write(`  ${runId}: ${describe(result, def.metric)}\n`)
        } catch (error) {
          failures.push(`${runId}: ${String((error as Error).message ?? error).slice(0, 2000)}`)
          process.stderr.write(`  ${runId}: FAILED ${String((error as Error).message ?? error).slice(0, 2000)}\n`)
        } finally {
          rmSync(workDir, { recursive: true, force: true })
        }
      }
    }
  } catch (error) {
    failures.push(`prepare: ${String((error as Error).stack ?? error)}`)
  } finally {
    for (const c of clusters) await c.stop()
  }
  return report(def, results, failures, (performance.now() - started) / 1000)
}

function report(def: CaseDef, results: Map<string, RunResult[]>, failures: string[], seconds: number): CaseReport {
  const variants: Record<string, VariantSummary> = {}
  for (const [name, runs] of results) {
    if (runs.length === 0) continue
    const values = runs.map((r) => metricOf(r, def.metric))
    const sorted = [...runs].sort((a, b) => metricOf(a, def.metric) - metricOf(b, def.metric))
    const cpu = runs.map((r) => r.cpuUsPerRecord).filter((c): c is number => c !== undefined).sort((a, b) => a - b)
    variants[name] = {
      runs: runs.length,
      median: sorted[Math.floor((sorted.length - 1) / 2)]!,
      min: Math.min(...values),
      max: Math.max(...values),
      all: values,
      ...(cpu.length === 0 ? {} : { cpuUsPerRecord: cpu[Math.floor((cpu.length - 1) / 2)]! }),
    }
  }
  const ratios: CaseReport['ratios'] = {}
  const base = results.get(def.baseline) ?? []
  for (const [name, runs] of results) {
    if (name === def.baseline) continue
    const ratio = pairedRatio(runs, base, (r) => metricOf(r, def.metric))
    if (ratio !== undefined) ratios[name] = ratio
  }
  // Each variant over another, paired by repetition, with their CPU time per record (less
  // sensitive to other processes than wall time): --against twins (`<name>@base`, the other
  // checkout) and the case's informational comparisons (`a / b`), when both ran.
  const pairs: Array<readonly [a: string, b: string, label: string, cpuLabel: string]> = [
    ...[...results.keys()].filter((name) => results.has(`${name}@base`)).map((name) => [name, `${name}@base`, `${name} vs @base`, `${name} cpu vs @base`] as const),
    ...(def.comparisons ?? []).map(([a, b]) => [a, b, `${a} / ${b}`, `${a} / ${b} cpu`] as const),
  ]
  for (const [a, b, label, cpuLabel] of pairs) {
    const runs = results.get(a)
    const other = results.get(b)
    if (runs === undefined || other === undefined) continue
    const wall = pairedRatio(runs, other, (r) => metricOf(r, def.metric))
    const cpu = pairedRatio(runs, other, (r) => r.cpuUsPerRecord)
    if (wall !== undefined) ratios[label] = wall
    if (cpu !== undefined) ratios[cpuLabel] = cpu
  }
  const partial: CaseReport = { case: def.name, description: def.description, broker: def.broker, metric: def.metric, baseline: def.baseline, variants, ratios, targets: [], seconds: round(seconds, 1), failures }
  const targets = (def.targets ?? []).map((t) => {
    const value = t.value(partial)
    const holds = value === undefined || Number.isNaN(value) ? null : t.kind === 'min' ? value >= t.goal : value <= t.goal
    return { name: t.name, value: value === undefined || Number.isNaN(value) ? null : round(value, 3), goal: t.goal, kind: t.kind, unit: t.unit, holds }
  })
  return { ...partial, targets }
}

/** Median and range of a / b over the repetitions both ran; undefined when none has both figures. */
function pairedRatio(a: readonly RunResult[], b: readonly RunResult[], of: (r: RunResult) => number | undefined): { median: number; min: number; max: number } | undefined {
  const paired: number[] = []
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = of(a[i]!)
    const y = of(b[i]!)
    if (x !== undefined && y !== undefined && y > 0) paired.push(x / y)
  }
  if (paired.length === 0) return undefined
  paired.sort((x, y) => x - y)
  return { median: round(paired[Math.floor((paired.length - 1) / 2)]!, 3), min: round(paired[0]!, 3), max: round(paired.at(-1)!, 3) }
}

function metricOf(r: RunResult, metric: Metric): number {
  return (r[metric] as number | undefined) ?? Number.NaN
}

function describe(r: RunResult, metric: Metric): string {
  const parts = [`${r.recordsPerSec} rec/s`]
  if (r.p99Ms !== undefined) parts.push(`p50 ${r.p50Ms} ms p99 ${r.p99Ms} ms`)
  parts.push(`rss ${r.peakRssMb} MB`)
  return `${parts.join(', ')} [${metric}]`
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const n = by % items.length
  return [...items.slice(n), ...items.slice(0, n)]
}

const precompiled = new Set<string>()

/**
 * Fills the root's ts-register cache (src, benchmarks, test/support) in a separate process, so the
 * children load compiled JavaScript and never the TypeScript compiler: its native library would
 * add ~40 MB to every child's RSS that a user's compiled app does not have.
 */
function precompileOnce(root: string, register: string): void {
  if (precompiled.has(root)) return
  precompiled.add(root)
  const dirs = ['src', 'benchmarks', 'test/support'].map((d) => path.join(root, d))
  const script = `const r = require(${JSON.stringify(register)}); if (typeof r.precompile === 'function') r.precompile(${JSON.stringify(dirs)})`
  execFileSync(process.execPath, ['-e', script], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
}

/** Runs one variant in a child process and returns the result line it printed. */
export function runChild(module: string, runId: string, params: RunParams | Record<string, unknown>, root = ROOT): Promise<RunResult> {
  const spec = JSON.stringify({ variant: module, runId, params })
  const register = path.join(root, path.relative(ROOT, REGISTER))
  const entry = path.join(root, path.relative(ROOT, CHILD))
  precompileOnce(root, register)
  const args = [...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '-r', register, entry, spec]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString()
      // BENCH_CHILD_STDERR=<file>: keep the children's logs (e.g. with BENCH_LOG_LEVEL=debug).
      if (process.env.BENCH_CHILD_STDERR) appendFileSync(process.env.BENCH_CHILD_STDERR, c)
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX))
      if (code === 0 && line !== undefined) resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as RunResult)
      else reject(new Error(`${module} exited ${code ?? signal}: ${err.trim().split('\n').slice(-15).join('\n')}`))
    })
  })
}
