/** The CLI's tools as real processes: help, topics, produce, consume, describe, and their argument errors. */
import path from 'node:path'
import { cli, FIXTURES, tempDirs } from './support/cli-process'

const tempDir = tempDirs()
jest.setTimeout(60_000)

describe('streamfold --help', () => {
  it('lists the commands, and every command has its own help', async () => {
    const general = await cli(['--help'])
    expect(general.code).toBe(0)
    for (const name of ['run', 'describe', 'produce', 'consume', 'topics', 'reset']) expect(general.stdout).toContain(`  ${name} `)
    const helps = await Promise.all(['run', 'describe', 'produce', 'consume', 'topics', 'reset'].map((name) => cli([name, '--help'])))
    for (const [i, name] of ['run', 'describe', 'produce', 'consume', 'topics', 'reset'].entries()) {
      expect(helps[i]).toMatchObject({ code: 0, stderr: '' })
      expect(helps[i]!.stdout).toMatch(new RegExp(`^Usage: streamfold ${name} `))
      expect(helps[i]!.stdout).toContain('-h, --help')
    }
  })

  it('exits 2 with no command or an unknown one', async () => {
    expect((await cli([])).code).toBe(2)
    expect(await cli(['frobnicate'])).toMatchObject({
      code: 2,
      stderr: "streamfold: unknown command 'frobnicate'; accepted: run, describe, produce, consume, topics, reset (see: streamfold --help)\n",
    })
  })
})

describe('topics, produce and consume on the embedded broker', () => {
  it('creates, describes, lists, feeds, reads and deletes a topic', async () => {
    const dataDir = path.join(tempDir('tools'), 'broker')
    const broker = ['--data-dir', dataDir]
    expect(await cli(['topics', 'create', 'orders', '--partitions', '2', ...broker])).toMatchObject({ code: 0, stderr: 'created orders with 2 partitions\n' })
    const lines = ['a\t{"n":1}', 'b\t{"n":2}', '', 'a\t{"n":3}', 'c\t{"n":4}'].join('\n')
    const produced = await cli(['produce', '--topic', 'orders', '--key-separator', '\\t', '--value-serde', 'json', ...broker], { stdin: `${lines}\n` })
    expect(produced).toMatchObject({ code: 0, stderr: `produced 4 records to orders (embedded broker in ${dataDir})\n` })

    const described = await cli(['topics', 'describe', 'orders', ...broker])
    expect(described.code).toBe(0)
    expect(described.stdout).toMatch(/^orders\tpartitions: 2\n {2}partition 0\toffsets 0\.\.\d+\n {2}partition 1\toffsets 0\.\.\d+\n$/)
    expect((await cli(['topics', 'list', ...broker])).stdout).toBe('orders\n')

    const consumed = await cli(['consume', '--topic', 'orders', '--from-beginning', '--max', '4', '--value-serde', 'json', ...broker])
    expect(consumed.code).toBe(0)
    expect(consumed.stdout.trim().split('\n').sort()).toEqual(['a\t{"n":1}', 'a\t{"n":3}', 'b\t{"n":2}', 'c\t{"n":4}'])
    expect(consumed.stderr).toBe('consumed 4 records from orders\n')

    const json = await cli(['consume', '--topic', 'orders', '--from-beginning', '--timeout-ms', '300', '--partition', '0', '--format', 'json', '--value-serde', 'string', ...broker])
    const records = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(records.length).toBeGreaterThan(0)
    expect(records[0]).toMatchObject({ topic: 'orders', partition: 0, offset: 0, headers: [] })
    expect(typeof records[0]!.timestamp).toBe('number')

    // Values that the asked-for serde cannot read are shown as such, not as an error.
    const wrongSerde = await cli(['consume', '--topic', 'orders', '--from-beginning', '--max', '1', '--partition', '0', '--value-serde', 'int32', ...broker])
    expect(wrongSerde.stdout).toMatch(/^[abc]\t<not int32: 7 bytes>\n$/)

    expect(await cli(['topics', 'delete', 'orders', ...broker])).toMatchObject({ code: 0, stderr: 'deleted orders\n' })
    expect((await cli(['topics', 'list', ...broker])).stdout).toBe('')
  })

  it('consume starts at the end without --from-beginning and stops after --timeout-ms', async () => {
    const broker = ['--data-dir', path.join(tempDir('tools'), 'broker')]
    await cli(['produce', '--topic', 't', ...broker], { stdin: 'x\ny\n' })
    expect(await cli(['consume', '--topic', 't', '--timeout-ms', '200', ...broker])).toMatchObject({ code: 0, stdout: '', stderr: 'consumed 0 records from t\n' })
    expect((await cli(['consume', '--topic', 't', '--from-beginning', '--timeout-ms', '200', ...broker])).stdout).toBe('null\tx\nnull\ty\n')
  })

  it('produce and consume with numeric, msgpack and buffer serdes', async () => {
    const broker = ['--data-dir', path.join(tempDir('tools'), 'broker')]
    await cli(['produce', '--topic', 'n', '--key-separator', ':', '--key-serde', 'int64', '--value-serde', 'msgpack', ...broker], { stdin: '9007199254740993:{"a":[1,2]}\n' })
    expect((await cli(['consume', '--topic', 'n', '--from-beginning', '--max', '1', '--key-serde', 'int64', '--value-serde', 'msgpack', ...broker])).stdout).toBe('9007199254740993\t{"a":[1,2]}\n')
    await cli(['produce', '--topic', 'b', '--value-serde', 'buffer', ...broker], { stdin: 'AAEC/w==\n' })
    expect((await cli(['consume', '--topic', 'b', '--from-beginning', '--max', '1', '--value-serde', 'buffer', ...broker])).stdout).toBe('null\tAAEC/w==\n')
  })
})

describe('describe', () => {
  const module = path.join(FIXTURES, 'count-module.ts')

  it("prints the topology as Kafka Streams' text or as Mermaid", async () => {
    const text = await cli(['describe', module])
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/^Topologies:\n {3}Sub-topology: 0\n/)
    expect(text.stdout).toContain('Source: KSTREAM-SOURCE-0000000000 (topics: [in])')
    const mermaid = await cli(['describe', module, '--format', 'mermaid'])
    expect(mermaid.code).toBe(0)
    expect(mermaid.stdout).toMatch(/^flowchart/)
  })

  it('exits 2 on a bad format, a missing file or a module without a topology', async () => {
    expect(await cli(['describe', module, '--format', 'svg'])).toMatchObject({
      code: 2,
      stderr: "streamfold describe: CONFIG_INVALID: invalid value for --format: expected one of text, mermaid, got 'svg' (see: streamfold describe --help)\n",
    })
    expect(await cli(['describe', 'nope.js'])).toMatchObject({ code: 2, stderr: 'streamfold describe: CONFIG_INVALID: invalid <module>: nope.js does not exist\n' })
    const none = await cli(['describe', path.join(FIXTURES, 'no-topology-module.ts')])
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('exports no topology; export a Topology, or a function returning one, as `topology` or as the default export')
    expect(await cli(['describe'])).toMatchObject({ code: 2, stderr: 'streamfold describe: CONFIG_INVALID: missing <module> (see: streamfold describe --help)\n' })
  })
})

describe('argument errors exit 2 and say what is accepted', () => {
  const broker = (): string[] => ['--data-dir', path.join(tempDir('tools'), 'broker')]

  it.each([
    [['consume', '--topic', 't', '--bogus'], 'unknown option --bogus; accepted: --topic, --from-beginning, --max, --timeout-ms, --key-serde, --value-serde, --partition, --isolation, --format, --brokers, --data-dir, --kafka, --help'],
    [['consume', '--topic', 't', '--max', '0'], "invalid value for --max: expected an integer >= 1, got '0'"],
    [['consume', '--topic', 't', '--value-serde', 'xml'], "invalid value for --value-serde: expected one of string, json, msgpack, buffer, int32, int64, double, got 'xml'"],
    [['consume', '--max', '3'], 'missing --topic: it is required (see --help)'],
    [['produce', '--topic'], 'option --topic needs a value: a non-empty topic'],
    [['topics', 'rename', 'x'], "unknown action 'rename'; accepted: list, describe, create, delete"],
    [['topics', 'list', '--partitions', '3'], '--partitions and --config apply to topics create only'],
    [['topics', 'create', 'x', '--partitions', 'many'], "invalid value for --partitions: expected an integer >= 1, got 'many'"],
    [['reset'], 'missing <applicationId>'],
    [['reset', 'app', 'extra'], "unexpected argument 'extra': reset takes <applicationId>"],
  ])('%j', async (args, message) => {
    const result = await cli([...args, ...broker()])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(message)
    expect(result.stdout).toBe('')
  })

  it('bad input lines and bad partitions are refused without quoting the data', async () => {
    const b = broker()
    const bad = await cli(['produce', '--topic', 't', '--value-serde', 'json', ...b], { stdin: '{"ok":1}\n{"secret":\n' })
    expect(bad).toMatchObject({ code: 2, stderr: 'streamfold produce: CONFIG_INVALID: line 2 value: the text is not valid JSON, as the json serde needs\n' })
    await cli(['topics', 'create', 'p', ...b])
    expect((await cli(['produce', '--topic', 'p', '--partition', '5', ...b], { stdin: 'x\n' })).stderr).toContain("invalid value for --partition: expected an integer from 0 to 0 (p has 1), got '5'")
    expect(await cli(['consume', '--topic', 'missing', '--max', '1', ...b])).toMatchObject({ code: 2, stderr: expect.stringContaining('TOPIC_NOT_FOUND: topic missing does not exist') })
  })
})
