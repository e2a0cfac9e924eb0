import { formatHelp, parseArgs, type CommandSpec } from '../../src/runtime/cli/arg-parser'

const spec: CommandSpec = {
  name: 'demo',
  summary: 'A demo command.',
  positionals: [{ name: 'file', required: true, help: 'a file' }],
  options: [
    { name: 'max', flag: 'max', type: 'integer', min: 1, placeholder: '<n>', help: 'how many', defaultText: '10', env: 'DEMO_MAX' },
    { name: 'offset', flag: 'offset', type: 'integer', help: 'may be negative' },
    { name: 'bound', flag: 'bound', type: 'integer', min: 0, unbounded: true, help: 'Infinity lifts it' },
    { name: 'format', flag: 'format', type: 'string', choices: ['text', 'json'], help: 'output' },
    { name: 'follow', flag: 'follow', type: 'boolean', help: 'keep going' },
    { name: 'kafka', flag: 'kafka', type: 'list', help: 'properties' },
  ],
}

describe('parseArgs', () => {
  it('reads --name value, --name=value, booleans, lists, and -- for positionals', () => {
    expect(parseArgs(spec, ['f.js', '--max', '3', '--format=json', '--follow', '--kafka', 'a=1', '--kafka=b=2', '--offset', '-5'])).toEqual({
      positionals: ['f.js'],
      options: { max: 3, format: 'json', follow: true, kafka: ['a=1', 'b=2'], offset: -5 },
      help: false,
    })
    expect(parseArgs(spec, ['--follow=false', '--', '--weird-file']).positionals).toEqual(['--weird-file'])
    expect(parseArgs(spec, ['--follow=false', '--', '--weird-file']).options.follow).toBe(false)
  })

  it('takes Infinity only for an unbounded integer option', () => {
    expect(parseArgs(spec, ['f', '--bound', 'Infinity']).options.bound).toBe(Number.POSITIVE_INFINITY)
    expect(parseArgs(spec, ['f', '--bound=0']).options.bound).toBe(0)
    expect(() => parseArgs(spec, ['f', '--max', 'Infinity'])).toThrow("invalid value for --max: expected an integer >= 1, got 'Infinity'")
    expect(() => parseArgs(spec, ['f', '--bound', 'inf'])).toThrow("invalid value for --bound: expected an integer >= 0 or Infinity, got 'inf'")
  })

  it('sees --help and -h anywhere, and then does not insist on positionals', () => {
    expect(parseArgs(spec, ['--max', '2', '-h']).help).toBe(true)
    expect(parseArgs(spec, ['--help']).help).toBe(true)
  })

  it.each([
    [['f', '--nope'], "demo: unknown option --nope; accepted: --max, --offset, --bound, --format, --follow, --kafka, --help (see: streamfold demo --help)"],
    [['f', '--nope=1'], 'unknown option --nope;'],
    [['f', '-x'], 'unknown option -x;'],
    [['f', '--max'], 'option --max needs a value: an integer >= 1'],
    [['f', '--max', '--follow'], 'option --max needs a value: an integer >= 1'],
    [['f', '--max', '0'], "invalid value for --max: expected an integer >= 1, got '0'"],
    [['f', '--max', '1.5'], "invalid value for --max: expected an integer >= 1, got '1.5'"],
    [['f', '--max', '99999999999999999999'], 'invalid value for --max'],
    [['f', '--format', 'xml'], "invalid value for --format: expected one of text, json, got 'xml'"],
    [['f', '--follow=yes'], "invalid value for --follow: expected true or false, got 'yes'"],
    [['f', '--format='], "invalid value for --format: expected one of text, json, got ''"],
    [[], 'demo: missing <file>'],
    [['f', 'g'], "unexpected argument 'g': demo takes <file>"],
  ])('%j fails with CONFIG_INVALID', (argv, message) => {
    expect(() => parseArgs(spec, argv)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(message) }))
  })
})

describe('formatHelp', () => {
  it('shows usage, arguments, options with defaults, env and repeatability', () => {
    const help = formatHelp(spec)
    expect(help).toMatch(/^Usage: streamfold demo <file> \[options\]\n\nA demo command\.\n/)
    expect(help).toContain('  <file>                        a file\n')
    expect(help).toContain('  --max <n>                     how many (default: 10; env: DEMO_MAX)\n')
    expect(help).toContain('  --format <text|json>          output\n')
    expect(help).toContain('  --kafka <value>               properties (repeatable)\n')
    expect(help).toContain('  -h, --help                    show this help\n')
  })
})
