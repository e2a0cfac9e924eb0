import type { Serde } from './serde'
import { serdeFailure } from './serde-failure'

/**
 * JSON as UTF-8 text (what Kafka's JSON serdes and most other languages read). It carries what
 * JSON carries: Dates become strings, undefined properties vanish, Maps become `{}`; bigints and
 * cycles are refused. Use msgpack for a richer, more compact format.
 */
export const jsonSerde: Serde<unknown> = Object.freeze({
  name: 'json',
  serialize(data: unknown, topic: string): Buffer {
    let text: string | undefined
    try {
      text = JSON.stringify(data)
    } catch (error) {
      throw serdeFailure('SERIALIZATION_FAILED', 'json', `could not serialize the value: ${stringifyFailure(error)}`, topic)
    }
    if (text === undefined) {
      throw serdeFailure('SERIALIZATION_FAILED', 'json', 'cannot represent undefined, a function or a symbol', topic)
    }
    return Buffer.from(text, 'utf8')
  },
  deserialize(data: Buffer, topic: string): unknown {
    try {
      return JSON.parse(data.toString('utf8'))
    } catch (error) {
      throw serdeFailure('DESERIALIZATION_FAILED', 'json', `could not parse ${data.length} bytes: ${parseFailure(error)}`, topic)
    }
  },
})

// JSON.parse's messages quote the input (Node 20: `Unexpected token 'x', "..." is not valid JSON`),
// so a failure is described by matching V8's fixed message prefixes, never by echoing the message.
const PARSE_FAILURES: readonly (readonly [prefix: string, reason: string])[] = [
  ['Unexpected end of JSON input', 'unexpected end of input'],
  ['Unexpected non-whitespace character after JSON', 'unexpected data after the value'],
  ['Unexpected token', 'unexpected character'],
  ['Unterminated string', 'unterminated string'],
  ['Bad control character', 'control character in a string'],
  ['Bad escaped character', 'invalid escape sequence'],
  ['Bad Unicode escape', 'invalid escape sequence'],
  ['Expected', 'malformed object or array'],
  ['Exponent part is missing', 'malformed number'],
  ['No number after minus sign', 'malformed number'],
  ['Unterminated fractional number', 'malformed number'],
]

// Only a position at the very end of the message is V8's own: the quoted input inside an
// "Unexpected token" message could contain text that looks like one.
const TRAILING_POSITION = / JSON at position (\d+)(?: \(line \d+ column \d+\))?$/

function parseFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : ''
  const match = PARSE_FAILURES.find(([prefix]) => message.startsWith(prefix))
  const position = TRAILING_POSITION.exec(message)?.[1]
  return `${match?.[1] ?? 'invalid JSON'}${position === undefined ? '' : ` at character ${position}`}`
}

// JSON.stringify's cycle message names the properties on the cycle: data too, so it is not echoed.
function stringifyFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : ''
  if (message.startsWith('Converting circular structure')) return 'it contains a cycle'
  if (message.includes('serialize a BigInt')) return 'it contains a bigint'
  if (message.startsWith('Maximum call stack')) return 'it is nested too deeply'
  if (message.startsWith('Invalid string length')) return 'the result is too large'
  return 'a toJSON() method or getter threw'
}
