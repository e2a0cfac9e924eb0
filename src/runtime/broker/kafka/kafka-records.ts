/**
 * Conversions between the binding's message shapes and the Broker port's records. The binding
 * represents headers as a list of one-key objects, which keeps repeated keys and their order.
 */
import type { HeaderEntry } from '../../../record-headers'
import type { BrokerRecord, TopicPartition } from '../broker'
import type { NativeMessage, NativeTopicPartition } from './rdkafka'

const NO_HEADERS: readonly HeaderEntry[] = []

export function toBrokerRecord(m: NativeMessage): BrokerRecord {
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    // -1 is Kafka's "no timestamp"; messages written by us always carry one.
    timestamp: m.timestamp ?? -1,
    key: toBuffer(m.key),
    value: m.value ?? null,
    headers: m.headers === undefined || m.headers.length === 0 ? NO_HEADERS : toHeaderEntries(m.headers),
  }
}

function toHeaderEntries(list: NonNullable<NativeMessage['headers']>): HeaderEntry[] {
  const out: HeaderEntry[] = []
  for (const h of list) {
    for (const k in h) out.push([k, toBuffer(h[k]) ?? Buffer.alloc(0)])
  }
  return out
}

/** The last list converted, as [name, value, name, value, ...]: the runtime sends one commit's
 *  changelog records with one shared header list. The binding only reads the converted list. */
let lastFlat: (string | Buffer)[] = []
let lastNative: Array<Record<string, Buffer>> | undefined

export function toNativeHeaders(headers: readonly HeaderEntry[]): Array<Record<string, Buffer>> | undefined {
  if (headers.length === 0) return undefined
  if (sameAsLast(headers)) return lastNative
  lastFlat = headers.flat()
  lastNative = headers.map(([k, v]) => ({ [k]: v }))
  return lastNative
}

function sameAsLast(headers: readonly HeaderEntry[]): boolean {
  if (headers.length * 2 !== lastFlat.length) return false
  for (let i = 0; i < headers.length; i++) {
    const [name, value] = headers[i]!
    if (name !== lastFlat[2 * i] || value !== lastFlat[2 * i + 1]) return false
  }
  return true
}

function toBuffer(v: Buffer | string | null | undefined): Buffer | null {
  if (v === undefined || v === null) return null
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v
}

export function partitionKey(tp: TopicPartition): string {
  return `${tp.partition}@${tp.topic}`
}

export function toTopicPartitions(list: readonly NativeTopicPartition[]): TopicPartition[] {
  return list.map((p) => ({ topic: p.topic, partition: p.partition }))
}

export function toNativePartitions(list: readonly TopicPartition[]): NativeTopicPartition[] {
  return list.map((p) => ({ topic: p.topic, partition: p.partition }))
}
