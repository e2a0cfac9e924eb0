/**
 * Entry of one benchmark child process: `node -r ./test/support/ts-register.js
 * benchmarks/harness/child.ts '<RunSpec JSON>'`. Runs the variant, which prints its result line,
 * then exits at once: a Kafka client that is slow to disconnect must not stretch the suite.
 */
import type { RunParams, RunSpec } from './protocol'

interface VariantModule {
  run(params: RunParams): Promise<void>
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as RunSpec
  if (!/^[a-z0-9-]+$/.test(spec.variant)) throw new Error(`bad variant name ${spec.variant}`)
  process.env.BENCH_RUN_ID = spec.runId
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(`../variants/${spec.variant}`) as VariantModule
  await mod.run(spec.params)
}

const hardLimit = setTimeout(() => {
  process.stderr.write('benchmark child exceeded 120 s\n')
  process.exit(3)
}, 120_000)
hardLimit.unref()

main().then(
  () => process.stdout.write('', () => process.exit(0)),
  (error: unknown) => {
    process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`)
    process.exit(1)
  },
)
