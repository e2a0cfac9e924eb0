/**
 * The two KvStore implementations must agree on every range query: the in-memory broker is only
 * a faithful stand-in for the durable one if its store orders and bounds keys like LevelDB.
 */
import type { KeyRange, KvOp, KvStore } from '../../../../src/runtime/broker/embedded/kv-store'
import { scanAll } from '../../../../src/runtime/broker/embedded/kv-store'
import { LevelKvStore } from '../../../../src/runtime/broker/embedded/level-kv-store'
import { MemoryKvStore } from '../../../../src/runtime/broker/embedded/memory-kv-store'
import { useTempDir } from './embedded-test-support'

/** A small deterministic PRNG, so a failure reproduces. */
function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 0x1_0000_0000
  }
}

function randomKey(rand: () => number): Buffer {
  const length = 1 + Math.floor(rand() * 4)
  return Buffer.from(Array.from({ length }, () => Math.floor(rand() * 6) * 51))
}

function randomRange(rand: () => number): KeyRange {
  const r: { gt?: Buffer; gte?: Buffer; lt?: Buffer; lte?: Buffer; reverse?: boolean } = {}
  const lower = rand()
  if (lower < 0.33) r.gt = randomKey(rand)
  else if (lower < 0.66) r.gte = randomKey(rand)
  const upper = rand()
  if (upper < 0.33) r.lt = randomKey(rand)
  else if (upper < 0.66) r.lte = randomKey(rand)
  if (rand() < 0.5) r.reverse = true
  return r
}

describe('KvStore implementations', () => {
  const dir = useTempDir()

  it('agree with each other on random puts, deletes and range queries', async () => {
    const memory: KvStore = new MemoryKvStore()
    const level: KvStore = await LevelKvStore.open(dir())
    const rand = prng(42)
    try {
      for (let round = 0; round < 60; round++) {
        const ops: KvOp[] = Array.from({ length: 1 + Math.floor(rand() * 40) }, () =>
          rand() < 0.75 ? { type: 'put', key: randomKey(rand), value: Buffer.from(`v${round}`) } : { type: 'del', key: randomKey(rand) },
        )
        await memory.write(ops, false)
        await level.write(ops, false)
        for (let q = 0; q < 10; q++) {
          const range = randomRange(rand)
          const limit = rand() < 0.3 ? 1 + Math.floor(rand() * 5) : 1000
          const [m, l] = await Promise.all([memory.range(range, limit), level.range(range, limit)])
          expect(m.map(([k, v]) => [k.toString('hex'), v.toString()])).toEqual(l.map(([k, v]) => [k.toString('hex'), v.toString()]))
        }
      }
      const clearRange = { gte: Buffer.from([51]), lt: Buffer.from([153]) }
      await memory.clear(clearRange)
      await level.clear(clearRange)
      expect((await memory.range({}, 10_000)).map(([k]) => k.toString('hex'))).toEqual((await level.range({}, 10_000)).map(([k]) => k.toString('hex')))
    } finally {
      await level.close()
    }
  })

  it('keeps order across many chunks and pages through them with scanAll', async () => {
    const store = new MemoryKvStore()
    const keys = Array.from({ length: 5_000 }, (_, i) => Buffer.from(`${(i * 7919) % 5_000}`.padStart(6, '0')))
    for (let i = 0; i < keys.length; i += 100) await store.write(keys.slice(i, i + 100).map((key) => ({ type: 'put', key, value: key })), false)
    const seen: string[] = []
    await scanAll(store, { gte: Buffer.from('001000'), lt: Buffer.from('004000'), chunk: 333 }, (k) => void seen.push(k.toString()))
    expect(seen).toEqual(Array.from({ length: 3_000 }, (_, i) => `${i + 1_000}`.padStart(6, '0')))
    const reversed: string[] = []
    await scanAll(store, { lte: Buffer.from('000099'), reverse: true, chunk: 7 }, (k) => void reversed.push(k.toString()))
    expect(reversed).toEqual(Array.from({ length: 100 }, (_, i) => `${99 - i}`.padStart(6, '0')))
  })

  it('hands out copies, so a reader cannot change what is stored', async () => {
    const store = new MemoryKvStore()
    await store.write([{ type: 'put', key: Buffer.from('k'), value: Buffer.from('abc') }], false)
    const [[, value]] = (await store.range({}, 1)) as [[Buffer, Buffer]]
    value.fill(0)
    expect((await store.range({}, 1))[0]![1].toString()).toBe('abc')
  })
})
