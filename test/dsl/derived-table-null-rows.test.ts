/**
 * Derived tables whose derivation yields null (a mapValues mapper or a table-table joiner
 * returning null): their own updates treat null as "no row" (a deletion downstream), so their
 * value getters must too, as Kafka Streams' do (ValueAndTimestamp.make(null, ts) is null).
 * Otherwise a join reading them would see a row holding null: an inner join would call its
 * joiner with null, and a result would take the timestamp of a row that is not there.
 */
import { Serdes, StreamBuilder } from 'streamfold'
import { rows, withDriver } from './support/driver-kit'

const str = Serdes.string()

const nullIfEmpty = (_k: string, v: string): string | null => (v === '' ? null : v)

describe('derived rows mapped to null read as absent', () => {
  test('table-table inner join with a mapValues table whose mapper returns null: no joiner call with null, no result', () => {
    const b = new StreamBuilder()
    const users = b.table('users', { key: str, value: str })
    const nicknames = b.table('nicknames', { key: str, value: str }).mapValues(nullIfEmpty)
    users.join(nicknames, (_k, u, n) => `${u}|${n}`).toStream().to('out', { key: str, value: str })
    withDriver(b.build(), (d) => {
      const u = d.createInputTopic('users', str, str)
      const n = d.createInputTopic('nicknames', str, str)
      const out = d.createOutputTopic('out', str, str)
      n.pipeInput('k', '', 5) // mapped to null: no nickname row
      u.pipeInput('k', 'ada', 2) // inner join: nothing to join with
      n.pipeInput('k', 'addie', 6)
      expect(rows(out)).toEqual([['k', 'ada|addie', 6]])
    })
  })

  test('table-table left join: a right row mapped to null joins as null, at the left row\'s timestamp', () => {
    const b = new StreamBuilder()
    const users = b.table('users', { key: str, value: str })
    const nicknames = b.table('nicknames', { key: str, value: str }).mapValues(nullIfEmpty)
    users.leftJoin(nicknames, (_k, u, n) => `${u}|${n ?? '-'}`).toStream().to('out', { key: str, value: str })
    withDriver(b.build(), (d) => {
      d.createInputTopic('nicknames', str, str).pipeInput('k', '', 9)
      d.createInputTopic('users', str, str).pipeInput('k', 'ada', 2)
      expect(rows(d.createOutputTopic('out', str, str))).toEqual([['k', 'ada|-', 2]])
    })
  })

  test('an unnamed join result whose joiner returns null reads as absent in a later inner join', () => {
    const b = new StreamBuilder()
    const users = b.table('users', { key: str, value: str })
    const roles = b.table('roles', { key: str, value: str })
    // A joiner may return null to say "no row" (the join's own updates then delete the key).
    const admins = users.join(roles, (_k, u, r): string | null => (r === 'admin' ? u : null))
    b.stream('logins', { key: str, value: str })
      .join(admins, (_k, l, a) => `${l}:${a}`)
      .to('out', { key: str, value: str })
    withDriver(b.build(), (d) => {
      d.createInputTopic('users', str, str).pipeInput('k', 'ada', 1)
      const r = d.createInputTopic('roles', str, str)
      const l = d.createInputTopic('logins', str, str)
      r.pipeInput('k', 'guest', 2)
      l.pipeInput('k', 'l1', 3) // the join result is null: an inner join drops the login
      r.pipeInput('k', 'admin', 4)
      l.pipeInput('k', 'l2', 5)
      expect(rows(d.createOutputTopic('out', str, str))).toEqual([['k', 'l2:ada', 5]])
    })
  })

  test('a chain mapValues(null) → outer join: the null-mapped side joins as null', () => {
    const b = new StreamBuilder()
    const left = b.table('left', { key: str, value: str }).mapValues(nullIfEmpty)
    const right = b.table('right', { key: str, value: str })
    left.outerJoin(right, (_k, l, r) => `${l ?? 'null'}+${r ?? 'null'}`).toStream().to('out', { key: str, value: str })
    withDriver(b.build(), (d) => {
      d.createInputTopic('left', str, str).pipeInput('k', '', 7)
      d.createInputTopic('right', str, str).pipeInput('k', 'r', 3)
      expect(rows(d.createOutputTopic('out', str, str))).toEqual([['k', 'null+r', 3]])
    })
  })
})

describe('join-result getters over null-mapped rows', () => {
  test('an unnamed inner join over a mapValues(null) table has no row there: its joiner is not called with null', () => {
    const b = new StreamBuilder()
    const left = b.table('left', { key: str, value: str }).mapValues(nullIfEmpty)
    const right = b.table('right', { key: str, value: str })
    const seen: (string | null)[] = []
    const both = left.join(right, (_k, l, r) => {
      seen.push(l)
      return `${l}+${r}`
    })
    b.stream('s', { key: str, value: str })
      .leftJoin(both, (_k, s, j) => `${s}:${j ?? 'none'}`)
      .to('out', { key: str, value: str })
    withDriver(b.build(), (d) => {
      d.createInputTopic('left', str, str).pipeInput('k', '', 1)
      d.createInputTopic('right', str, str).pipeInput('k', 'r', 2)
      d.createInputTopic('s', str, str).pipeInput('k', 's1', 3)
      expect(rows(d.createOutputTopic('out', str, str))).toEqual([['k', 's1:none', 3]])
      expect(seen).not.toContain(null)
    })
  })
})
