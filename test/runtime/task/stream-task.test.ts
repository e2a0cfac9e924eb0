import { Serdes, StreamBuilder, type Processor, type ProcessorContext } from 'streamfold'
import type { BrokerRecord, OutgoingRecord } from '../../../src/runtime/broker/broker'
import { StreamTask } from '../../../src/runtime/task/stream-task'
import type { RecordErrorHandlers } from '../../../src/runtime/task/record-error-handlers'

const str = Serdes.string()

function raw(topic: string, partition: number, offset: number, timestamp: number, value: string | Buffer): BrokerRecord {
  return { topic, partition, offset, timestamp, key: Buffer.from('k'), value: typeof value === 'string' ? Buffer.from(value) : value, headers: [] }
}

function collector(out: OutgoingRecord[]) {
  return { send: (r: OutgoingRecord) => void out.push(r), partitionsFor: () => 4 }
}

describe('StreamTask', () => {
  test('two tasks of one sub-topology never share processor instances or their state', () => {
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: str })
      .process((): Processor<string, string, string, string> => {
        let count = 0
        let ctx!: ProcessorContext<string, string>
        return {
          init: (c) => {
            ctx = c
          },
          process: (r) => ctx.forward({ ...r, value: `${ctx.taskId}:${++count}` }),
        }
      })
      .to('out', { key: str, value: str })
    const topology = b.build()
    const out: OutgoingRecord[] = []
    const tasks = [0, 1].map(
      (partition) =>
        new StreamTask({ applicationId: 'app', topology, subtopology: topology.subtopologies[0]!, partition, collector: collector(out), wallClock: () => 0 }),
    )
    for (const t of tasks) t.init()
    tasks[0]!.enqueue([raw('in', 0, 0, 1, 'a'), raw('in', 0, 1, 2, 'b')])
    tasks[1]!.enqueue([raw('in', 1, 0, 1, 'c')])
    while (tasks[0]!.process() || tasks[1]!.process()) {
      // drain both
    }
    expect(out.map((r) => r.value!.toString())).toEqual(['0_0:1', '0_0:2', '0_1:1'])
    expect(tasks.map((t) => t.id)).toEqual(['0_0', '0_1'])
    expect(tasks[0]!.consumedOffsets()).toEqual([{ topic: 'in', partition: 0, offset: 2 }])
    expect(tasks[1]!.consumedOffsets()).toEqual([{ topic: 'in', partition: 1, offset: 1 }])
  })

  test('co-partitioned inputs are processed in timestamp order across partitions', () => {
    const b = new StreamBuilder()
    b.stream(['left', 'right'], { key: str, value: str }).to('out', { key: str, value: str })
    const topology = b.build()
    const out: OutgoingRecord[] = []
    const task = new StreamTask({ applicationId: 'app', topology, subtopology: topology.subtopologies[0]!, partition: 2, collector: collector(out), wallClock: () => 0 })
    task.init()
    task.enqueue([raw('left', 2, 0, 10, 'l10'), raw('left', 2, 1, 30, 'l30')])
    task.enqueue([raw('right', 2, 0, 5, 'r5'), raw('right', 2, 1, 20, 'r20'), raw('right', 2, 2, 40, 'r40')])
    while (task.process()) {
      // drain
    }
    expect(out.map((r) => r.value!.toString())).toEqual(['r5', 'l10', 'r20', 'l30', 'r40'])
    expect(task.streamTime).toBe(40)
  })

  test('a record that cannot be deserialized goes to the handler; on continue its offset is done and processing goes on', () => {
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: Serdes.int32() }).to('out', { key: str, value: Serdes.int32() })
    const topology = b.build()
    const out: OutgoingRecord[] = []
    const reported: Array<{ code: string; offset: number | undefined; message: string }> = []
    const handlers: RecordErrorHandlers = {
      deserialization: (error) => {
        reported.push({ code: error.code, offset: error.coordinates.offset, message: error.message })
        return 'continue'
      },
      processing: () => 'fail',
    }
    const task = new StreamTask({ applicationId: 'app', topology, subtopology: topology.subtopologies[0]!, partition: 0, collector: collector(out), wallClock: () => 0, errorHandlers: handlers })
    task.init()
    const good = Serdes.int32().serialize(7, 'in')
    task.enqueue([raw('in', 0, 0, 1, Buffer.from('SECRET')), raw('in', 0, 1, 1, good), raw('in', 0, 2, 1, Buffer.from('xy'))])
    while (task.process()) {
      // drain
    }
    expect(out).toHaveLength(1)
    expect(reported.map((r) => [r.code, r.offset])).toEqual([
      ['DESERIALIZATION_FAILED', 0],
      ['DESERIALIZATION_FAILED', 2],
    ])
    for (const r of reported) expect(r.message).not.toContain('SECRET')
    expect(task.consumedOffsets()).toEqual([{ topic: 'in', partition: 0, offset: 3 }])
  })

  test('with the default handlers a bad record fails the task and its offset is not committed', () => {
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: Serdes.int32() }).to('out', { key: str, value: Serdes.int32() })
    const topology = b.build()
    const task = new StreamTask({ applicationId: 'app', topology, subtopology: topology.subtopologies[0]!, partition: 0, collector: collector([]), wallClock: () => 0 })
    task.init()
    task.enqueue([raw('in', 0, 0, 1, Serdes.int32().serialize(1, 'in')), raw('in', 0, 1, 1, Buffer.from('bad'))])
    expect(task.process()).toBe(true)
    expect(() => task.process()).toThrow(expect.objectContaining({ code: 'DESERIALIZATION_FAILED', coordinates: expect.objectContaining({ offset: 1, topic: 'in', partition: 0 }) }))
    expect(task.consumedOffsets()).toEqual([{ topic: 'in', partition: 0, offset: 1 }])
  })

  test('a timestamp extractor sets event time; a negative timestamp is rejected as INVALID_TIMESTAMP', () => {
    const b = new StreamBuilder()
    b.stream('in', { key: str, value: Serdes.json<{ at: number }>(), timestampExtractor: (r) => r.value.at }).to('out', { key: str, value: Serdes.json<{ at: number }>() })
    const topology = b.build()
    const out: OutgoingRecord[] = []
    const task = new StreamTask({ applicationId: 'app', topology, subtopology: topology.subtopologies[0]!, partition: 0, collector: collector(out), wallClock: () => 0 })
    task.init()
    task.enqueue([raw('in', 0, 0, 1, '{"at":12345}'), raw('in', 0, 1, 1, '{"at":-5}')])
    task.process()
    expect(out[0]!.timestamp).toBe(12345)
    expect(() => task.process()).toThrow(expect.objectContaining({ code: 'INVALID_TIMESTAMP' }))
  })
})
