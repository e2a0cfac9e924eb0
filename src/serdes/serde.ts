/**
 * A Serde turns values of one type into bytes and back. The engine never calls a serde with
 * null: a null key or value travels as null (Kafka's tombstone), so serdes only see real data.
 *
 * Failures throw; the engine wraps the error with the record's topic/partition/offset and never
 * copies the record's bytes into the message. A serde's own message must not quote the data
 * either (JSON.parse's does: see json-serde.ts).
 */
export interface Serde<T> {
  /** Short stable name (`string`, `json`, `int32`, ...), used by the CLI and in error messages. */
  readonly name: string
  readonly serialize: (data: T, topic: string) => Buffer
  readonly deserialize: (data: Buffer, topic: string) => T
}

/** The type a serde produces. */
export type SerdeType<S> = S extends Serde<infer T> ? T : never

/** The half of a serde a sink needs. Contravariant: a `Serde<string>` can write a stream of
 *  `'a' | 'b'` keys. Null never reaches a serializer, so a `Serde<V>` writes `V | null` streams. */
export type Serializer<T> = Pick<Serde<T>, 'name' | 'serialize'>

/** The half of a serde a source needs. */
export type Deserializer<T> = Pick<Serde<T>, 'name' | 'deserialize'>
