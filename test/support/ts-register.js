/**
 * Lets plain `node` run TypeScript: `node --require ./test/support/ts-register.js script.ts`.
 * Used for child processes in crash tests, for the benchmark children and for quick scripts; jest
 * has its own transform. Strips types with @swc/core (no type checking) and compiles to CommonJS,
 * like jest's config.
 *
 * Compiled files are cached on disk by content (node_modules/.cache/ts-register), and @swc/core is
 * loaded only on a miss: a process whose files are all cached never maps the compiler's ~40 MB
 * native library, so benchmark children measure streamfold's memory, not the compiler's
 * (`precompile` fills the cache before they start).
 */
'use strict'
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')

const CACHE_DIR = path.join(__dirname, '..', '..', 'node_modules', '.cache', 'ts-register')
const OPTIONS_VERSION = 'cjs-es2022-inline-maps-1'
let swc

function compile(source, filename) {
  swc ??= require('@swc/core')
  return swc.transformSync(source, {
    filename,
    sourceMaps: 'inline',
    module: { type: 'commonjs' },
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  }).code
}

function cachePath(source, filename) {
  const hash = crypto.createHash('sha1').update(OPTIONS_VERSION).update('\0').update(filename).update('\0').update(source).digest('hex')
  return path.join(CACHE_DIR, `${hash}.js`)
}

/** The compiled code of one file, from the cache or compiled (and cached) now. */
function compiled(filename) {
  const source = fs.readFileSync(filename, 'utf8')
  const cached = cachePath(source, filename)
  try {
    return fs.readFileSync(cached, 'utf8')
  } catch {
    const code = compile(source, filename)
    try {
      fs.mkdirSync(CACHE_DIR, { recursive: true })
      // Written whole then renamed: a concurrent reader never sees half a file.
      const tmp = `${cached}.${process.pid}.tmp`
      fs.writeFileSync(tmp, code)
      fs.renameSync(tmp, cached)
    } catch {
      // A read-only tree still runs, uncached.
    }
    return code
  }
}

/** Compiles (into the cache) every .ts file under `dirs`. */
function precompile(dirs) {
  for (const dir of dirs) {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) compiled(path.resolve(entry.parentPath ?? entry.path, entry.name))
    }
  }
}

require.extensions['.ts'] = function compileTs(module, filename) {
  module._compile(compiled(filename), filename)
}

module.exports = { precompile }
