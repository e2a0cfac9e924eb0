import { StreamfoldError } from '../../../errors'
import type { SerdeName } from '../../../serdes/serdes'
import type { BrokerAdmin, BrokerRecord, IsolationLevel, TopicPartitionOffset } from '../../broker/broker'
import type { ParsedArgs } from '../arg-parser'
import { openCliBroker } from '../cli-broker'
import { onStopSignal, toolLogger, type CliIo, type Command } from '../cli-io'
import { decodeBytes } from '../record-text'
import { BROKER_OPTIONS } from '../worker-options'
import { TOPIC_OPTION, required, serdeOption, toolBroker } from './tool-options'

const IDLE_POLL_MS = 100

export const consumeCommand: Command = {
  spec: {
    name: 'consume',
    summary: 'Prints records of a topic, one per line, until --max records, --timeout-ms without new ones, or Ctrl-C.',
    positionals: [],
    options: [
      TOPIC_OPTION,
      { name: 'fromBeginning', flag: 'from-beginning', type: 'boolean', help: 'start at the oldest record instead of the end' },
      { name: 'max', flag: 'max', type: 'integer', min: 1, placeholder: '<n>', help: 'stop after this many records' },
      { name: 'timeoutMs', flag: 'timeout-ms', type: 'integer', min: 0, placeholder: '<ms>', defaultText: 'none: follow', help: 'stop after this long without a new record' },
      serdeOption('key'),
      serdeOption('value'),
      { name: 'partition', flag: 'partition', type: 'integer', min: 0, placeholder: '<n>', defaultText: 'all', help: 'read one partition only' },
      { name: 'isolation', flag: 'isolation', type: 'string', choices: ['read_committed', 'read_uncommitted'], defaultText: 'read_committed', help: 'whether records of open or aborted transactions are shown' },
      { name: 'format', flag: 'format', type: 'string', choices: ['text', 'json'], defaultText: 'text', help: 'text: key<TAB>value; json: one object per record with coordinates and headers' },
      ...BROKER_OPTIONS,
    ],
    details: 'A consumer outside any group: it commits nothing. Values that do not decode print as <not SERDE: N bytes>.',
  },
  async execute(args: ParsedArgs, io: CliIo): Promise<number> {
    const topic = required(args, 'topic')
    const max = (args.options.max as number | undefined) ?? Infinity
    const timeoutMs = args.options.timeoutMs as number | undefined
    const keySerde = (args.options.keySerde as SerdeName | undefined) ?? 'string'
    const valueSerde = (args.options.valueSerde as SerdeName | undefined) ?? 'string'
    const isolationLevel = (args.options.isolation as IsolationLevel | undefined) ?? 'read_committed'
    const print = args.options.format === 'json' ? (r: BrokerRecord) => asJson(r, keySerde, valueSerde) : (r: BrokerRecord) => `${decodeBytes(keySerde, r.key, r.topic)}\t${decodeBytes(valueSerde, r.value, r.topic)}`
    let stopped = false
    const stop = onStopSignal(() => (stopped = true))
    const broker = await openCliBroker(toolBroker(args, io), toolLogger(io))
    let printed = 0
    try {
      const positions = await startPositions(broker.admin(), topic, args.options.partition as number | undefined, args.options.fromBeginning === true, isolationLevel)
      const reader = broker.reader()
      let lastRecordAt = Date.now()
      while (!stopped && printed < max) {
        let found = 0
        for (const position of positions) {
          if (printed >= max) break
          position.offset = await reader.readToEnd({ ...position }, (batch) => {
            for (const record of batch) {
              if (printed >= max) return
              io.stdout.write(`${print(record)}\n`)
              printed++
              found++
            }
          }, { isolationLevel })
        }
        if (found > 0) lastRecordAt = Date.now()
        else if (timeoutMs !== undefined && Date.now() - lastRecordAt >= timeoutMs) break
        else await new Promise((r) => setTimeout(r, IDLE_POLL_MS))
      }
      await reader.close()
    } finally {
      stop.dispose()
      await broker.close()
    }
    io.stderr.write(`consumed ${printed} record${printed === 1 ? '' : 's'} from ${topic}\n`)
    return 0
  },
}

type Position = { -readonly [K in keyof TopicPartitionOffset]: TopicPartitionOffset[K] }

async function startPositions(
  admin: BrokerAdmin,
  topic: string,
  partition: number | undefined,
  fromBeginning: boolean,
  isolation: IsolationLevel,
): Promise<Position[]> {
  const count = (await admin.partitionCounts([topic])).get(topic)
  if (count === undefined) throw new StreamfoldError('TOPIC_NOT_FOUND', `topic ${topic} does not exist (streamfold topics list shows the topics)`)
  if (partition !== undefined && partition >= count) {
    throw new StreamfoldError('CONFIG_INVALID', `invalid value for --partition: expected an integer from 0 to ${count - 1} (${topic} has ${count}), got '${partition}'`)
  }
  const partitions = partition === undefined ? Array.from({ length: count }, (_, p) => ({ topic, partition: p })) : [{ topic, partition }]
  const offsets = fromBeginning ? await admin.beginningOffsets(partitions) : await admin.endOffsets(partitions, isolation)
  return offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset }))
}

function asJson(r: BrokerRecord, keySerde: SerdeName, valueSerde: SerdeName): string {
  return JSON.stringify({
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: r.key === null ? null : decodeBytes(keySerde, r.key, r.topic),
    value: r.value === null ? null : decodeBytes(valueSerde, r.value, r.topic),
    headers: r.headers.map(([k, v]) => [k, v.toString('utf8')]),
  })
}
