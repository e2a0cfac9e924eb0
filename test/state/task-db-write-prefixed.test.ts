import { TaskDb } from '../../src/state/task-db'
import { useTempDir } from './support/temp-dir'

const where = (stateDir: string) => ({ stateDir, applicationId: 'app', taskId: '0_0' })
const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1')

describe('TaskDb.writePrefixed', () => {
  const dir = useTempDir()

  it('writes prefix + key for keys of any length (one scratch buffer serves them all), deletes null values, then the ops', async () => {
    const db = await TaskDb.open(where(dir()))
    try {
      await db.write([{ type: 'put', key: '!s!gone', value: latin1('old') }])
      const long = 'k'.repeat(300)
      const entries = [
        { key: latin1('a'), value: latin1('1') },
        { key: latin1('bbbb'), value: latin1('2') },
        { key: latin1(long), value: latin1('3') },
        { key: latin1('c\u0000\u00ff'), value: latin1('4') },
        { key: latin1('gone'), value: null },
        { key: latin1('a'), value: latin1('5') },
      ]
      await db.writePrefixed(latin1('!s!'), entries, [{ type: 'put', key: '!meta!pos', value: latin1('9') }])
      const all: [string, string][] = []
      for await (const rows of db.iterate('!', '\u00ff')) for (const [k, v] of rows) all.push([k, v.toString('latin1')])
      expect(all.filter(([k]) => k !== '!__meta!format')).toEqual([
        ['!meta!pos', '9'],
        ['!s!a', '5'],
        ['!s!bbbb', '2'],
        ['!s!c\u0000\u00ff', '4'],
        [`!s!${long}`, '3'],
      ])
    } finally {
      await db.close()
    }
  })

  it('is refused once the database is closed', async () => {
    const db = await TaskDb.open(where(dir()))
    await db.close()
    await expect(db.writePrefixed(latin1('!s!'), [{ key: latin1('a'), value: latin1('1') }], [])).rejects.toMatchObject({ code: 'STORE_CLOSED' })
  })
})
