import { constants } from 'node:os'
import type { ParsedArgs } from '../arg-parser'
import type { CliIo, Command } from '../cli-io'
import { loadModule } from '../module-loader'
import { mergeOptions, readConfigFile } from '../option-sources'
import { Worker } from '../worker'
import { interpretModule } from '../worker-module'
import { FILE_OPTIONS, WORKER_OPTIONS } from '../worker-options'
import { resolveWorkerSettings } from '../worker-settings'

export const runCommand: Command = {
  spec: {
    name: 'run',
    summary: 'Runs a topology as a long-lived worker until SIGTERM/SIGINT.',
    positionals: [{ name: 'module', required: true, help: 'a .js (or, with @swc/core installed, .ts) module exporting a Topology or a function returning one, and optionally config and attach' }],
    options: WORKER_OPTIONS,
    details: [
      'Options come from, strongest first: flags, environment, the --config file, the module\'s config export.',
      'Without --brokers/KAFKA_BROKERS the embedded broker runs in this process (--data-dir).',
      'Exit status: 0 stopped cleanly, 1 fatal runtime error or shutdown timeout, 2 configuration error;',
      'a second SIGTERM/SIGINT exits at once with 128 + the signal number.',
    ].join('\n'),
  },
  async execute(args: ParsedArgs, io: CliIo): Promise<number> {
    const file = args.positionals[0]!
    const module = await interpretModule(file, loadModule(file))
    const configFile = (args.options.config as string | undefined) ?? io.env.STREAMFOLD_CONFIG
    const settings = resolveWorkerSettings(
      mergeOptions(FILE_OPTIONS, {
        flags: args.options,
        env: io.env,
        file: configFile === undefined || configFile === '' ? undefined : await readConfigFile(configFile),
        module: module.options,
      }),
    )
    const worker = new Worker({ module, settings, stdout: io.stdout, stderr: io.stderr })
    let signals = 0
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++
      if (signals === 1) {
        worker.stop(signal)
        return
      }
      worker.logger.warn({ signal }, 'second signal: exiting now, without committing; the next start resumes from the last commit')
      process.exit(128 + constants.signals[signal])
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
    try {
      return await worker.run()
    } finally {
      process.off('SIGTERM', onSignal)
      process.off('SIGINT', onSignal)
    }
  },
}
