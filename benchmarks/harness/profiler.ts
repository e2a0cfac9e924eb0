/**
 * Optional CPU profile of a run's measured part only (no module loading or data generation):
 * with BENCH_PROFILE_DIR set, `startProfile()` starts V8's sampling profiler through the inspector
 * and the returned `stop()` writes `<dir>/<run id>.cpuprofile` (summarise it with
 * benchmarks/profile-summary.ts). Without the variable both are no-ops.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import path from 'node:path'

export function startProfile(): () => Promise<void> {
  const dir = process.env.BENCH_PROFILE_DIR
  if (dir === undefined || dir === '') return async () => undefined
  const session = new Session()
  session.connect()
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))))
  const started = post('Profiler.enable').then(() => post('Profiler.setSamplingInterval', { interval: 200 })).then(() => post('Profiler.start'))
  return async () => {
    await started
    const { profile } = (await post('Profiler.stop')) as { profile: object }
    mkdirSync(dir, { recursive: true })
    writeFileSync(path.join(dir, `${process.env.BENCH_RUN_ID ?? process.pid}.cpuprofile`), JSON.stringify(profile))
    session.disconnect()
  }
}
