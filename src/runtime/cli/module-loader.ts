/**
 * Loads the module `run` and `describe` are given. `.js`/`.cjs` load with require. `.ts` loads
 * through @swc/core (a type-stripping compile, no type check) when it is installed, as a
 * development convenience: production workers run compiled JavaScript. Either way `streamfold`
 * imported by the module resolves to the library this CLI runs, so there is one copy of every
 * class in the process (two copies would make a topology from one and a runtime from the other).
 */
import { existsSync, readFileSync } from 'node:fs'
import Module from 'node:module'
import path from 'node:path'
import { StreamfoldError, isStreamfoldError } from '../../errors'

const TS_EXTENSIONS = ['.ts', '.mts', '.cts']
const LIBRARY_ENTRIES: Readonly<Record<string, string>> = {
  streamfold: path.join(__dirname, '..', '..', 'index'),
  'streamfold/testing': path.join(__dirname, '..', '..', 'testing', 'index'),
}

interface ModuleInternals {
  _resolveFilename(request: string, parent: unknown, ...rest: unknown[]): string
  _extensions: Record<string, (module: { _compile(code: string, filename: string): void }, filename: string) => void>
}

let hooked = false

/** require()s `file` (relative to the working directory) and returns its exports. */
export function loadModule(file: string): unknown {
  const absolute = path.resolve(file)
  if (!existsSync(absolute)) throw new StreamfoldError('CONFIG_INVALID', `invalid <module>: ${file} does not exist`)
  const extension = path.extname(absolute)
  if (TS_EXTENSIONS.includes(extension)) registerTypeScript(file)
  aliasLibrary()
  try {
    return require(absolute) as unknown
  } catch (error) {
    // The module's own coded errors (a topology that does not build) keep their code.
    if (isStreamfoldError(error)) throw error
    const reason = error instanceof Error ? error.message : String(error)
    throw new StreamfoldError('CONFIG_INVALID', `invalid <module>: loading ${file} failed: ${reason}`, { cause: error })
  }
}

function aliasLibrary(): void {
  if (hooked) return
  hooked = true
  const internals = Module as unknown as ModuleInternals
  const resolve = internals._resolveFilename.bind(Module)
  internals._resolveFilename = (request, parent, ...rest) => {
    const entry = LIBRARY_ENTRIES[request]
    return resolve(entry ?? request, parent, ...rest)
  }
}

function registerTypeScript(file: string): void {
  const internals = Module as unknown as ModuleInternals
  if (typeof internals._extensions['.ts'] === 'function') return // already registered (ts-register, or running from sources)
  let swc: { transformSync(source: string, options: object): { code: string } }
  try {
    swc = require('@swc/core') as typeof swc
  } catch {
    throw new StreamfoldError('CONFIG_INVALID', `invalid <module>: ${file} is TypeScript and @swc/core is not installed; compile it to .js, or npm install --save-dev @swc/core`)
  }
  for (const extension of TS_EXTENSIONS) {
    internals._extensions[extension] = (module, filename) => {
      const { code } = swc.transformSync(readFileSync(filename, 'utf8'), {
        filename,
        sourceMaps: 'inline',
        module: { type: 'commonjs' },
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      })
      module._compile(code, filename)
    }
  }
}
