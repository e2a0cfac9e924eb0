/**
 * Changelog topic names and configs. The name comes from the application id and the user-given
 * store name only, so it stays stable when the topology changes around the store.
 */
import type { TopicSpec } from '../runtime/broker/broker'

/** Kafka Streams' `windowstore.changelog.additional.retention.ms`: slack for clock drift. */
export const ADDITIONAL_RETENTION_MS = 24 * 60 * 60 * 1000

export interface ChangelogTopicOptions {
  readonly applicationId: string
  readonly storeName: string
  /** Window and session changelogs also expire by time; key-value ones are compacted only. */
  readonly retentionMs?: number
  /** The number of partitions of the task's input topics (one changelog partition per task). */
  readonly partitions: number
  /** User configs, merged over the defaults. */
  readonly config?: Readonly<Record<string, string>>
}

export function changelogTopicName(applicationId: string, storeName: string): string {
  return `${applicationId}-${storeName}-changelog`
}

export function changelogTopicSpec(options: ChangelogTopicOptions): TopicSpec {
  const defaults: Record<string, string> =
    options.retentionMs === undefined
      ? { 'cleanup.policy': 'compact' }
      : { 'cleanup.policy': 'compact,delete', 'retention.ms': String(options.retentionMs + ADDITIONAL_RETENTION_MS) }
  return {
    name: changelogTopicName(options.applicationId, options.storeName),
    partitions: options.partitions,
    config: Object.freeze({ ...defaults, ...options.config }),
  }
}
