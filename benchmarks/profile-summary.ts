/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`) as self time per function and per file,
 * and total (inclusive) time of the functions of chosen files, so a README can name a hot spot
 * with numbers:
 *
 *   node -r ./test/support/ts-register.js benchmarks/profile-summary.ts <file.cpuprofile> [--top 25] [--match src/]
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly children?: readonly number[]
}

interface Profile {
  readonly nodes: readonly ProfileNode[]
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

function main(): void {
  const argv = process.argv.slice(2)
  const file = argv[0]
  if (file === undefined) throw new Error('usage: profile-summary.ts <file.cpuprofile> [--top N] [--match text]')
  const top = Number(argv[argv.indexOf('--top') + 1] ?? 25) || 25
  const match = argv.includes('--match') ? argv[argv.indexOf('--match') + 1]! : undefined
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)

  const self = new Map<number, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    self.set(id, (self.get(id) ?? 0) + dt)
    total += dt
  })
  const label = (n: ProfileNode): string => {
    const url = n.callFrame.url.replace(/^file:\/\//, '')
    const short = url === '' ? '(native)' : path.relative(process.cwd(), url)
    return `${n.callFrame.functionName || '(anonymous)'} ${short}:${n.callFrame.lineNumber + 1}`
  }
  const fileOf = (n: ProfileNode): string => {
    const url = n.callFrame.url.replace(/^file:\/\//, '')
    return url === '' ? `(${n.callFrame.functionName || 'native'})` : path.relative(process.cwd(), url)
  }

  const selfByFn = new Map<string, number>()
  const selfByFile = new Map<string, number>()
  const inclusive = new Map<string, number>()
  for (const [id, dt] of self) {
    const n = byId.get(id)!
    selfByFn.set(label(n), (selfByFn.get(label(n)) ?? 0) + dt)
    selfByFile.set(fileOf(n), (selfByFile.get(fileOf(n)) ?? 0) + dt)
    // Inclusive time: every distinct function on the stack gets the sample once.
    const seen = new Set<string>()
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!)
      if (seen.has(l)) continue
      seen.add(l)
      inclusive.set(l, (inclusive.get(l) ?? 0) + dt)
    }
  }
  const pct = (us: number): string => `${((100 * us) / total).toFixed(1).padStart(5)}%`
  const print = (title: string, m: Map<string, number>, filter?: (k: string) => boolean): void => {
    process.stdout.write(`\n${title}\n`)
    const rows = [...m].filter(([k]) => filter?.(k) ?? true).sort((a, b) => b[1] - a[1]).slice(0, top)
    for (const [k, us] of rows) process.stdout.write(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}\n`)
  }
  process.stdout.write(`total ${(total / 1000).toFixed(0)} ms sampled\n`)
  print('self time by function', selfByFn)
  print('self time by file', selfByFile)
  print(`inclusive time${match === undefined ? '' : ` (functions in files containing "${match}")`}`, inclusive, match === undefined ? undefined : (k) => k.includes(match))
}

main()
