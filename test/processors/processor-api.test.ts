import { ProcessingError, RecordHeaders, Serdes, StreamBuilder, TopologyBuilder, type Cancellable, type Processor, type ProcessorContext, type StreamRecord } from 'streamfold'
import { TopologyTestDriver } from 'streamfold/testing'

const str = Serdes.string()

/** Forwards a line for every punctuation, so tests can see exactly when punctuators fired. */
class Ticker implements Processor<string, string, string, string> {
  private ctx!: ProcessorContext<string, string>
  private handle: Cancellable | undefined
  constructor(
    private readonly interval: number,
    private readonly type: 'stream-time' | 'wall-clock',
  ) {}
  init(ctx: ProcessorContext<string, string>): void {
    this.ctx = ctx
    this.handle = ctx.schedule(this.interval, this.type, (t) => {
      ctx.forward({ key: 'tick', value: String(t), timestamp: t, headers: ctx.recordMetadata()?.headers ?? RecordHeaders.EMPTY })
    })
  }
  process(record: StreamRecord<string, string>): void {
    if (record.value === 'cancel') this.handle?.cancel()
    this.ctx.forward(record)
  }
}

function tickerTopology(interval: number, type: 'stream-time' | 'wall-clock') {
  const b = new StreamBuilder()
  b.stream('in', { key: str, value: str })
    .process(() => new Ticker(interval, type), { name: 'ticker' })
    .to('out', { key: str, value: str })
  return b.build()
}

function ticks(driver: TopologyTestDriver): string[] {
  return driver
    .createOutputTopic('out', str, str)
    .readKeyValuesToList()
    .filter((kv) => kv.key === 'tick')
    .map((kv) => kv.value!)
}

describe('Processor API', () => {
  test('stream-time punctuation fires only when record timestamps advance stream time, aligned to the interval', () => {
    const d = new TopologyTestDriver(tickerTopology(10, 'stream-time'), { initialWallClockTimeMs: 0 })
    const input = d.createInputTopic('in', str, str)
    expect(ticks(d)).toEqual([]) // no records, no stream time, no punctuation
    input.pipeInput('a', 'x', 0) // stream time 0: first due time is 0
    expect(ticks(d)).toEqual(['0'])
    input.pipeInput('a', 'x', 9)
    expect(ticks(d)).toEqual([])
    d.advanceWallClockTime(1_000_000) // wall clock does not move stream time
    expect(ticks(d)).toEqual([])
    input.pipeInput('a', 'x', 10)
    expect(ticks(d)).toEqual(['10'])
    input.pipeInput('a', 'x', 5) // out of order: stream time stays 10
    expect(ticks(d)).toEqual([])
    input.pipeInput('a', 'x', 47) // a gap: fires once with the current time, then realigns to 50
    expect(ticks(d)).toEqual(['47'])
    input.pipeInput('a', 'x', 49)
    expect(ticks(d)).toEqual([])
    input.pipeInput('a', 'x', 50)
    expect(ticks(d)).toEqual(['50'])
    d.close()
  })

  test('wall-clock punctuation fires on advanceWallClockTime, interval after scheduling', () => {
    const d = new TopologyTestDriver(tickerTopology(100, 'wall-clock'), { initialWallClockTimeMs: 1_000 })
    const input = d.createInputTopic('in', str, str)
    input.pipeInput('a', 'x', 5_000_000) // records do not move the wall clock
    expect(ticks(d)).toEqual([])
    d.advanceWallClockTime(99)
    expect(ticks(d)).toEqual([])
    d.advanceWallClockTime(1)
    expect(ticks(d)).toEqual(['1100'])
    d.advanceWallClockTime(250) // 1350: one punctuation, next due 1400
    expect(ticks(d)).toEqual(['1350'])
    d.advanceWallClockTime(50)
    expect(ticks(d)).toEqual(['1400'])
    d.close()
  })

  test('cancel stops a punctuator', () => {
    const d = new TopologyTestDriver(tickerTopology(10, 'wall-clock'), { initialWallClockTimeMs: 0 })
    const input = d.createInputTopic('in', str, str)
    d.advanceWallClockTime(10)
    expect(ticks(d)).toEqual(['10'])
    input.pipeInput('a', 'cancel', 1)
    d.advanceWallClockTime(100)
    expect(ticks(d)).toEqual([])
    d.close()
  })

  test('context exposes record metadata, task id and forward(record, child) to one child', () => {
    const seen: unknown[] = []
    const topology = new TopologyBuilder()
      .addSource('src', 'in', { key: str, value: str })
      .addProcessor(
        'router',
        (): Processor<string, string, string, string> => {
          let ctx!: ProcessorContext<string, string>
          return {
            init: (c) => {
              ctx = c
            },
            process: (r) => {
              const meta = ctx.recordMetadata()
              seen.push({ topic: meta?.topic, partition: meta?.partition, offset: meta?.offset, task: ctx.taskId, trace: meta?.headers.getString('trace') })
              ctx.forward(r, r.value === 'left' ? 'to-left' : 'to-right')
            },
          }
        },
        'src',
      )
      .addSink('to-left', 'left', { key: str, value: str }, 'router')
      .addSink('to-right', 'right', { key: str, value: str }, 'router')
      .build()
    const d = new TopologyTestDriver(topology)
    const input = d.createInputTopic('in', str, str)
    input.pipeRecord({ key: 'a', value: 'left', headers: { trace: 'abc' } })
    input.pipeInput('b', 'right')
    expect(d.createOutputTopic('left', str, str).readValuesToList()).toEqual(['left'])
    expect(d.createOutputTopic('right', str, str).readValuesToList()).toEqual(['right'])
    expect(seen).toEqual([
      { topic: 'in', partition: 0, offset: 0, task: '0_0', trace: 'abc' },
      { topic: 'in', partition: 0, offset: 1, task: '0_0', trace: undefined },
    ])
    d.close()
  })

  test('forward to an unknown child and a store that is not connected fail with coded errors naming the node', () => {
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: str }).process<string, string>(
      () => {
        let ctx!: ProcessorContext<string, string>
        return {
          init: (c) => {
            ctx = c
          },
          process: (r) => (r.value === 'store' ? ctx.getStateStore('nope') : ctx.forward(r, 'nobody')),
        }
      },
      { name: 'bad' },
    )
    const d = new TopologyTestDriver(b.build())
    const input = d.createInputTopic('in', str, str)
    expect(() => input.pipeInput('k', 'x')).toThrow(expect.objectContaining({ code: 'UNKNOWN_CHILD', coordinates: expect.objectContaining({ node: 'bad' }) }))
    expect(() => input.pipeInput('k', 'store')).toThrow(expect.objectContaining({ code: 'UNKNOWN_STATE_STORE' }))
    d.close()
  })

  test('an exception in user code becomes a ProcessingError with task, node and record coordinates, without the record contents', () => {
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: str })
      .mapValues((_k, v) => v, { name: 'fine' })
      .filter((_k, v) => {
        throw new Error(`boom with ${v}`)
      }, { name: 'explodes' })
    const d = new TopologyTestDriver(b.build())
    const input = d.createInputTopic('in', str, str)
    let thrown: unknown
    try {
      input.pipeInput('k', 'SECRET', 1)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ProcessingError)
    const error = thrown as ProcessingError
    expect(error.code).toBe('PROCESSING_FAILED')
    expect(error.coordinates).toEqual({ taskId: '0_0', node: 'explodes', topic: 'in', partition: 0, offset: 0 })
    expect(error.message).not.toContain('SECRET')
    expect((error.cause as Error).message).toContain('SECRET') // the original stays available to the handler
    d.close()
  })

  test('each task gets fresh processor instances; a supplier returning a shared instance is rejected', () => {
    let created = 0
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: str }).process(() => {
      created++
      return { process: () => undefined }
    })
    const topology = b.build()
    new TopologyTestDriver(topology).close()
    new TopologyTestDriver(topology).close()
    expect(created).toBe(2)

    const shared: Processor<string, string> = { process: () => undefined }
    const b2 = new StreamBuilder()
    b2.stream('in', { key: str, value: str }).process(() => shared, { name: 'shared' })
    const t2 = b2.build()
    new TopologyTestDriver(t2).close()
    expect(() => new TopologyTestDriver(t2)).toThrow(/returned a processor object it had returned before/)
  })

  test('init and close are called once per processor', () => {
    const calls: string[] = []
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: str }).process(() => ({
      init: () => calls.push('init'),
      process: () => calls.push('process'),
      close: () => calls.push('close'),
    }))
    const d = new TopologyTestDriver(b.build())
    d.createInputTopic('in', str, str).pipeInput('a', 'b')
    d.close()
    d.close()
    expect(calls).toEqual(['init', 'process', 'close'])
  })
})
