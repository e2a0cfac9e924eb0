/** PendingChanges (record-cache forwarding) alone, against a context that records what it forwards. */
import type { InternalProcessorContext } from '../../src/processors/internal-context'
import type { Change } from '../../src/processors/stateful/change'
import { MAX_PENDING_CHANGES, PendingChanges } from '../../src/processors/stateful/pending-changes'
import type { StreamRecord } from '../../src/processors/stream-record'
import { RecordHeaders } from '../../src/record-headers'
import type { ConsumedRecord } from '../../src/topology/node-spec'

interface Forwarded {
  readonly source: string | undefined
  readonly record: StreamRecord<string, Change<number>>
}

function recordingContext() {
  const forwarded: Forwarded[] = []
  const flushes: Array<() => boolean> = []
  let current: ConsumedRecord<unknown, unknown> | undefined
  const context = {
    forward: (record: StreamRecord<string, Change<number>>) => forwarded.push({ source: undefined, record }),
    forwardAs: (source: ConsumedRecord<unknown, unknown> | undefined, record: StreamRecord<string, Change<number>>) =>
      forwarded.push({ source: source === undefined ? undefined : `${source.topic}-${source.partition}@${source.offset}`, record }),
    onFlush: (flush: () => boolean) => flushes.push(flush),
    currentRecord: () => current,
  } as unknown as InternalProcessorContext<string, Change<number>>
  const processing = (offset: number) => {
    current = { key: 'k', value: 'v', timestamp: offset, headers: RecordHeaders.wrap([]), topic: 'in', partition: 0, offset }
  }
  return { context, forwarded, flushes, processing }
}

const h = RecordHeaders.wrap([])
const summary = (f: readonly Forwarded[]) => f.map(({ record: r, source }) => `${r.key}:${r.value.oldValue}->${r.value.newValue}@${r.timestamp} from ${source}`)

it('forwards at once when not cached', () => {
  const { context, forwarded, flushes } = recordingContext()
  const changes = new PendingChanges(context, false)
  changes.update('a', 'a', null, 1, 10, h)
  changes.update('a', 'a', 1, 2, 11, h)
  expect(summary(forwarded)).toEqual(['a:null->1@10 from undefined', 'a:1->2@11 from undefined'])
  expect(flushes).toEqual([])
})

it('holds updates until the flush: one Change per key, the first old value and the last update, in last-update order', () => {
  const { context, forwarded, flushes, processing } = recordingContext()
  const changes = new PendingChanges(context, true)
  expect(flushes).toHaveLength(1)
  processing(1)
  changes.update('b', 'b', null, 1, 10, h)
  processing(2)
  changes.update('a', 'a', 5, 6, 12, h)
  processing(3)
  changes.update('b', 'b', 1, 2, 11, h)
  processing(4)
  changes.update('a', 'a', 6, 7, 13, h)
  processing(5)
  changes.update('c', 'c', null, 1, 14, h)
  processing(6)
  changes.update('b', 'b', 2, 3, 15, h)
  expect(forwarded).toEqual([])
  expect(flushes[0]!()).toBe(true)
  // As Kafka Streams' NamedCache: a key updated again moves behind the others.
  expect(summary(forwarded)).toEqual(['a:5->7@13 from in-0@4', 'c:null->1@14 from in-0@5', 'b:null->3@15 from in-0@6'])
  expect(flushes[0]!()).toBe(false)
  // The next interval starts from what was forwarded.
  processing(7)
  changes.update('a', 'a', 7, 8, 16, h)
  flushes[0]!()
  expect(summary(forwarded).slice(3)).toEqual(['a:7->8@16 from in-0@7'])
})

it('forwards everything pending when the bound of distinct keys is reached, without waiting for the commit', () => {
  const { context, forwarded } = recordingContext()
  const changes = new PendingChanges(context, true, 3)
  changes.update('a', 'a', null, 1, 1, h)
  changes.update('b', 'b', null, 1, 1, h)
  changes.update('a', 'a', 1, 2, 1, h)
  expect(forwarded).toEqual([])
  changes.update('c', 'c', null, 1, 1, h)
  expect(summary(forwarded)).toEqual(['b:null->1@1 from undefined', 'a:null->2@1 from undefined', 'c:null->1@1 from undefined'])
  expect(MAX_PENDING_CHANGES).toBeGreaterThanOrEqual(1000)
})

it('forwards nothing for a key created and deleted between two flushes', () => {
  const { context, forwarded, flushes } = recordingContext()
  const changes = new PendingChanges(context, true)
  changes.update('a', 'a', null, 1, 1, h)
  changes.update('a', 'a', 1, null, 2, h)
  expect(flushes[0]!()).toBe(false)
  expect(forwarded).toEqual([])
})

it('keeps the Changes not forwarded yet when a forward throws (the handler said fail), so a caller that goes on loses none', () => {
  const { context, forwarded, flushes } = recordingContext()
  const forwardAs = context.forwardAs.bind(context)
  let failOn: string | undefined = 'b'
  context.forwardAs = (source, record) => {
    if (record.key === failOn) throw new Error('boom')
    forwardAs(source, record)
  }
  const changes = new PendingChanges(context, true)
  changes.update('a', 'a', null, 1, 1, h)
  changes.update('b', 'b', null, 1, 2, h)
  changes.update('c', 'c', null, 1, 3, h)
  expect(() => flushes[0]!()).toThrow('boom')
  failOn = undefined
  expect(flushes[0]!()).toBe(true)
  expect(summary(forwarded)).toEqual(['a:null->1@1 from undefined', 'c:null->1@3 from undefined'])
})
