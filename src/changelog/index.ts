/** Changelog records, topics and restore. */
export {
  SOURCE_OFFSETS_HEADER,
  ChangelogRecordEncoder,
  ChangelogRecordDecoder,
  encodeSourceOffsets,
  decodeSourceOffsets,
  type ChangelogEntry,
  type DecodedChangelogRecord,
} from './changelog-record'
export { changelogTopicName, changelogTopicSpec, ADDITIONAL_RETENTION_MS, type ChangelogTopicOptions } from './changelog-topic'
export {
  restoreChangelogs,
  DEFAULT_RESTORE_BATCH,
  type RestoreTarget,
  type RestoreListener,
  type RestoreOptions,
  type RestoreStartEvent,
  type RestoreBatchEvent,
  type RestoreEndEvent,
} from './changelog-restorer'
