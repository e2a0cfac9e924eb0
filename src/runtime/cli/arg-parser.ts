/**
 * A small argument parser for the CLI (no dependency): `--name value`, `--name=value`, boolean
 * `--flag`, repeatable list options, `--` to end options, `-h`/`--help` anywhere. Every mistake
 * is a CONFIG_INVALID error whose message says what was wrong and what is accepted; the CLI exits
 * with status 2 on it.
 */
import { StreamfoldError } from '../../errors'

export type OptionType = 'string' | 'integer' | 'boolean' | 'list'

export interface OptionSpec {
  /** Key in the parsed options (camelCase). */
  readonly name: string
  /** Without the dashes, kebab-case: `max` for `--max`. */
  readonly flag: string
  readonly type: OptionType
  readonly help: string
  readonly choices?: readonly string[]
  /** Smallest accepted integer. */
  readonly min?: number
  /** An integer option that also takes `Infinity` (no bound), as its StreamsConfig field does. */
  readonly unbounded?: boolean
  /** Placeholder in the help text, e.g. `<n>`. */
  readonly placeholder?: string
  /** Shown in the help text only: defaults are applied by the command. */
  readonly defaultText?: string
  /** Environment variable read by the command when the flag is absent (help text only here). */
  readonly env?: string
}

export interface PositionalSpec {
  readonly name: string
  readonly help: string
  readonly required: boolean
  /** Takes every remaining positional. */
  readonly variadic?: boolean
}

export interface CommandSpec {
  readonly name: string
  readonly summary: string
  readonly positionals: readonly PositionalSpec[]
  readonly options: readonly OptionSpec[]
  /** Extra lines under the usage, e.g. examples. */
  readonly details?: string
}

export type OptionValue = string | number | boolean | readonly string[]

export interface ParsedArgs {
  readonly positionals: readonly string[]
  readonly options: Readonly<Record<string, OptionValue>>
  readonly help: boolean
}

export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const byFlag = new Map(spec.options.map((o) => [o.flag, o]))
  const positionals: string[] = []
  const options: Record<string, OptionValue> = {}
  let help = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (arg === '-h' || arg === '--help') {
      help = true
      continue
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    const flag = arg.startsWith('--') ? arg.slice(2, eq === -1 ? undefined : eq) : ''
    const option = byFlag.get(flag)
    if (option === undefined) throw usage(spec, `unknown option ${eq === -1 ? arg : arg.slice(0, eq)}; accepted: ${acceptedFlags(spec)}`)
    let raw: string
    if (eq !== -1) raw = arg.slice(eq + 1)
    else if (option.type === 'boolean') raw = 'true'
    else {
      const next = argv[i + 1]
      // `--topic --max 3` forgot the topic; a value that really starts with -- needs `--topic=--x`.
      if (next === undefined || next.startsWith('--')) throw usage(spec, `option --${flag} needs a value: ${describeAccepted(option)}`)
      raw = next
      i++
    }
    const value = convertOption(option, raw)
    if (value === undefined) throw usage(spec, `invalid value for --${flag}: expected ${describeAccepted(option)}, got '${raw}'`)
    if (option.type === 'list') options[option.name] = [...((options[option.name] as readonly string[] | undefined) ?? []), value as string]
    else options[option.name] = value
  }
  if (!help) checkPositionals(spec, positionals)
  return { positionals, options, help }
}

/** The option's value from text (a flag or an environment variable), or undefined when not accepted. */
export function convertOption(option: OptionSpec, raw: string): OptionValue | undefined {
  switch (option.type) {
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : undefined
    case 'integer': {
      if (option.unbounded === true && raw === 'Infinity') return Number.POSITIVE_INFINITY
      if (!/^-?\d+$/.test(raw)) return undefined
      const n = Number(raw)
      if (!Number.isSafeInteger(n) || (option.min !== undefined && n < option.min)) return undefined
      return n
    }
    default:
      if (raw === '' || (option.choices !== undefined && !option.choices.includes(raw))) return undefined
      return raw
  }
}

/** What a value of this option may be, in words (for error messages and help). */
export function describeAccepted(option: OptionSpec): string {
  if (option.choices !== undefined) return `one of ${option.choices.join(', ')}`
  if (option.type === 'integer') return `${option.min === undefined ? 'an integer' : `an integer >= ${option.min}`}${option.unbounded === true ? ' or Infinity' : ''}`
  if (option.type === 'boolean') return 'true or false'
  return `a non-empty ${option.placeholder?.replace(/[<>]/g, '') ?? 'value'}`
}

function checkPositionals(spec: CommandSpec, positionals: readonly string[]): void {
  const required = spec.positionals.filter((p) => p.required)
  if (positionals.length < required.length) {
    const missing = required.slice(positionals.length).map((p) => `<${p.name}>`)
    throw usage(spec, `missing ${missing.join(' ')}`)
  }
  const variadic = spec.positionals.some((p) => p.variadic === true)
  if (!variadic && positionals.length > spec.positionals.length) {
    const extra = positionals.slice(spec.positionals.length)
    const takes = spec.positionals.length === 0 ? 'no arguments' : spec.positionals.map((p) => `<${p.name}>`).join(' ')
    throw usage(spec, `unexpected argument '${extra[0]}': ${spec.name} takes ${takes}`)
  }
}

function acceptedFlags(spec: CommandSpec): string {
  return [...spec.options.map((o) => `--${o.flag}`), '--help'].join(', ')
}

function usage(spec: CommandSpec, message: string): StreamfoldError {
  return new StreamfoldError('CONFIG_INVALID', `${spec.name}: ${message} (see: streamfold ${spec.name} --help)`)
}

export function formatHelp(spec: CommandSpec): string {
  const args = spec.positionals.map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`) + (p.variadic === true ? '...' : '')).join(' ')
  const lines = [`Usage: streamfold ${spec.name}${args === '' ? '' : ` ${args}`} [options]`, '', spec.summary, '']
  if (spec.positionals.length > 0) {
    lines.push('Arguments:')
    for (const p of spec.positionals) lines.push(row(`<${p.name}>`, p.help))
    lines.push('')
  }
  lines.push('Options:')
  for (const o of spec.options) {
    const placeholder = o.type === 'boolean' ? '' : ` ${o.placeholder ?? (o.choices === undefined ? '<value>' : `<${o.choices.join('|')}>`)}`
    const notes = [o.defaultText === undefined ? '' : `default: ${o.defaultText}`, o.env === undefined ? '' : `env: ${o.env}`, o.type === 'list' ? 'repeatable' : '']
      .filter((n) => n !== '')
      .join('; ')
    lines.push(row(`--${o.flag}${placeholder}`, notes === '' ? o.help : `${o.help} (${notes})`))
  }
  lines.push(row('-h, --help', 'show this help'))
  if (spec.details !== undefined) lines.push('', spec.details)
  return `${lines.join('\n')}\n`
}

function row(left: string, right: string): string {
  return left.length < 30 ? `  ${left.padEnd(30)}${right}` : `  ${left}\n  ${' '.repeat(30)}${right}`
}
