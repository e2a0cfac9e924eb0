/**
 * What the parent (benchmarks/run.ts) hands a child process and what the child prints back. One
 * child runs one variant once; its peak RSS (getrusage maxrss) is therefore that run's alone.
 */
import type { Distribution } from './data'
import { measuredCpuMs } from './profiler'

export type BrokerKind = 'embedded' | 'mock'

export interface RunSpec {
  /** Module under benchmarks/variants/ and the function it exports as `run`. */
  readonly variant: string
  readonly runId: string
  readonly params: RunParams
}

export interface RunParams {
  readonly broker?: BrokerKind
  /** Embedded: a seeded broker directory to copy (never written to). */
  readonly brokerTemplate?: string
  /** Where this run may write (a fresh, empty directory). */
  readonly workDir: string
  /** Mock cluster: bootstrap servers of a cluster the parent runs and seeded. */
  readonly bootstrapServers?: string
  readonly records?: number
  readonly keys?: number
  readonly distribution?: Distribution
  readonly partitions?: number
  readonly inputTopic?: string
  readonly outputTopic?: string
  readonly [more: string]: unknown
}

export interface RunResult {
  readonly records: number
  readonly seconds: number
  readonly recordsPerSec: number
  readonly mbPerSec?: number
  readonly p50Ms?: number
  readonly p99Ms?: number
  readonly maxMs?: number
  /** Peak resident set of the child process (getrusage), MiB. */
  readonly peakRssMb: number
  /** Process CPU time (all threads) over the measured part, microseconds per record. */
  readonly cpuUsPerRecord?: number
  readonly extra?: Readonly<Record<string, unknown>>
}

export const RESULT_PREFIX = '@@result '

export function printResult(result: Omit<RunResult, 'peakRssMb'> & { peakRssMb?: number }): void {
  const peakRssMb = result.peakRssMb ?? Math.round(process.resourceUsage().maxRSS / 1024)
  const cpu = measuredCpuMs()
  const cpuUsPerRecord = cpu === undefined || result.records <= 0 ? undefined : round((cpu * 1000) / result.records, 2)
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify({ ...result, peakRssMb, cpuUsPerRecord })}\n`)
}

/** A throughput result from a record count, input bytes and a window in milliseconds. */
export function throughput(records: number, bytes: number, ms: number, extra?: Record<string, unknown>): Omit<RunResult, 'peakRssMb'> {
  const seconds = ms / 1000
  return {
    records,
    seconds: round(seconds, 3),
    recordsPerSec: Math.round(records / seconds),
    mbPerSec: round(bytes / 2 ** 20 / seconds, 2),
    extra,
  }
}

export function percentile(sorted: Float64Array | readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i]!
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}
