/** `streamfold run` passes repartitionPurgeIntervalMs on from every source, and refuses a negative one. */
import { FILE_OPTIONS } from '../../src/runtime/cli/worker-options'
import { mergeOptions } from '../../src/runtime/cli/option-sources'
import { resolveWorkerSettings } from '../../src/runtime/cli/worker-settings'

const settingsOf = (sources: Partial<Parameters<typeof mergeOptions>[1]>) =>
  resolveWorkerSettings(mergeOptions(FILE_OPTIONS, { flags: {}, env: {}, module: { applicationId: 'app' }, ...sources }))

it('reads repartitionPurgeIntervalMs from a flag, the environment or the module config; unset leaves the runtime default', () => {
  expect(settingsOf({ flags: { repartitionPurgeIntervalMs: 0 } }).repartitionPurgeIntervalMs).toBe(0)
  expect(settingsOf({ env: { STREAMFOLD_REPARTITION_PURGE_INTERVAL_MS: '60000' } }).repartitionPurgeIntervalMs).toBe(60_000)
  expect(settingsOf({ module: { applicationId: 'app', repartitionPurgeIntervalMs: 5_000 } }).repartitionPurgeIntervalMs).toBe(5_000)
  expect(settingsOf({}).repartitionPurgeIntervalMs).toBeUndefined()
})

it('refuses a negative interval naming the source', () => {
  expect(() => settingsOf({ env: { STREAMFOLD_REPARTITION_PURGE_INTERVAL_MS: '-1' } })).toThrow(
    expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('STREAMFOLD_REPARTITION_PURGE_INTERVAL_MS: expected an integer >= 0') }),
  )
})
