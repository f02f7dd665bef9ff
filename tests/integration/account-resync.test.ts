/**
 * Account caches and missed broadcasts: when the broadcast connection was down, a resync message
 * makes the relay read every account again, so a change it never heard about still takes effect.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { RESYNC } from '../../src/coord/repository.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { messagesRequest } from '../helpers/messages.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let r: TestRelay
beforeAll(async () => {
  up = startFakeUpstream()
  r = await startRelay({ upstream: up })
})
afterAll(async () => {
  await r.stop()
  up.stop()
})

async function accountServing(key: string): Promise<string> {
  up.reset()
  const res = await r.handle(
    messagesRequest(key, {
      messages: [{ role: 'user', content: `resync ${crypto.randomUUID()}` }],
    }),
  )
  expect(res.status).toBe(200)
  await res.arrayBuffer()
  return up.received.at(-1)?.account ?? ''
}

test('a change made while broadcasts were missed takes effect after the resync message', async () => {
  const first = await r.createConsoleAccount('resync-first', { priority: 1 })
  await r.createConsoleAccount('resync-second', { priority: 50 })
  const { key } = await r.createKey()
  expect(await accountServing(key)).toBe('resync-first')

  // Written straight to storage, as another instance would while this one was not listening.
  const repo = r.relay.stores.accounts
  const stored = (await repo.get(first))!
  await repo.put({ ...stored, schedulable: false })
  expect(await accountServing(key)).toBe('resync-first')

  await r.relay.stores.coord.publish('accounts', RESYNC)
  const t0 = Date.now()
  let now = ''
  while (Date.now() - t0 < 2000) {
    now = await accountServing(key)
    if (now === 'resync-second') break
    await Bun.sleep(20)
  }
  expect(now).toBe('resync-second')
})
