import { StreamfoldError } from '../errors'
import { bufferSerde } from './buffer-serde'
import { doubleSerde } from './double-serde'
import { int32Serde } from './int32-serde'
import { int64Serde } from './int64-serde'
import { jsonSerde } from './json-serde'
import { msgpackSerde } from './msgpack-serde'
import type { Serde } from './serde'
import { stringSerde } from './string-serde'
import { windowedSerde } from './windowed-serde'
import type { Windowed } from '../state/state-store'

/** What each built-in serde produces, by the name the CLI and configuration use. */
export interface SerdeTypes {
  readonly string: string
  readonly json: unknown
  readonly msgpack: unknown
  readonly buffer: Buffer
  readonly int32: number
  readonly int64: bigint
  readonly double: number
}

export type SerdeName = keyof SerdeTypes

const BY_NAME: { readonly [N in SerdeName]: Serde<SerdeTypes[N]> } = Object.freeze({
  string: stringSerde,
  json: jsonSerde,
  msgpack: msgpackSerde,
  buffer: bufferSerde,
  int32: int32Serde,
  int64: int64Serde,
  double: doubleSerde,
})

export const SERDE_NAMES: readonly SerdeName[] = Object.freeze(Object.keys(BY_NAME) as SerdeName[])

function byName<N extends SerdeName>(name: N): Serde<SerdeTypes[N]>
function byName(name: string): Serde<unknown>
function byName(name: string): Serde<unknown> {
  // hasOwn, so that 'toString' or '__proto__' is an unknown name rather than a prototype member.
  if (!Object.hasOwn(BY_NAME, name)) {
    throw new StreamfoldError('CONFIG_INVALID', `unknown serde '${name}'; accepted: ${SERDE_NAMES.join(', ')}`)
  }
  // Widening the input type is safe because every built-in serde checks its input at run time
  // and throws SERIALIZATION_FAILED for a value of the wrong type.
  return BY_NAME[name as SerdeName] as unknown as Serde<unknown>
}

/**
 * The built-in serdes (Kafka Streams' `Serdes`). Each call returns a shared stateless instance;
 * `json` and `msgpack` take the value type as a type argument only, nothing checks the shape.
 */
export const Serdes = Object.freeze({
  string: (): Serde<string> => stringSerde,
  json: <T = unknown>(): Serde<T> => jsonSerde as Serde<T>,
  msgpack: <T = unknown>(): Serde<T> => msgpackSerde as Serde<T>,
  buffer: (): Serde<Buffer> => bufferSerde,
  int32: (): Serde<number> => int32Serde,
  int64: (): Serde<bigint> => int64Serde,
  double: (): Serde<number> => doubleSerde,
  /** Keys of windowed results (`Windowed<K>`): the inner key's bytes, then window start and end. */
  windowed: <K>(inner: Serde<K>): Serde<Windowed<K>> => windowedSerde(inner),
  byName,
})
