import { type ChildProcess, spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { TaskDb } from '../../src/state/task-db'
import { TaskStores } from '../../src/state/task-stores'
import { keyValueStoreSpec } from '../../src/state/store-spec'
import { FORMAT_KEY } from '../../src/state/key-space'
import { captureLogger } from './support/capture-logger'
import { stringSerde } from './support/serdes'
import { useTempDir } from './support/temp-dir'

const where = (stateDir: string) => ({ stateDir, applicationId: 'app', taskId: '1_3' })
const spec = keyValueStoreSpec({ name: 'kv', keySerde: stringSerde, valueSerde: stringSerde })
const src = [{ topic: 'in', partition: 3, offset: 1 }]

async function seed(stateDir: string): Promise<void> {
  const task = await TaskStores.open({ applicationId: 'app', taskId: '1_3', stateDir, changelogPartition: 3, stores: [spec] })
  const kv = task.getKeyValueStore<string, string>('kv')
  for (let i = 0; i < 500; i++) kv.put(`key-${i}`, 'x'.repeat(100))
  task.prepareCommit(src)
  await task.commit()
  await task.close()
}

/** A child process holding the task database open until its stdin closes. */
async function holdLock(location: string): Promise<ChildProcess> {
  const classicLevel = require.resolve('classic-level')
  const script = `
    const { ClassicLevel } = require(${JSON.stringify(classicLevel)})
    const db = new ClassicLevel(${JSON.stringify(location)})
    db.open().then(() => { process.stdout.write('READY\\n'); process.stdin.resume(); process.stdin.on('end', () => db.close().then(() => process.exit(0))) },
      (e) => { process.stdout.write('FAILED ' + (e.cause && e.cause.code) + '\\n'); process.exit(1) })
  `
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => (chunk.toString().startsWith('READY') ? resolve() : reject(new Error(chunk.toString()))))
    child.on('exit', (code) => reject(new Error(`child exited with ${code}`)))
  })
  return child
}

describe('TaskDb', () => {
  const dir = useTempDir()

  it('places the database at stateDir/applicationId/taskId and writes the layout version', async () => {
    const db = await TaskDb.open(where(dir()))
    expect(db.location).toBe(path.join(dir(), 'app', '1_3'))
    expect(db.getSync(FORMAT_KEY)?.toString()).toBe('1')
    await db.close()
  })

  it('a second process opening the same task directory gets STATE_DIR_LOCKED, and nothing is wiped', async () => {
    await seed(dir())
    const child = await holdLock(TaskDb.location(where(dir())))
    try {
      await expect(TaskDb.open(where(dir()))).rejects.toMatchObject({ code: 'STATE_DIR_LOCKED' })
      await expect(
        TaskStores.open({ applicationId: 'app', taskId: '1_3', stateDir: dir(), changelogPartition: 3, stores: [spec] }),
      ).rejects.toMatchObject({ code: 'STATE_DIR_LOCKED' })
    } finally {
      child.stdin!.end()
      await new Promise((resolve) => child.on('exit', resolve))
    }
    const task = await TaskStores.open({ applicationId: 'app', taskId: '1_3', stateDir: dir(), changelogPartition: 3, stores: [spec] })
    expect(task.getKeyValueStore<string, string>('kv').get('key-7')).toBe('x'.repeat(100))
    await task.close()
  })

  it('a second open in the same process is refused too', async () => {
    const db = await TaskDb.open(where(dir()))
    await expect(TaskDb.open(where(dir()))).rejects.toMatchObject({ code: 'STATE_DIR_LOCKED' })
    await db.close()
  })

  it('an unknown layout version is STATE_CORRUPTED', async () => {
    const db = await TaskDb.open(where(dir()))
    await db.write([{ type: 'put', key: FORMAT_KEY, value: Buffer.from('99') }])
    await db.close()
    await expect(TaskDb.open(where(dir()))).rejects.toMatchObject({ code: 'STATE_CORRUPTED' })
  })

  it('data without a layout version is STATE_CORRUPTED', async () => {
    const db = await TaskDb.open(where(dir()))
    await db.write([{ type: 'del', key: FORMAT_KEY }, { type: 'put', key: '!kv!a', value: Buffer.from('1') }])
    await db.close()
    await expect(TaskDb.open(where(dir()))).rejects.toMatchObject({ code: 'STATE_CORRUPTED' })
  })

  it('LevelDB corruption is STATE_CORRUPTED; TaskStores wipes with a warning and starts empty', async () => {
    await seed(dir())
    const location = TaskDb.location(where(dir()))
    const manifest = fs.readdirSync(location).find((f) => f.startsWith('MANIFEST'))!
    const bytes = fs.readFileSync(path.join(location, manifest))
    for (let i = 10; i < bytes.length; i += 5) bytes[i]! ^= 0x55
    fs.writeFileSync(path.join(location, manifest), bytes)
    await expect(TaskDb.open(where(dir()))).rejects.toMatchObject({ code: 'STATE_CORRUPTED' })

    const logger = captureLogger()
    const task = await TaskStores.open({
      applicationId: 'app',
      taskId: '1_3',
      stateDir: dir(),
      changelogPartition: 3,
      stores: [spec],
      logger,
    })
    expect(task.getKeyValueStore<string, string>('kv').get('key-7')).toBeUndefined()
    expect(logger.lines.some((l) => l.level === 'warn' && /wiping/.test(l.msg ?? ''))).toBe(true)
    await task.close()
  })

  it('corruption found while reading is STATE_CORRUPTED', async () => {
    const db = await TaskDb.open(where(dir()))
    await db.write(Array.from({ length: 2000 }, (_, i) => ({ type: 'put' as const, key: `!kv!k${i}`, value: Buffer.alloc(100, i) })))
    await db.close()
    // Reopening compacts the log into a table file, which we then damage.
    const again = await TaskDb.open(where(dir()))
    await again.close()
    const location = TaskDb.location(where(dir()))
    const table = fs.readdirSync(location).find((f) => f.endsWith('.ldb'))
    expect(table).toBeDefined() // reopening converts the log into a level-0 table
    const bytes = fs.readFileSync(path.join(location, table!))
    for (let i = 0; i < bytes.length; i += 3) bytes[i]! ^= 0x55
    fs.writeFileSync(path.join(location, table!), bytes)
    let opened: TaskDb | undefined
    try {
      opened = await TaskDb.open(where(dir()))
      expect(() => opened!.getSync('!kv!k5')).toThrow(expect.objectContaining({ code: 'STATE_CORRUPTED' }))
    } catch (error) {
      expect(error).toMatchObject({ code: 'STATE_CORRUPTED' })
    } finally {
      await opened?.close()
    }
  })

  it('wipe removes the directory', async () => {
    const db = await TaskDb.open(where(dir()))
    await db.wipe()
    expect(fs.existsSync(db.location)).toBe(false)
    expect(() => db.getSync('x')).toThrow(expect.objectContaining({ code: 'STORE_CLOSED' }))
  })
})
