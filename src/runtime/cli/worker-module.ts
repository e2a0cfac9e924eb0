/**
 * What `streamfold run <module>` expects of a module:
 *
 *   export const topology = builder.build()          // or a function returning one (may be async),
 *                                                     // or the default export / module.exports
 *   export const config = { applicationId: 'page-stats', processingGuarantee: 'exactly_once' }
 *   export function attach(worker) { ...; return async () => { ... } }   // optional
 *
 * `config` holds worker options by name (the `run` options table) and `dedup`, which only code can
 * give. `attach` runs before the app starts (create topics, start a generator, follow progress);
 * the function it returns runs when the worker stops, before the app closes.
 */
import { StreamfoldError } from '../../errors'
import type { Logger } from '../../logger'
import { Topology } from '../../topology/topology'
import type { Broker } from '../broker/broker'
import type { StreamsApp } from '../streams-app'
import type { DedupConfig } from '../streams-config'
import type { MetricsSnapshot } from '../observability/streams-metrics'

export interface WorkerContext {
  readonly applicationId: string
  /** The app, not started yet: subscribe to onStateChange here. */
  readonly app: StreamsApp
  /** The broker the app runs on, for feeding or reading topics. The embedded broker's directory
   *  can be open in one process only, so this is the way to reach it while the worker runs. */
  readonly broker: Broker
  readonly logger: Logger
  /** Aborted when the worker begins to stop. */
  readonly signal: AbortSignal
  /** For output meant for a person (the logs go to the logger). */
  readonly stdout: NodeJS.WritableStream
  stats(): MetricsSnapshot
}

export type Detach = () => void | Promise<void>
export type AttachHook = (worker: WorkerContext) => void | Detach | Promise<void | Detach>

export interface WorkerModule {
  readonly topology: Topology
  /** Options by name, the weakest source of settings. */
  readonly options: Readonly<Record<string, unknown>>
  readonly dedup: DedupConfig | undefined
  readonly attach: AttachHook | undefined
}

export async function interpretModule(file: string, exported: unknown): Promise<WorkerModule> {
  const mod = (exported ?? {}) as Record<string, unknown>
  const topology = await findTopology(file, [mod.topology, mod.default, exported])
  const config = mod.config ?? (mod.default as Record<string, unknown> | undefined)?.config
  if (config !== undefined && (typeof config !== 'object' || config === null || Array.isArray(config))) {
    throw new StreamfoldError('CONFIG_INVALID', `invalid <module>: ${file} exports a config that is not an object`)
  }
  const { dedup, ...options } = (config ?? {}) as Record<string, unknown> & { dedup?: DedupConfig }
  const attach = mod.attach
  if (attach !== undefined && typeof attach !== 'function') {
    throw new StreamfoldError('CONFIG_INVALID', `invalid <module>: ${file} exports an attach that is not a function`)
  }
  return { topology, options, dedup, attach: attach as AttachHook | undefined }
}

async function findTopology(file: string, candidates: readonly unknown[]): Promise<Topology> {
  for (const candidate of candidates) {
    if (candidate instanceof Topology) return candidate
    if (typeof candidate === 'function' && !(candidate.prototype instanceof Topology)) {
      const made: unknown = await (candidate as () => unknown)()
      if (made instanceof Topology) return made
      throw new StreamfoldError('CONFIG_INVALID', `invalid <module>: the function ${file} exports returned ${describe(made)}, not a Topology (did you forget builder.build()?)`)
    }
  }
  throw new StreamfoldError(
    'CONFIG_INVALID',
    `invalid <module>: ${file} exports no topology; export a Topology, or a function returning one, as \`topology\` or as the default export`,
  )
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'object') return `an instance of ${(value as object).constructor?.name ?? 'Object'}`
  return typeof value
}
