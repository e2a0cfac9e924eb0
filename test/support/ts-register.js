/**
 * Lets plain `node` run TypeScript: `node --require ./test/support/ts-register.js script.ts`.
 * Used for child processes in crash tests and for quick scripts; jest has its own transform.
 * Strips types with @swc/core (no type checking) and compiles to CommonJS, like jest's config.
 */
'use strict'
const fs = require('node:fs')
const { transformSync } = require('@swc/core')

require.extensions['.ts'] = function compileTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8')
  const { code } = transformSync(source, {
    filename,
    sourceMaps: 'inline',
    module: { type: 'commonjs' },
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  })
  module._compile(code, filename)
}
