#!/usr/bin/env node
/**
 * Entry point of the `streamfold` binary (package.json "bin": dist/runtime/cli/main.js).
 * CommonJS, like the rest of the package; tsc keeps the shebang so npm's bin link can execute it.
 */
import { runCli } from './cli'

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }).then(
  (code) => {
    process.exitCode = code
    // Everything is closed by now; a client library's stray handle must not keep a stopped worker alive.
    setTimeout(() => process.exit(code), 2_000).unref()
  },
  (error: unknown) => {
    process.stderr.write(`streamfold: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exit(1)
  },
)
