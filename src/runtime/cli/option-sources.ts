/**
 * Merges option values from their sources, weakest first: the module's `config` export, the
 * `--config` file, the environment, the command line. Each source is checked against the option
 * table, and a bad value is reported with where it came from and what is accepted.
 */
import { readFile } from 'node:fs/promises'
import { StreamfoldError } from '../../errors'
import { convertOption, describeAccepted, type OptionSpec, type OptionValue } from './arg-parser'

export type KafkaProperties = Readonly<Record<string, string | number | boolean>>

export interface OptionSources {
  readonly flags: Readonly<Record<string, OptionValue>>
  readonly env: Readonly<Record<string, string | undefined>>
  /** Parsed JSON of the config file, with its path for messages. */
  readonly file?: { readonly path: string; readonly values: Readonly<Record<string, unknown>> }
  /** The module's `config` export (options by name only). */
  readonly module?: Readonly<Record<string, unknown>>
}

export interface MergedOptions {
  readonly values: Readonly<Record<string, string | number | boolean>>
  /** The `list` option `kafka`, merged per property over every source. */
  readonly kafka: KafkaProperties
}

const KAFKA_ENV_PREFIX = 'STREAMFOLD_KAFKA_'

export function mergeOptions(specs: readonly OptionSpec[], sources: OptionSources): MergedOptions {
  const values: Record<string, string | number | boolean> = {}
  let kafka: Record<string, string | number | boolean> = {}
  const layers: Array<[string, Readonly<Record<string, unknown>> | undefined]> = [
    ["the module's config", sources.module],
    [sources.file?.path ?? '', sources.file?.values],
  ]
  for (const [where, layer] of layers) {
    if (layer === undefined) continue
    checkKeys(specs, layer, where)
    for (const spec of specs) {
      const raw = layer[spec.name]
      if (raw === undefined) continue
      if (spec.type === 'list') kafka = { ...kafka, ...kafkaObject(raw, `${spec.name} in ${where}`) }
      else values[spec.name] = checkValue(spec, raw, `${spec.name} in ${where}`)
    }
  }
  for (const spec of specs) {
    if (spec.env === undefined || spec.type === 'list') continue
    const raw = sources.env[spec.env]
    if (raw === undefined || raw === '') continue
    const value = convertOption(spec, raw)
    if (value === undefined || Array.isArray(value)) throw invalid(spec.env, spec, raw)
    values[spec.name] = value as string | number | boolean
  }
  if (specs.some((s) => s.name === 'kafka')) {
    for (const [name, raw] of Object.entries(sources.env)) {
      if (!name.startsWith(KAFKA_ENV_PREFIX) || raw === undefined) continue
      kafka[name.slice(KAFKA_ENV_PREFIX.length).toLowerCase().replace(/_/g, '.')] = raw
    }
  }
  for (const spec of specs) {
    const flag = sources.flags[spec.name]
    if (flag === undefined) continue
    if (spec.type === 'list') kafka = { ...kafka, ...kafkaPairs(flag as readonly string[]) }
    else values[spec.name] = flag as string | number | boolean
  }
  return { values, kafka }
}

export async function readConfigFile(path: string): Promise<{ path: string; values: Record<string, unknown> }> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    throw new StreamfoldError('CONFIG_INVALID', `invalid --config: cannot read ${path} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause })
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (cause) {
    throw new StreamfoldError('CONFIG_INVALID', `invalid --config: ${path} is not valid JSON (${(cause as Error).message})`, { cause })
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new StreamfoldError('CONFIG_INVALID', `invalid --config: ${path} must hold a JSON object of options by name`)
  }
  return { path, values: parsed as Record<string, unknown> }
}

function checkKeys(specs: readonly OptionSpec[], layer: Readonly<Record<string, unknown>>, where: string): void {
  const known = new Set(specs.map((s) => s.name))
  const unknown = Object.keys(layer).filter((k) => !known.has(k))
  if (unknown.length > 0) {
    throw new StreamfoldError('CONFIG_INVALID', `unknown option ${unknown[0]} in ${where}; accepted: ${[...known].join(', ')}`)
  }
}

function checkValue(spec: OptionSpec, raw: unknown, where: string): string | number | boolean {
  // JSON and code give typed values; text forms are accepted too, the way the environment gives them.
  const text = typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : undefined
  const value = text === undefined ? undefined : convertOption(spec, text)
  const typeOk = spec.type === 'integer' ? typeof raw === 'number' || typeof raw === 'string' : spec.type === 'boolean' ? typeof raw === 'boolean' : typeof raw === 'string'
  if (value === undefined || Array.isArray(value) || !typeOk) throw invalid(where, spec, shown(raw))
  return value as string | number | boolean
}

function kafkaObject(raw: unknown, where: string): KafkaProperties {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new StreamfoldError('CONFIG_INVALID', `invalid ${where}: expected an object of librdkafka properties, got ${JSON.stringify(raw)}`)
  }
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new StreamfoldError('CONFIG_INVALID', `invalid ${where}: property ${k} must be a string, number or boolean`)
    }
  }
  return raw as KafkaProperties
}

function kafkaPairs(pairs: readonly string[]): KafkaProperties {
  const out: Record<string, string> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new StreamfoldError('CONFIG_INVALID', `invalid value for --kafka: expected property=value, got '${pair}'`)
    out[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  return out
}

/** A value as the user wrote it: JSON shows NaN and Infinity as null, and undefined not at all. */
function shown(raw: unknown): string {
  return typeof raw === 'number' && !Number.isFinite(raw) ? String(raw) : JSON.stringify(raw) ?? String(raw)
}

function invalid(where: string, spec: OptionSpec, got: string): StreamfoldError {
  return new StreamfoldError('CONFIG_INVALID', `invalid value for ${where}: expected ${describeAccepted(spec)}, got ${got.startsWith('"') ? got : `'${got}'`}`)
}
