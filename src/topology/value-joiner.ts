/**
 * Joins combine a record's value with the matching value from the other side. Like every DSL
 * lambda, the joiner takes the key first (Kafka Streams' ValueJoinerWithKey); `otherValue` is
 * null for a left or outer join's unmatched side.
 */
export type ValueJoiner<K, V1, V2, VR> = (key: K, value: V1, otherValue: V2) => VR

/** Which unmatched records a join emits: none (inner), the left side's (left), both sides' (outer). */
export type JoinKind = 'inner' | 'left' | 'outer'
