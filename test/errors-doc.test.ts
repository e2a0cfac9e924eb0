import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ERROR_CODES } from 'streamfold'

test('every error code is documented in docs/errors.md', () => {
  const doc = readFileSync(join(__dirname, '..', 'docs', 'errors.md'), 'utf8')
  const missing = ERROR_CODES.filter((code) => !doc.includes(`\`${code}\``))
  expect(missing).toEqual([])
})
