/**
 * Type-level tests: `npm test` typechecks this file (tsc --noEmit) before jest runs it, so a
 * wrong inference or a `@ts-expect-error` that no longer errors fails the suite.
 */
import { expectTypeOf } from 'expect-type'
import { Serdes, StreamBuilder, type KStream, type Processor, type StreamRecord } from 'streamfold'
import { TopologyTestDriver, type KeyValue } from 'streamfold/testing'

interface View {
  readonly url: string
  readonly ms: number
}

describe('DSL type inference', () => {
  const b = new StreamBuilder()
  const views = b.stream('views', { key: Serdes.string(), value: Serdes.json<View>() })

  test('stream() takes K and V from its serdes', () => {
    expectTypeOf(views).toEqualTypeOf<KStream<string, View>>()
    expectTypeOf(b.stream('n', { key: Serdes.int64(), value: Serdes.double() })).toEqualTypeOf<KStream<bigint, number>>()
  })

  test('mapValues keeps K; map changes both; selectKey changes K', () => {
    expectTypeOf(views.mapValues((_k, v) => v.ms)).toEqualTypeOf<KStream<string, number>>()
    expectTypeOf(views.map((_k, v) => [v.ms, v.url] as [number, string])).toEqualTypeOf<KStream<number, string>>()
    expectTypeOf(views.selectKey((_k, v) => v.url.length)).toEqualTypeOf<KStream<number, View>>()
    expectTypeOf(views.flatMapValues((_k, v) => [v.url])).toEqualTypeOf<KStream<string, string>>()
    expectTypeOf(views.flatMap((k, v) => [[v.ms, k] as const])).toEqualTypeOf<KStream<number, string>>()
    expectTypeOf(views.filter((_k, v) => v.ms > 0)).toEqualTypeOf<KStream<string, View>>()
  })

  test('lambdas receive (key, value) with the stream types', () => {
    views.peek((key, value) => {
      expectTypeOf(key).toEqualTypeOf<string>()
      expectTypeOf(value).toEqualTypeOf<View>()
    })
  })

  test('a wrong type in a chain is a compile error', () => {
    // @ts-expect-error View has no field `nope`
    views.mapValues((_k, v) => v.nope)
    // @ts-expect-error the key is a string, not a number
    views.filter((k: number) => k > 0)
    // @ts-expect-error values are numbers after mapValues; a string serde cannot write them
    views.mapValues((_k, v) => v.ms).to('out', { key: Serdes.string(), value: Serdes.string() })
    // @ts-expect-error a map mapper must return a [key, value] pair
    views.map((_k, v) => v.ms)
    // @ts-expect-error merge needs the same key and value types
    views.merge(views.mapValues((_k, v) => v.url))
  })

  test('sink serdes are contravariant and ignore null: Serde<string> writes literal and nullable strings', () => {
    views.mapValues((_k, v) => (v.ms > 0 ? ('slow' as const) : null)).to('labels', { key: Serdes.string(), value: Serdes.string() })
  })

  test('split() map keys are typed by the branch names given', () => {
    const branches = views
      .split({ name: 'by-speed-' })
      .branch((_k, v) => v.ms > 1000, { name: 'slow' })
      .defaultBranch({ name: 'fast' })
    expectTypeOf(branches).toEqualTypeOf<Record<'by-speed-slow' | 'by-speed-fast', KStream<string, View>>>()
    // @ts-expect-error no such branch
    void branches['by-speed-medium']
  })

  test('process() output types come from the processor', () => {
    const out = views.process(
      (): Processor<string, View, number, boolean> => ({ process: (_r: StreamRecord<string, View>) => undefined }),
    )
    expectTypeOf(out).toEqualTypeOf<KStream<number, boolean>>()
    // @ts-expect-error the processor must accept the stream's record types
    views.process((): Processor<number, View> => ({ process: () => undefined }))
  })

  test('test driver topics are typed by their serdes', () => {
    const t = new StreamBuilder()
    t.stream('in', { key: Serdes.string(), value: Serdes.int32() }).to('out', { key: Serdes.string(), value: Serdes.int32() })
    const driver = new TopologyTestDriver(t.build())
    const input = driver.createInputTopic('in', Serdes.string(), Serdes.int32())
    // @ts-expect-error values are numbers
    expect(() => input.pipeInput('k', 'not a number')).toThrow()
    input.pipeInput('k', 1)
    expectTypeOf(driver.createOutputTopic('out', Serdes.string(), Serdes.int32()).readKeyValue()).toEqualTypeOf<KeyValue<string | null, number | null>>()
    driver.close()
  })
})
