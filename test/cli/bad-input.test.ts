/**
 * Bad input through a running worker (a real `streamfold run` process, exactly_once on the
 * embedded broker): 12,000 orders mixing valid JSON and msgpack with invalid JSON, truncated
 * msgpack, empty values, wrong types and oversized values. Every valid order is summed, every
 * malformed one is in the dead-letter topic with its original bytes and the right headers, and
 * the worker keeps running throughout.
 */
import path from 'node:path'
import { Serdes } from 'streamfold'
import type { BrokerRecord, OutgoingRecord } from '../../src/runtime/broker/broker'
import { DEAD_LETTER_HEADERS } from '../../src/runtime/errors/dead-letter-record'
import { produce, readTopic, waitFor } from '../integration/support/app-test-kit'
import { FIXTURES, startCli, tempDirs } from './support/cli-process'
import { httpGet, httpPort, metricValue, withBroker, workerDirs } from './support/worker-kit'

const tempDir = tempDirs()
jest.setTimeout(180_000)

const TOTAL = 12_000
const KINDS = ['json', 'msgpack', 'invalid-json', 'truncated-msgpack', 'empty', 'wrong-type', 'oversized'] as const
type Kind = (typeof KINDS)[number]
const EXPECTED: Readonly<Record<Exclude<Kind, 'json' | 'msgpack'>, [stage: string, code: string]>> = {
  'invalid-json': ['deserialization', 'DESERIALIZATION_FAILED'],
  'truncated-msgpack': ['deserialization', 'DESERIALIZATION_FAILED'],
  empty: ['deserialization', 'DESERIALIZATION_FAILED'],
  'wrong-type': ['processing', 'PROCESSING_FAILED'],
  oversized: ['processing', 'PROCESSING_FAILED'],
}

interface Case {
  readonly id: string
  readonly kind: Kind
  readonly record: OutgoingRecord
  readonly customer: string
  readonly amount: number
}

function cases(): Case[] {
  let seed = 42
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed / 2147483648
  }
  const json = Serdes.json<unknown>()
  const msgpack = Serdes.msgpack<unknown>()
  const out: Case[] = []
  for (let i = 0; i < TOTAL; i++) {
    const r = random()
    // About a third malformed, in every kind; oversized ones are few (each is 100 KB).
    const kind: Kind = r < 0.35 ? 'json' : r < 0.67 ? 'msgpack' : r < 0.74 ? 'invalid-json' : r < 0.81 ? 'truncated-msgpack' : r < 0.88 ? 'empty' : r < 0.997 ? 'wrong-type' : 'oversized'
    const customer = `c${Math.floor(random() * 40)}`
    const amount = Math.round(random() * 10_000) / 100
    const order = { amount }
    let topic = kind === 'msgpack' || kind === 'truncated-msgpack' || (kind === 'empty' && random() < 0.5) ? 'orders-msgpack' : 'orders-json'
    let value: Buffer
    switch (kind) {
      case 'json':
        value = json.serialize(order, topic)
        break
      case 'msgpack':
        value = msgpack.serialize(order, topic)
        break
      case 'invalid-json':
        value = Buffer.from(`{"amount":${amount}`)
        break
      case 'truncated-msgpack': {
        const full = msgpack.serialize({ amount, note: 'abc' }, topic)
        value = full.subarray(0, 1 + Math.floor(random() * (full.length - 1)))
        break
      }
      case 'empty':
        value = Buffer.alloc(0)
        break
      case 'wrong-type':
        value = json.serialize(random() < 0.5 ? { amount: String(amount) } : [amount], topic)
        break
      case 'oversized':
        topic = 'orders-json'
        value = json.serialize({ amount, note: 'x'.repeat(100_000) }, topic)
        break
    }
    const id = String(i)
    out.push({ id, kind, customer, amount, record: { topic, key: Buffer.from(customer), value, timestamp: 1_000_000 + i, headers: [['id', Buffer.from(id)]] } })
  }
  return out
}

function header(record: BrokerRecord, name: string): string | undefined {
  return [...record.headers].reverse().find(([k]) => k === name)?.[1].toString('utf8')
}

it('dead-letters every malformed record with its bytes and coordinates, processes every valid one, keeps running', async () => {
  const dirs = workerDirs(tempDir('bad-input'))
  const all = cases()
  const bad = all.filter((c) => c.kind !== 'json' && c.kind !== 'msgpack')
  for (const kind of KINDS) expect(all.filter((c) => c.kind === kind).length).toBeGreaterThan(kind === 'oversized' ? 10 : 500)
  const input = new Map<string, BrokerRecord>()
  await withBroker(dirs.dataDir, async (broker) => {
    await broker.admin().ensureTopics(['orders-json', 'orders-msgpack', 'totals'].map((name) => ({ name, partitions: 2 })))
    await produce(broker, all.map((c) => c.record))
    for (const topic of ['orders-json', 'orders-msgpack']) for (const r of await readTopic(broker, topic)) input.set(header(r, 'id')!, r)
  })
  expect(input.size).toBe(TOTAL)

  const run = startCli([
    'run',
    path.join(FIXTURES, 'orders-module.ts'),
    ...dirs.flags,
    '--on-deserialization-error',
    'deadLetter',
    '--on-processing-error',
    'deadLetter',
    '--http-port',
    '0',
  ])
  const port = await httpPort(run)
  const deserialization = bad.filter((c) => EXPECTED[c.kind as keyof typeof EXPECTED][0] === 'deserialization').length
  let metrics = ''
  await waitFor(async () => {
    metrics = (await httpGet(port, '/metrics')).body
    // Records that could not be deserialized never reach a processor: they count as errors, not as processed.
    return (
      metricValue(metrics, 'streamfold_records_processed_total') >= TOTAL - deserialization &&
      metricValue(metrics, 'streamfold_record_errors_total') >= bad.length &&
      metrics.includes('streamfold_consumer_lag_records{') &&
      metricValue(metrics, 'streamfold_consumer_lag_records') === 0
    )
  }, 120_000, 'every input record handled and committed')
  // Still alive and ready after thousands of bad records.
  expect((await httpGet(port, '/healthz')).status).toBe(200)
  expect((await httpGet(port, '/readyz')).status).toBe(200)
  expect(run.child.exitCode).toBeNull()
  expect(metricValue(metrics, 'streamfold_records_processed_total')).toBe(TOTAL - deserialization)
  expect(metricValue(metrics, 'streamfold_record_errors_total', 'stage="deserialization",outcome="dead_lettered"')).toBe(deserialization)
  expect(metricValue(metrics, 'streamfold_record_errors_total', 'stage="processing",outcome="dead_lettered"')).toBe(bad.length - deserialization)
  run.child.kill('SIGTERM')
  expect(await run.exited).toBe(0)

  await withBroker(dirs.dataDir, async (broker) => {
    const dead = await readTopic(broker, 'cli-orders-dead-letters', 'read_committed')
    expect(dead).toHaveLength(bad.length)
    const byId = new Map(dead.map((r) => [header(r, 'id')!, r]))
    for (const c of bad) {
      const letter = byId.get(c.id)
      const source = input.get(c.id)!
      expect(letter).toBeDefined()
      const [stage, code] = EXPECTED[c.kind as keyof typeof EXPECTED]
      expect({ id: c.id, kind: c.kind, key: letter!.key, value: letter!.value, timestamp: letter!.timestamp }).toEqual({ id: c.id, kind: c.kind, key: source.key, value: source.value, timestamp: source.timestamp })
      expect({
        stage: header(letter!, DEAD_LETTER_HEADERS.stage),
        code: header(letter!, DEAD_LETTER_HEADERS.code),
        topic: header(letter!, DEAD_LETTER_HEADERS.topic),
        partition: header(letter!, DEAD_LETTER_HEADERS.partition),
        offset: header(letter!, DEAD_LETTER_HEADERS.offset),
        task: header(letter!, DEAD_LETTER_HEADERS.task),
      }).toEqual({ stage, code, topic: source.topic, partition: String(source.partition), offset: String(source.offset), task: `0_${source.partition}` })
      expect(header(letter!, DEAD_LETTER_HEADERS.message)?.length).toBeGreaterThan(0)
      if (stage === 'processing') expect(header(letter!, DEAD_LETTER_HEADERS.node)).toBe(c.record.topic === 'orders-json' ? 'check-json' : 'check-msgpack')
    }
    const totals = new Map<string, number>()
    for (const r of await readTopic(broker, 'totals', 'read_committed')) totals.set(r.key!.toString(), Serdes.double().deserialize(r.value!, 'totals'))
    const reference = new Map<string, number>()
    for (const c of all) if (c.kind === 'json' || c.kind === 'msgpack') reference.set(c.customer, (reference.get(c.customer) ?? 0) + c.amount)
    expect([...totals.keys()].sort()).toEqual([...reference.keys()].sort())
    for (const [customer, sum] of reference) expect(totals.get(customer)).toBeCloseTo(sum, 6)
  })
  // The log names codes and coordinates for what it reports, never record contents.
  expect(run.stdout()).not.toContain('xxxxxxxxxx')
})
