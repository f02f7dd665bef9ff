/**
 * Connection reuse to the upstream: requests relayed one after another (streamed, non-streamed,
 * and streams the client reads to the end) travel over the same few upstream connections instead
 * of a new TCP connection each, and concurrent requests need at most one connection each.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { postMessages } from '../helpers/messages.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let r: TestRelay
let key: string

beforeAll(async () => {
  up = startFakeUpstream()
  r = await startRelay({ upstream: up, listen: true })
  await r.createConsoleAccount('reuse')
  key = (await r.createKey()).key
})
afterAll(async () => {
  await r.stop()
  up.stop()
})

async function send(stream: boolean): Promise<string> {
  const res = await postMessages(r.url, key, { stream })
  expect(res.status).toBe(200)
  return res.text()
}

test('40 requests in a row reuse the upstream connection', async () => {
  up.reset()
  for (let i = 0; i < 20; i++) {
    expect(await send(true)).toContain('message_stop')
    expect(JSON.parse(await send(false)).type).toBe('message')
  }
  expect(up.received.length).toBe(40)
  // One connection, plus a spare if the pool opened one while the first was being released.
  expect(up.connections()).toBeLessThanOrEqual(2)
})

test('8 clients at a time for 5 rounds use at most about 8 connections', async () => {
  up.reset()
  for (let round = 0; round < 5; round++)
    await Promise.all(Array.from({ length: 8 }, (_, i) => send(i % 2 === 0)))
  expect(up.received.length).toBe(40)
  expect(up.connections()).toBeLessThanOrEqual(10)
})
