/**
 * Optional CPU profile of a run's measured part only (no module loading or data generation):
 * with BENCH_PROFILE_DIR set, `startProfile()` starts V8's sampling profiler through the inspector
 * and the returned `stop()` writes `<dir>/<run id>.cpuprofile` (summarise it with
 * benchmarks/profile-summary.ts). Without the variable both are no-ops.
 *
 * Either way the pair measures the process's CPU time (user + system, every thread: LevelDB's and
 * libuv's too) between them: `measuredCpuMs()`. Unlike wall time, it hardly moves when other
 * processes load the machine, so small per-record savings show through the noise.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import path from 'node:path'

let cpuMs: number | undefined

/** CPU milliseconds between the last startProfile() and its stop(), if stopped. */
export function measuredCpuMs(): number | undefined {
  return cpuMs
}

export function startProfile(): () => Promise<void> {
  const cpu = process.cpuUsage()
  const stopCpu = (): void => {
    const used = process.cpuUsage(cpu)
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
