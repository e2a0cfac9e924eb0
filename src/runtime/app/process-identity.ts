/**
 * The instance's identity on disk, in `${stateDir}/${applicationId}`, as Kafka Streams keeps it:
 * a process id that survives restarts (so the transactional id `${applicationId}-${processId}` is
 * the same after a crash, and the restarted producer fences its predecessor and aborts its open
 * transaction at once instead of waiting for the transaction timeout), and a lock file so a second
 * instance on the same directory fails fast instead of fencing the first over and over.
 */
import { randomUUID } from 'node:crypto'
import { mkdir, open, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { StreamfoldError } from '../../errors'

const METADATA_FILE = 'process-metadata.json'
const LOCK_FILE = 'instance.lock'

/** Directories locked by this process (the pid alone cannot tell two apps in one process apart). */
const heldHere = new Set<string>()

export interface ProcessIdentity {
  readonly processId: string
  release(): Promise<void>
}

export async function claimProcessIdentity(stateDir: string, applicationId: string): Promise<ProcessIdentity> {
  const dir = path.join(stateDir, applicationId)
  await mkdir(dir, { recursive: true })
  await lock(dir)
  try {
    const processId = await loadOrCreateProcessId(dir)
    let released = false
    return {
      processId,
      async release() {
        if (released) return
        released = true
        heldHere.delete(dir)
        await unlink(path.join(dir, LOCK_FILE)).catch(() => undefined)
      },
    }
  } catch (error) {
    heldHere.delete(dir)
    await unlink(path.join(dir, LOCK_FILE)).catch(() => undefined)
    throw error
  }
}

async function lock(dir: string): Promise<void> {
  const file = path.join(dir, LOCK_FILE)
  if (heldHere.has(dir)) throw locked(dir, process.pid)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx')
      await handle.writeFile(String(process.pid))
      await handle.close()
      heldHere.add(dir)
      return
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const owner = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10)
    // A lock left by a process that died (kill -9) is stale; this process holds none (checked above).
    if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) throw locked(dir, owner)
    await unlink(file).catch(() => undefined)
  }
  throw locked(dir, undefined)
}

async function loadOrCreateProcessId(dir: string): Promise<string> {
  const file = path.join(dir, METADATA_FILE)
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { processId?: unknown }
    if (typeof parsed.processId === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(parsed.processId)) return parsed.processId
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !(error instanceof SyntaxError)) throw error
  }
  const processId = randomUUID()
  const partial = `${file}.tmp`
  await writeFile(partial, JSON.stringify({ processId }))
  await rename(partial, file)
  return processId
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function locked(dir: string, pid: number | undefined): StreamfoldError {
  const by = pid === undefined ? 'another instance' : pid === process.pid ? 'another app in this process' : `process ${pid}`
  return new StreamfoldError('STATE_DIR_LOCKED', `state directory ${dir} is in use by ${by}: give each instance its own stateDir`)
}
