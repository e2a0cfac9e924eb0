/**
 * Repartition topics are declared without the application id (the topology does not know it);
 * the runtime and the test driver prefix them, as Kafka Streams does:
 * `${applicationId}-${name}-repartition`.
 */
export function resolveTopicName(topic: string, internal: boolean, applicationId: string): string {
  return internal ? `${applicationId}-${topic}` : topic
}

export function repartitionTopicName(name: string): string {
  return `${name}-repartition`
}
