import { StreamfoldError } from '../../../errors'
import type { OptionSpec, ParsedArgs } from '../arg-parser'
import { brokerSettings, type BrokerSettings } from '../cli-broker'
import type { CliIo } from '../cli-io'
import { mergeOptions } from '../option-sources'
import { SERDE_NAMES } from '../record-text'
import { BROKER_OPTIONS } from '../worker-options'

export const TOPIC_OPTION: OptionSpec = { name: 'topic', flag: 'topic', type: 'string', placeholder: '<topic>', help: 'the topic (required)' }

export function serdeOption(part: 'key' | 'value'): OptionSpec {
  return { name: `${part}Serde`, flag: `${part}-serde`, type: 'string', choices: SERDE_NAMES, defaultText: 'string', help: `serde of the record ${part}s` }
}

/** The broker options of a tool, from its flags and the environment. */
export function toolBroker(args: ParsedArgs, io: CliIo): BrokerSettings {
  return brokerSettings(mergeOptions(BROKER_OPTIONS, { flags: args.options, env: io.env }))
}

/** A string option the command cannot do without. */
export function required(args: ParsedArgs, name: string): string {
  const value = args.options[name]
  const flag = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
  if (typeof value !== 'string') throw new StreamfoldError('CONFIG_INVALID', `missing --${flag}: it is required (see --help)`)
  return value
}
