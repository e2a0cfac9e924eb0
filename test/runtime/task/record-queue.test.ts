import type { BrokerRecord } from '../../../src/runtime/broker/broker'
import { RecordQueue } from '../../../src/runtime/task/record-queue'
import type { SourceNode } from '../../../src/runtime/task/source-node'

// A source whose deserialize is the identity on the fields RecordQueue reads.
const source = {
  deserialize: (raw: BrokerRecord) => ({ ...raw, key: null, value: raw.value?.toString() ?? null }),
} as unknown as SourceNode

function raw(offset: number): BrokerRecord {
  return { topic: 't', partition: 0, offset, timestamp: offset, key: null, value: Buffer.from(String(offset)), headers: [] }
}

const fail = (error: unknown): never => {
  throw error
}

/** Takes `n` records from the head, checking each against the offset expected next. */
function take(queue: RecordQueue, n: number, next: { offset: number }): void {
  for (let i = 0; i < n; i++) {
    const head = queue.peek(fail)
    expect(queue.rawHead()?.offset).toBe(next.offset)
    expect(head?.value).toBe(String(next.offset))
    queue.poll()
    next.offset++
  }
}

describe('RecordQueue', () => {
  test('keeps offset order through reuse of an emptied queue and through compaction', () => {
    const queue = new RecordQueue('t', 0, source)
    const next = { offset: 0 }
    let fed = 0
    // One record at a time (the runtime's usual feeding): the emptied queue starts over.
    for (let i = 0; i < 10; i++) {
      queue.push(raw(fed++))
      take(queue, 1, next)
      expect(queue.size).toBe(0)
    }
    // Long runs: more than 1024 taken with records still waiting moves the rest to the front.
    for (let round = 0; round < 3; round++) {
      queue.add(Array.from({ length: 3000 }, () => raw(fed++)))
      take(queue, 2500, next)
      queue.push(raw(fed++))
      expect(queue.size).toBe(fed - next.offset)
    }
    take(queue, fed - next.offset, next)
    expect(queue.size).toBe(0)
    expect(queue.peek(fail)).toBeUndefined()
    expect(queue.rawHead()).toBeUndefined()
    expect(queue.nextOffset).toBe(fed)
  })

  test('a record that cannot be deserialized is passed on, skipped and counted as done', () => {
    const failing = {
      deserialize: (r: BrokerRecord) => {
        if (r.offset === 1) throw new Error('bad')
        return { ...r, value: String(r.offset) }
      },
    } as unknown as SourceNode
    const queue = new RecordQueue('t', 0, failing)
    queue.add([raw(0), raw(1), raw(2)])
    const bad: number[] = []
    expect(queue.peek(() => undefined)?.offset).toBe(0)
    queue.poll()
    expect(queue.peek((_e, r) => void bad.push(r.offset))?.offset).toBe(2)
    expect(bad).toEqual([1])
    queue.poll()
    expect(queue.size).toBe(0)
    expect(queue.nextOffset).toBe(3)
  })

  test('clear drops what is waiting', () => {
    const queue = new RecordQueue('t', 0, source)
    queue.add([raw(0), raw(1)])
    queue.clear()
    expect(queue.size).toBe(0)
    expect(queue.peek(fail)).toBeUndefined()
    queue.push(raw(5))
    expect(queue.peek(fail)?.offset).toBe(5)
  })
})
