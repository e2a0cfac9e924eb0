import { StreamfoldError } from '../../../errors'
import type { BrokerAdmin } from '../../broker/broker'
import type { ParsedArgs } from '../arg-parser'
import { openCliBroker } from '../cli-broker'
import { toolLogger, type CliIo, type Command } from '../cli-io'
import { BROKER_OPTIONS } from '../worker-options'
import { toolBroker } from './tool-options'

const ACTIONS = ['list', 'describe', 'create', 'delete'] as const
type Action = (typeof ACTIONS)[number]

export const topicsCommand: Command = {
  spec: {
    name: 'topics',
    summary: 'Lists, describes, creates or deletes topics.',
    positionals: [
      { name: 'action', required: true, help: `one of ${ACTIONS.join(', ')}` },
      { name: 'topic', required: false, variadic: true, help: 'the topic (describe, create) or topics (delete)' },
    ],
    options: [
      { name: 'partitions', flag: 'partitions', type: 'integer', min: 1, placeholder: '<n>', defaultText: '1', help: 'partitions of a created topic' },
      { name: 'topicConfig', flag: 'config', type: 'list', placeholder: '<key=value>', help: 'topic config of a created topic, e.g. cleanup.policy=compact' },
      ...BROKER_OPTIONS,
    ],
  },
  async execute(args: ParsedArgs, io: CliIo): Promise<number> {
    const [action, ...topics] = args.positionals as [string, ...string[]]
    if (!(ACTIONS as readonly string[]).includes(action)) throw usage(`unknown action '${action}'; accepted: ${ACTIONS.join(', ')}`)
    check(action as Action, topics, args)
    const broker = await openCliBroker(toolBroker(args, io), toolLogger(io))
    try {
      const admin = broker.admin()
      switch (action as Action) {
        case 'list':
          for (const name of await admin.listTopics()) io.stdout.write(`${name}\n`)
          return 0
        case 'describe':
          return await describe(admin, topics[0]!, io)
        case 'create':
          return await create(admin, topics[0]!, args, io)
        case 'delete':
          return await remove(admin, topics, io)
      }
    } finally {
      await broker.close()
    }
  },
}

function check(action: Action, topics: readonly string[], args: ParsedArgs): void {
  const wants = action === 'list' ? 0 : action === 'delete' ? -1 : 1
  if (wants === 0 && topics.length > 0) throw usage(`topics list takes no topic, got '${topics[0]}'`)
  if (wants === 1 && topics.length !== 1) throw usage(`topics ${action} takes exactly one <topic>, got ${topics.length}`)
  if (wants === -1 && topics.length === 0) throw usage('topics delete needs at least one <topic>')
  if (action !== 'create' && (args.options.partitions !== undefined || args.options.topicConfig !== undefined)) {
    throw usage('--partitions and --config apply to topics create only')
  }
}

async function describe(admin: BrokerAdmin, topic: string, io: CliIo): Promise<number> {
  const count = (await admin.partitionCounts([topic])).get(topic)
  if (count === undefined) throw new StreamfoldError('TOPIC_NOT_FOUND', `topic ${topic} does not exist`)
  const partitions = Array.from({ length: count }, (_, partition) => ({ topic, partition }))
  const [begin, end] = await Promise.all([admin.beginningOffsets(partitions), admin.endOffsets(partitions, 'read_uncommitted')])
  io.stdout.write(`${topic}\tpartitions: ${count}\n`)
  for (const { partition } of partitions) {
    const first = begin.find((o) => o.partition === partition)?.offset ?? 0
    const next = end.find((o) => o.partition === partition)?.offset ?? 0
    io.stdout.write(`  partition ${partition}\toffsets ${first}..${next}\n`)
  }
  return 0
}

async function create(admin: BrokerAdmin, topic: string, args: ParsedArgs, io: CliIo): Promise<number> {
  const partitions = (args.options.partitions as number | undefined) ?? 1
  const existing = (await admin.partitionCounts([topic])).get(topic)
  if (existing !== undefined) throw new StreamfoldError('ILLEGAL_STATE', `topic ${topic} exists already, with ${existing} partition${existing === 1 ? '' : 's'}`)
  const config: Record<string, string> = {}
  for (const pair of (args.options.topicConfig as readonly string[] | undefined) ?? []) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw usage(`invalid value for --config: expected key=value, got '${pair}'`)
    config[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  await admin.ensureTopics([{ name: topic, partitions, config }])
  io.stderr.write(`created ${topic} with ${partitions} partition${partitions === 1 ? '' : 's'}\n`)
  return 0
}

async function remove(admin: BrokerAdmin, topics: readonly string[], io: CliIo): Promise<number> {
  const counts = await admin.partitionCounts(topics)
  const missing = topics.filter((t) => !counts.has(t))
  if (missing.length > 0) throw new StreamfoldError('TOPIC_NOT_FOUND', `topics do not exist: ${missing.join(', ')}`)
  await admin.deleteTopics(topics)
  io.stderr.write(`deleted ${topics.join(', ')}\n`)
  return 0
}

function usage(message: string): StreamfoldError {
  return new StreamfoldError('CONFIG_INVALID', `topics: ${message} (see: streamfold topics --help)`)
}
