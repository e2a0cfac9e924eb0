import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { claimProcessIdentity } from '../../../src/runtime/app/process-identity'
import { tempDirs } from '../../integration/support/app-test-kit'

const tempDir = tempDirs()

describe('claimProcessIdentity', () => {
  it('keeps the process id across restarts of the same instance', async () => {
    const dir = tempDir()
    const first = await claimProcessIdentity(dir, 'app')
    await first.release()
    const second = await claimProcessIdentity(dir, 'app')
    await second.release()
    expect(second.processId).toBe(first.processId)
    expect(JSON.parse(readFileSync(path.join(dir, 'app', 'process-metadata.json'), 'utf8'))).toEqual({ processId: first.processId })
    const other = await claimProcessIdentity(tempDir(), 'app')
    await other.release()
    expect(other.processId).not.toBe(first.processId)
  })

  it('refuses a directory held by this process or by another live one', async () => {
    const dir = tempDir()
    const held = await claimProcessIdentity(dir, 'app')
    await expect(claimProcessIdentity(dir, 'app')).rejects.toMatchObject({ code: 'STATE_DIR_LOCKED', message: expect.stringContaining('this process') })
    await held.release()
    writeFileSync(path.join(dir, 'app', 'instance.lock'), String(process.ppid))
    await expect(claimProcessIdentity(dir, 'app')).rejects.toMatchObject({ code: 'STATE_DIR_LOCKED', message: expect.stringContaining(`process ${process.ppid}`) })
  })

  it('takes over the lock of a process that died, and replaces unreadable metadata', async () => {
    const dir = tempDir()
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout
    const first = await claimProcessIdentity(dir, 'app')
    await first.release()
    writeFileSync(path.join(dir, 'app', 'instance.lock'), dead)
    writeFileSync(path.join(dir, 'app', 'process-metadata.json'), '{ not json')
    const second = await claimProcessIdentity(dir, 'app')
    await second.release()
    expect(second.processId).toMatch(/^[0-9a-f-]{36}$/)
  })
})
