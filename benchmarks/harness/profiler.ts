/**
 * Optional CPU profile of a run's measured part only (no module loading or data generation):
 * with BENCH_PROFILE_DIR set, `startProfile()` starts V8's sampling profiler through the inspector
 * and the returned `stop()` writes `<dir>/<run id>.cpuprofile` (summarise it with
 * benchmarks/profile-summary.ts). Without the variable both are no-ops.
 *
 * Either way the pair measures the process's CPU time (user + system, every thread: LevelDB's and
 * libuv's too) between them, or from `startCpuWindow()` if a run calls it: `measuredCpuMs()`. Unlike wall time, it hardly moves when other
 * processes load the machine, so small per-record savings show through the noise.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import path from 'node:path'

let cpuMs: number | undefined
/** process.cpuUsage() where the CPU count starts: startProfile(), moved by startCpuWindow(). */
let cpuFrom: NodeJS.CpuUsage = process.cpuUsage()

/** CPU milliseconds between the last startProfile() and its stop(), if stopped. */
export function measuredCpuMs(): number | undefined {
  return cpuMs
}

/**
 * Restarts the CPU count at the throughput window's start (the first record polled), so that it
 * covers the same span as the wall time: what a variant does before its first record (the app
 * opening 16 task databases, say) is startup, outside the window for every variant.
 */
export function startCpuWindow(): void {
  cpuFrom = process.cpuUsage()
}

export function startProfile(): () => Promise<void> {
  cpuFrom = process.cpuUsage()
  const stopCpu = (): void => {
    const used = process.cpuUsage(cpuFrom)
    cpuMs = Math.round((used.user + used.system) / 1000)
  }
  const dir = process.env.BENCH_PROFILE_DIR
  if (dir === undefined || dir === '') return async () => stopCpu()
  const session = new Session()
  session.connect()
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))))
  const started = post('Profiler.enable').then(() => post('Profiler.setSamplingInterval', { interval: 200 })).then(() => post('Profiler.start'))
  return async () => {
    stopCpu()
    await started
    const { profile } = (await post('Profiler.stop')) as { profile: object }
    mkdirSync(dir, { recursive: true })
    writeFileSync(path.join(dir, `${process.env.BENCH_RUN_ID ?? process.pid}.cpuprofile`), JSON.stringify(profile))
    session.disconnect()
  }
}
