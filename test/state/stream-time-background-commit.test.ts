/**
 * A window store's stream time is stored with the commit whose step 1 saw it. at_least_once
 * commits finish in the background, so records processed between step 1 and the batch write
 * advance the stream time for the NEXT commit; the next commit must still write it.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { windowStoreSpec } from '../../src/state/store-spec'
import { TaskStores } from '../../src/state/task-stores'
import { stringSerde, uint32Serde } from './support/serdes'

it('stores the stream time advanced while a commit finishes with the next commit', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-time-'))
  const spec = windowStoreSpec({ name: 'win', keySerde: stringSerde, valueSerde: uint32Serde, windowSizeMs: 10, retentionMs: 100, persistent: true })
  const open = () => TaskStores.open({ applicationId: 'app', taskId: '0_0', stateDir: dir, changelogPartition: 0, stores: [spec] })
  try {
    let task = await open()
    let store = task.getWindowStore<string, number>('win')
    store.put('a', 1, 0)
    task.prepareCommit([{ topic: 'in', partition: 0, offset: 1 }]) // step 1
    store.put('b', 2, 1000) // processed while steps 2-4 run in the background
    await task.commit()
    task.prepareCommit([{ topic: 'in', partition: 0, offset: 2 }]) // the next commit holds 'b'
    await task.commit()
    expect(store.observedStreamTime).toBe(1000)
    await task.close()

    task = await open()
    store = task.getWindowStore<string, number>('win')
    expect(store.observedStreamTime).toBe(1000)
    await task.close()
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
