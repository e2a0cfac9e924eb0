import { createInterface } from 'node:readline'
import { StreamfoldError } from '../../../errors'
import type { SerdeName } from '../../../serdes/serdes'
import type { OutgoingRecord } from '../../broker/broker'
import type { ParsedArgs } from '../arg-parser'
import { describeBroker, openCliBroker } from '../cli-broker'
import { toolLogger, type CliIo, type Command } from '../cli-io'
import { encodeText } from '../record-text'
import { BROKER_OPTIONS } from '../worker-options'
import { TOPIC_OPTION, required, serdeOption, toolBroker } from './tool-options'

const FLUSH_EVERY = 1000

export const produceCommand: Command = {
  spec: {
    name: 'produce',
    summary: 'Writes records to a topic, one per line of standard input (empty lines are skipped).',
    positionals: [],
    options: [
      TOPIC_OPTION,
      serdeOption('key'),
      serdeOption('value'),
      { name: 'keySeparator', flag: 'key-separator', type: 'string', placeholder: '<text>', help: 'lines hold key<separator>value (\\t for a tab); without it lines are values with null keys' },
      { name: 'partition', flag: 'partition', type: 'integer', min: 0, placeholder: '<n>', help: "write to this partition; default: by the key's murmur2 hash" },
      ...BROKER_OPTIONS,
    ],
    details: 'Text forms: json and msgpack take JSON, int32/int64/double decimal numbers, buffer base64.\nExample: printf \'u1\\t{"url":"/"}\\n\' | streamfold produce --topic page-views --key-separator \'\\t\' --value-serde json',
  },
  async execute(args: ParsedArgs, io: CliIo): Promise<number> {
    const topic = required(args, 'topic')
    const keySerde = (args.options.keySerde as SerdeName | undefined) ?? 'string'
    const valueSerde = (args.options.valueSerde as SerdeName | undefined) ?? 'string'
    const separator = (args.options.keySeparator as string | undefined)?.replace(/\\t/g, '\t')
    const partition = args.options.partition as number | undefined
    const settings = toolBroker(args, io)
    const broker = await openCliBroker(settings, toolLogger(io))
    let produced = 0
    try {
      if (partition !== undefined) await checkPartition(broker.admin(), topic, partition)
      const producer = broker.producer({ clientId: 'streamfold-cli-produce' })
      await producer.connect()
      let lineNumber = 0
      for await (const line of createInterface({ input: io.stdin, crlfDelay: Infinity })) {
        lineNumber++
        if (line === '') continue
        producer.send(toRecord({ topic, partition, line, lineNumber, separator, keySerde, valueSerde }))
        if (++produced % FLUSH_EVERY === 0) await producer.flush()
      }
      await producer.flush()
      await producer.close()
    } finally {
      await broker.close()
    }
    io.stderr.write(`produced ${produced} record${produced === 1 ? '' : 's'} to ${topic} (${describeBroker(settings)})\n`)
    return 0
  },
}

interface LineInput {
  readonly topic: string
  readonly partition: number | undefined
  readonly line: string
  readonly lineNumber: number
  readonly separator: string | undefined
  readonly keySerde: SerdeName
  readonly valueSerde: SerdeName
}

function toRecord(input: LineInput): OutgoingRecord {
  const { line, separator, lineNumber } = input
  let key: Buffer | null = null
  let valueText = line
  if (separator !== undefined) {
    const at = line.indexOf(separator)
    if (at === -1) throw new StreamfoldError('CONFIG_INVALID', `line ${lineNumber}: no key separator; expected key${JSON.stringify(separator).slice(1, -1)}value`)
    key = encodeText(input.keySerde, line.slice(0, at), `line ${lineNumber} key`)
    valueText = line.slice(at + separator.length)
  }
  const value = encodeText(input.valueSerde, valueText, `line ${lineNumber} value`)
  return { topic: input.topic, partition: input.partition, key, value, timestamp: Date.now(), headers: [] }
}

async function checkPartition(admin: { partitionCounts(topics: readonly string[]): Promise<Map<string, number>> }, topic: string, partition: number): Promise<void> {
  const count = (await admin.partitionCounts([topic])).get(topic)
  if (count === undefined) throw new StreamfoldError('TOPIC_NOT_FOUND', `topic ${topic} does not exist; --partition needs an existing topic (streamfold topics create)`)
  if (partition >= count) throw new StreamfoldError('CONFIG_INVALID', `invalid value for --partition: expected an integer from 0 to ${count - 1} (${topic} has ${count}), got '${partition}'`)
}
