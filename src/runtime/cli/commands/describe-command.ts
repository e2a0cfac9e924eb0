import type { ParsedArgs } from '../arg-parser'
import type { CliIo, Command } from '../cli-io'
import { loadModule } from '../module-loader'
import { interpretModule } from '../worker-module'

export const describeCommand: Command = {
  spec: {
    name: 'describe',
    summary: "Prints a module's topology: Kafka Streams' TopologyDescription text, or a Mermaid flowchart.",
    positionals: [{ name: 'module', required: true, help: 'the module, as for run' }],
    options: [{ name: 'format', flag: 'format', type: 'string', choices: ['text', 'mermaid'], defaultText: 'text', help: 'output format' }],
  },
  async execute(args: ParsedArgs, io: CliIo): Promise<number> {
    const file = args.positionals[0]!
    const { topology } = await interpretModule(file, loadModule(file))
    const text = args.options.format === 'mermaid' ? topology.toMermaid() : topology.describe()
    io.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
    return 0
  },
}
