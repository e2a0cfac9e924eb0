/**
 * Compiles mock-cluster.c against the librdkafka that @confluentinc/kafka-javascript built, on
 * demand, so `npm test` needs nothing prepared by hand. The binary is cached under a name derived
 * from the source and the library, so an edited helper or a rebuilt client recompiles.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const SOURCE = path.join(__dirname, 'mock-cluster.c')

/** The folder holding librdkafka.so and include/librdkafka/*.h of the installed client. */
export function librdkafkaDir(): string {
  const pkg = path.dirname(require.resolve('@confluentinc/kafka-javascript/package.json'))
  return path.join(pkg, 'build', 'deps')
}

/** Path to the compiled helper, compiling it first if the cache has no matching binary. */
export async function buildMockCluster(): Promise<string> {
  const libDir = librdkafkaDir()
  const lib = path.join(libDir, 'librdkafka.so')
  if (!existsSync(lib)) {
    throw new Error(`librdkafka.so not found at ${lib}: install @confluentinc/kafka-javascript from source (see docs/kafka.md)`)
  }
  const source = readFileSync(SOURCE)
  const libStat = statSync(lib)
  const hash = createHash('sha256').update(source).update(`${lib}:${libStat.size}:${libStat.mtimeMs}`).digest('hex').slice(0, 16)
  const dir = cacheDir()
  const binary = path.join(dir, `mock-cluster-${hash}`)
  if (existsSync(binary)) return binary

  // Jest workers may compile at the same time: each writes its own file, the rename is atomic.
  const partial = `${binary}.${process.pid}.tmp`
  const args = ['-O1', '-o', partial, SOURCE, `-I${path.join(libDir, 'include')}`, `-L${libDir}`, '-lrdkafka', `-Wl,-rpath,${libDir}`]
  try {
    await run('gcc', args, { timeout: 60_000 })
  } catch (error) {
    throw new Error(`compiling the mock cluster helper failed (gcc ${args.join(' ')})`, { cause: error })
  }
  renameSync(partial, binary)
  return binary
}

function cacheDir(): string {
  const candidates = [path.resolve(__dirname, '../../../node_modules/.cache/streamfold-mock-cluster'), path.join(tmpdir(), 'streamfold-mock-cluster')]
  for (const dir of candidates) {
    try {
      mkdirSync(dir, { recursive: true })
      return dir
    } catch {
      // read-only node_modules: fall through to the temp dir
    }
  }
  throw new Error(`no writable cache directory for the mock cluster helper (tried ${candidates.join(', ')})`)
}
