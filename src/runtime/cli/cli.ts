/**
 * The `streamfold` command: picks the subcommand, parses its arguments, runs it, and turns what
 * happened into an exit status (0 ok, 1 fatal, 2 usage or configuration error).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { isStreamfoldError } from '../../errors'
import { formatHelp, parseArgs } from './arg-parser'
import type { CliIo, Command } from './cli-io'
import { consumeCommand } from './commands/consume-command'
import { describeCommand } from './commands/describe-command'
import { produceCommand } from './commands/produce-command'
import { resetCommand } from './commands/reset-command'
import { runCommand } from './commands/run-command'
import { topicsCommand } from './commands/topics-command'
import { EXIT_CODES, exitCodeFor } from './exit-codes'

export const COMMANDS: readonly Command[] = [runCommand, describeCommand, produceCommand, consumeCommand, topicsCommand, resetCommand]

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(generalHelp())
    return name === undefined ? EXIT_CODES.usage : EXIT_CODES.ok
  }
  if (name === '--version') {
    io.stdout.write(`${version()}\n`)
    return EXIT_CODES.ok
  }
  const command = COMMANDS.find((c) => c.spec.name === name)
  if (command === undefined) {
    io.stderr.write(`streamfold: unknown command '${name}'; accepted: ${COMMANDS.map((c) => c.spec.name).join(', ')} (see: streamfold --help)\n`)
    return EXIT_CODES.usage
  }
  try {
    const args = parseArgs(command.spec, rest)
    if (args.help) {
      io.stdout.write(formatHelp(command.spec))
      return EXIT_CODES.ok
    }
    return await command.execute(args, io)
  } catch (error) {
    const code = exitCodeFor(error)
    const message = error instanceof Error ? error.message : String(error)
    const prefix = isStreamfoldError(error) ? `${error.code}: ` : ''
    io.stderr.write(`streamfold ${name}: ${prefix}${message.startsWith(`${name}: `) ? message.slice(name.length + 2) : message}\n`)
    if (!isStreamfoldError(error) && error instanceof Error && error.stack !== undefined) io.stderr.write(`${error.stack}\n`)
    return code
  }
}

function generalHelp(): string {
  const rows = COMMANDS.map((c) => `  ${c.spec.name.padEnd(10)}${c.spec.summary}`)
  return [
    'Usage: streamfold <command> [arguments] [options]',
    '',
    'Commands:',
    ...rows,
    '',
    'streamfold <command> --help shows a command\'s arguments and options.',
    'Without --brokers (or KAFKA_BROKERS) commands use the embedded broker in --data-dir (default ./data/broker).',
    '',
  ].join('\n')
}

function version(): string {
  // dist/runtime/cli or src/runtime/cli: package.json is three levels up either way.
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }
  return pkg.version
}
