/** docs/operations.md keeps up with the code: every run option, its flag and variable, every metric. */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { PrometheusMetrics } from '../../src/runtime/observability/prometheus-metrics'
import { WORKER_OPTIONS } from '../../src/runtime/cli/worker-options'
import { DEAD_LETTER_HEADERS } from '../../src/runtime/errors/dead-letter-record'

const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'operations.md'), 'utf8')

it('lists every option of streamfold run by name, flag and environment variable', () => {
  const missing = WORKER_OPTIONS.flatMap((o) => [o.name === 'config' ? [] : [`\`${o.name}\``], [`\`--${o.flag}`], o.env === undefined ? [] : [`\`${o.env}\``]].flat()).filter((s) => !doc.includes(s))
  expect(missing).toEqual([])
})

it('lists every metric and every dead-letter header', async () => {
  const metrics = new PrometheusMetrics({ processMetrics: false })
  const names = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name)
  expect(names.length).toBeGreaterThan(5)
  expect(names.filter((n) => !doc.includes(`\`${n}\``))).toEqual([])
  const headers = Object.values(DEAD_LETTER_HEADERS)
  const documented = (h: string): boolean => doc.includes(`\`${h}\``) || doc.includes(`\`${h.slice(0, h.lastIndexOf('.'))}.`)
  expect(headers.filter((h) => !documented(h))).toEqual([])
})
