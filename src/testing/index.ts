export { TopologyTestDriver, type TopologyTestDriverOptions, type PersistentDriverOptions, type SimulateCrashOptions } from './topology-test-driver'
export { TestInputTopic, type TestInputTopicOptions } from './test-input-topic'
export { TestOutputTopic } from './test-output-topic'
export type { TestRecord, TestInputRecord, KeyValue } from './test-record'
