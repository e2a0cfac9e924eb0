/** The summary table printed after the JSON lines: one row per case and variant, then targets. */
import type { CaseReport } from './suite'

export function summaryTable(reports: readonly CaseReport[]): string {
  // With --against, a last column: each variant over its `@base` twin (the other checkout).
  const twins = reports.some((r) => Object.keys(r.ratios).some((k) => k.endsWith(' vs @base')))
  const rows: string[][] = [['case', 'variant', 'rec/s (median)', 'range', 'MB/s', 'p50/p99 ms', 'peak RSS MB', 'CPU us/rec', 'vs baseline', ...(twins ? ['vs @base', 'CPU vs @base'] : [])]]
  const cell = (x: { median: number; min: number; max: number } | undefined): string => (x === undefined ? '' : `${x.median} (${x.min}-${x.max})`)
  for (const r of reports) {
    for (const [name, v] of Object.entries(r.variants)) {
      const m = v.median
      const ratio = name === r.baseline ? 'baseline' : cell(r.ratios[name])
      const range = r.metric === 'recordsPerSec' ? `${short(v.min)}-${short(v.max)}` : `${v.min}-${v.max} ${r.metric === 'p99Ms' ? 'ms p99' : 'MB'}`
      const cpu = v.cpuUsPerRecord === undefined ? '' : String(v.cpuUsPerRecord)
      rows.push([r.case, name, short(m.recordsPerSec), range, m.mbPerSec === undefined ? '' : String(m.mbPerSec), m.p99Ms === undefined ? '' : `${m.p50Ms}/${m.p99Ms}`, String(m.peakRssMb), cpu, ratio, ...(twins ? [cell(r.ratios[`${name} vs @base`]), cell(r.ratios[`${name} cpu vs @base`])] : [])])
    }
    for (const f of r.failures) rows.push([r.case, 'FAILED', f.split('\n')[0]!.slice(0, 100), '', '', '', '', ''])
  }
  const targetRows: string[][] = [['case', 'target', 'measured', 'goal', 'holds']]
  for (const r of reports) {
    for (const t of r.targets) {
      targetRows.push([r.case, t.name, t.value === null ? 'n/a' : `${short(t.value)} ${t.unit}`, `${t.kind === 'min' ? '>=' : '<='} ${short(t.goal)} ${t.unit}`, t.holds === null ? 'n/a' : t.holds ? 'yes' : 'NO'])
    }
  }
  // Informational ratios of the cases' comparisons (CaseDef.comparisons), when both variants ran.
  const comparisonRows: string[][] = [['case', 'comparison', 'rec/s ratio', 'CPU us/rec ratio']]
  for (const r of reports) {
    for (const [label, ratio] of Object.entries(r.ratios)) {
      if (!label.includes(' / ') || label.endsWith(' cpu')) continue
      comparisonRows.push([r.case, label, cell(ratio), cell(r.ratios[`${label} cpu`])])
    }
  }
  const comparisons = comparisonRows.length > 1 ? `\n\n${format(comparisonRows)}` : ''
  return `${format(rows)}\n\n${format(targetRows)}${comparisons}`
}

function short(n: number): string {
  if (!Number.isFinite(n)) return String(n)
  if (Math.abs(n) >= 10_000) return `${Math.round(n / 1000)}k`
  if (Number.isInteger(n)) return String(n)
  return String(Math.round(n * 1000) / 1000)
}

function format(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')
}
