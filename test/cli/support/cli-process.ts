/**
 * Runs the real `streamfold` CLI in a child process, from the TypeScript sources through the
 * repository's swc require hook (no build needed), and collects what it prints.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'

const ROOT = path.join(__dirname, '..', '..', '..')
const REGISTER = path.join(ROOT, 'test', 'support', 'ts-register.js')
const MAIN = path.join(ROOT, 'src', 'runtime', 'cli', 'main.ts')
export const FIXTURES = path.join(__dirname, '..', 'fixtures')

export interface CliRun {
  readonly child: ChildProcess
  /** Resolves with the exit code (or 128 + signal number when killed by a signal). */
  readonly exited: Promise<number>
  stdout(): string
  stderr(): string
  /** Parsed JSON log lines printed so far (non-JSON lines are skipped). */
  logs(): Array<Record<string, unknown>>
  /** Resolves once a printed line (stdout or stderr) satisfies `match`. */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>
}

export interface CliOptions {
  readonly env?: Readonly<Record<string, string>>
  readonly stdin?: string
  readonly cwd?: string
}

/** Children still running when a test file ends are killed: a worker left behind would run forever. */
const running = new Set<ChildProcess>()
afterAll(() => {
  for (const child of running) child.kill('SIGKILL')
})

export function startCli(args: readonly string[], options: CliOptions = {}): CliRun {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env }
  // The child must not inherit settings from the developer's shell.
  for (const name of Object.keys(env)) if ((name.startsWith('STREAMFOLD_') || name === 'KAFKA_BROKERS') && options.env?.[name] === undefined) delete env[name]
  const child = spawn(process.execPath, ['-r', REGISTER, MAIN, ...args], { cwd: options.cwd ?? ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  const waiters: Array<{ match: (line: string) => boolean; resolve: (line: string) => void }> = []
  const scan = (): void => {
    const lines = `${out}\n${err}`.split('\n')
    for (const w of [...waiters]) {
      const line = lines.find(w.match)
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(line)
      }
    }
  }
  child.stdout!.setEncoding('utf8').on('data', (c: string) => ((out += c), scan()))
  child.stderr!.setEncoding('utf8').on('data', (c: string) => ((err += c), scan()))
  child.stdin!.end(options.stdin ?? '')
  running.add(child)
  child.on('exit', () => running.delete(child))
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 2)))
  })
  return {
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    logs: () => out.split('\n').flatMap((l) => (l.startsWith('{') ? [JSON.parse(l) as Record<string, unknown>] : [])),
    waitForLine: (match, timeoutMs = 20_000) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching line within ${timeoutMs} ms; stdout:\n${out}\nstderr:\n${err}`)), timeoutMs)
        waiters.push({ match, resolve: (line) => (clearTimeout(timer), resolve(line)) })
        scan()
        void exited.then(() => setTimeout(() => reject(new Error(`exited before a matching line; stdout:\n${out}\nstderr:\n${err}`)), 50))
      }),
  }
}

export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs the CLI to completion. */
export async function cli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const run = startCli(args, options)
  const code = await run.exited
  return { code, stdout: run.stdout(), stderr: run.stderr() }
}

export { tempDirs } from '../../integration/support/app-test-kit'
