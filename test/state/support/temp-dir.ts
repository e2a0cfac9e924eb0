import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

/** A fresh state directory per test, removed afterwards. */
export function useTempDir(): () => string {
  let dir: string | undefined
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfold-state-'))
  })
  afterEach(() => {
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true })
    dir = undefined
  })
  return () => {
    if (dir === undefined) throw new Error('temp dir used outside a test')
    return dir
  }
}
