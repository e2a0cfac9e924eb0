/**
 * kafka-streams-application-reset for streamfold: the application must be stopped everywhere.
 *   1. rewind the group's committed offsets of the input topics to their beginning
 *      (first, because it fails while the group has members: nothing is touched then);
 *   2. delete the internal topics (`<applicationId>-...-repartition`, `-changelog`): the next
 *      start creates them empty;
 *   3. delete the local state of this machine's instance (`<stateDir>/<applicationId>`), keeping
 *      its process id so the next start's transactional id still fences an old producer.
 * Output topics are left alone, as Kafka's tool does. Run step 3 on every machine (--local-only).
 */
import { readdir, readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import { StreamfoldError } from '../../../errors'
import type { BrokerAdmin, TopicPartition } from '../../broker/broker'
import type { ParsedArgs } from '../arg-parser'
import { openCliBroker } from '../cli-broker'
import { toolLogger, type CliIo, type Command } from '../cli-io'
import { BROKER_OPTIONS, DEFAULT_STATE_DIR } from '../worker-options'
import { toolBroker } from './tool-options'

const KEEP_FILES = new Set(['process-metadata.json'])

export const resetCommand: Command = {
  spec: {
    name: 'reset',
    summary: "Resets an application to reprocess its input from the beginning: rewinds its input offsets, deletes its internal topics and this machine's local state.",
    positionals: [{ name: 'applicationId', required: true, help: 'the application (consumer group) to reset; stop all its instances first' }],
    options: [
      { name: 'inputTopics', flag: 'input-topics', type: 'list', placeholder: '<topic[,topic...]>', defaultText: 'every topic the group has committed offsets on', help: 'input topics to rewind' },
      { name: 'stateDir', flag: 'state-dir', type: 'string', env: 'STREAMFOLD_STATE_DIR', placeholder: '<dir>', defaultText: DEFAULT_STATE_DIR, help: 'the state directory the instance ran with' },
      { name: 'localOnly', flag: 'local-only', type: 'boolean', help: "only delete this machine's local state (for the other machines of a reset app)" },
      { name: 'dryRun', flag: 'dry-run', type: 'boolean', help: 'print what would be done, do nothing' },
      ...BROKER_OPTIONS,
    ],
  },
  async execute(args: ParsedArgs, io: CliIo): Promise<number> {
    const applicationId = args.positionals[0]!
    const stateDir = path.resolve((args.options.stateDir as string | undefined) ?? io.env.STREAMFOLD_STATE_DIR ?? DEFAULT_STATE_DIR)
    const localDir = path.join(stateDir, applicationId)
    const dryRun = args.options.dryRun === true
    const say = (line: string): boolean => io.stdout.write(`${dryRun ? '[dry run] ' : ''}${line}\n`)
    await refuseIfRunning(localDir)
    if (args.options.localOnly !== true) {
      const broker = await openCliBroker(toolBroker(args, io), toolLogger(io))
      try {
        const admin = broker.admin()
        const topics = await admin.listTopics()
        const internal = topics.filter((t) => t.startsWith(`${applicationId}-`) && (t.endsWith('-repartition') || t.endsWith('-changelog')))
        const inputs = await inputPartitions(admin, applicationId, topics, internal, args.options.inputTopics as readonly string[] | undefined)
        const beginnings = inputs.length === 0 ? [] : await admin.beginningOffsets(inputs)
        say(`input offsets of group ${applicationId} rewound to the beginning: ${describe(beginnings)}`)
        if (!dryRun && beginnings.length > 0) {
          await admin.setCommittedOffsets(applicationId, beginnings).catch((error: unknown) => {
            throw new StreamfoldError('ILLEGAL_STATE', `cannot rewind group ${applicationId}: stop every instance of the application first`, { cause: error })
          })
        }
        say(`internal topics deleted: ${internal.length === 0 ? 'none' : internal.join(', ')}`)
        if (!dryRun && internal.length > 0) await admin.deleteTopics(internal)
      } finally {
        await broker.close()
      }
    }
    const removed = await localState(localDir)
    say(`local state deleted: ${removed.length === 0 ? `none in ${localDir}` : removed.map((f) => path.join(localDir, f)).join(', ')}`)
    if (!dryRun) for (const entry of removed) await rm(path.join(localDir, entry), { recursive: true, force: true })
    return 0
  },
}

async function inputPartitions(admin: BrokerAdmin, groupId: string, topics: readonly string[], internal: readonly string[], given: readonly string[] | undefined): Promise<TopicPartition[]> {
  const candidates = given === undefined ? topics.filter((t) => !internal.includes(t)) : given.flatMap((t) => t.split(',')).filter((t) => t !== '')
  const counts = await admin.partitionCounts(candidates)
  const missing = candidates.filter((t) => !counts.has(t))
  if (missing.length > 0) throw new StreamfoldError('TOPIC_NOT_FOUND', `invalid --input-topics: topics do not exist: ${missing.join(', ')}`)
  const partitions = candidates.flatMap((topic) => Array.from({ length: counts.get(topic)! }, (_, partition) => ({ topic, partition })))
  if (given !== undefined || partitions.length === 0) return partitions
  // Without a list: the topics the group has consumed, as far as its committed offsets tell.
  const committed = await admin.committedOffsets(groupId, partitions)
  const consumed = new Set(committed.map((c) => c.topic))
  return partitions.filter((tp) => consumed.has(tp.topic))
}

async function refuseIfRunning(localDir: string): Promise<void> {
  const owner = Number.parseInt(await readFile(path.join(localDir, 'instance.lock'), 'utf8').catch(() => ''), 10)
  if (!Number.isInteger(owner) || owner === process.pid) return
  try {
    process.kill(owner, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return // a stale lock of a dead process
  }
  throw new StreamfoldError('STATE_DIR_LOCKED', `state directory ${localDir} is in use by process ${owner}: stop the application before resetting it`)
}

async function localState(dir: string): Promise<string[]> {
  const entries = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[]
    throw error
  })
  return entries.filter((e) => !KEEP_FILES.has(e)).sort()
}

function describe(offsets: ReadonlyArray<TopicPartition & { readonly offset: number }>): string {
  if (offsets.length === 0) return 'none'
  const byTopic = new Map<string, string[]>()
  for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), `${o.partition}@${o.offset}`])
  return [...byTopic].map(([topic, parts]) => `${topic} [${parts.join(' ')}]`).join(', ')
}
