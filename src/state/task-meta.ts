/**
 * The task's bookkeeping next to its data, written in the same atomic batches:
 * - `__meta` `cl!<store>` -> `<partition>:<offset>`: the next changelog offset the store's local
 *   data already reflects (where restore starts);
 * - `__dedup` `o!<topic>\0<partition>` -> `<offset>`: the next source offset not yet applied to
 *   the state (records below it are redeliveries and are skipped).
 * Values are short ASCII decimals: one or two per store per commit, readable when debugging.
 */
import { StreamfoldError } from '../errors'
import type { TopicPartitionOffset } from '../runtime/broker/broker'
import { fromBinary, prefixEnd, toBinary } from './binary-key'
import type { ByteDb, DbOp } from './byte-db'
import { APPLIED_OFFSET_PREFIX, CHANGELOG_OFFSET_PREFIX } from './key-space'

export interface ChangelogPosition {
  readonly partition: number
  readonly offset: number
}

export function changelogPositionOp(storeName: string, position: ChangelogPosition): DbOp {
  return {
    type: 'put',
    key: CHANGELOG_OFFSET_PREFIX + storeName,
    value: Buffer.from(`${position.partition}:${position.offset}`, 'latin1'),
  }
}

export function appliedOffsetOp({ topic, partition, offset }: TopicPartitionOffset): DbOp {
  return { type: 'put', key: appliedKey(topic, partition), value: Buffer.from(String(offset), 'latin1') }
}

export async function loadChangelogPositions(db: ByteDb, taskId: string): Promise<Map<string, ChangelogPosition>> {
  const positions = new Map<string, ChangelogPosition>()
  for await (const [key, value] of scan(db, CHANGELOG_OFFSET_PREFIX)) {
    const [partition, offset] = value.toString('latin1').split(':').map(Number)
    if (!isOffset(partition) || !isOffset(offset)) throw corrupted(taskId, 'malformed changelog position in __meta')
    positions.set(key, { partition, offset })
  }
  return positions
}

/** Applied source offsets by `partitionKey(topic, partition)`. */
export async function loadAppliedOffsets(db: ByteDb, taskId: string): Promise<Map<string, TopicPartitionOffset>> {
  const applied = new Map<string, TopicPartitionOffset>()
  for await (const [key, value] of scan(db, APPLIED_OFFSET_PREFIX)) {
    const bytes = fromBinary(key)
    const separator = bytes.indexOf(0)
    const partition = Number(bytes.toString('latin1', separator + 1))
    const offset = Number(value.toString('latin1'))
    if (separator < 0 || !isOffset(partition) || !isOffset(offset)) {
      throw corrupted(taskId, 'malformed applied offset in __dedup')
    }
    const topic = bytes.toString('utf8', 0, separator)
    applied.set(partitionKey(topic, partition), { topic, partition, offset })
  }
  return applied
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

function appliedKey(topic: string, partition: number): string {
  return `${APPLIED_OFFSET_PREFIX}${toBinary(Buffer.from(topic, 'utf8'))}\u0000${partition}`
}

/** Entries under `prefix`, keys without it. */
async function* scan(db: ByteDb, prefix: string): AsyncGenerator<readonly [string, Buffer]> {
  for await (const rows of db.iterate(prefix, prefixEnd(prefix)!)) {
    for (const [key, value] of rows) yield [key.slice(prefix.length), value]
  }
}

function isOffset(n: number | undefined): n is number {
  return n !== undefined && Number.isSafeInteger(n) && n >= 0
}

function corrupted(taskId: string, message: string): StreamfoldError {
  return new StreamfoldError('STATE_CORRUPTED', message, { taskId })
}
