/**
 * Two real relay processes sharing one Redis: limits hold globally, and the leases of a process
 * that crashed expire by themselves.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createRedisStores } from '../../src/storage/redis/create.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { adminOf, type RelayProcess, spawnRelay } from '../helpers/process.ts'
import { deletePrefix, REDIS_TEST_URL, shouldRunRedis } from '../helpers/redis.ts'

const prefix = `t${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`
const ask = () =>
  JSON.stringify({
    model: 'claude-sonnet-4-6',
    max_tokens: 8,
    messages: [{ role: 'user', content: `q ${crypto.randomUUID()}` }],
  })

if (await shouldRunRedis('two relay processes on redis')) {
  describe('two relay processes sharing Redis', () => {
    let up: FakeUpstream
    let a: RelayProcess
    let b: RelayProcess
    let admin: Awaited<ReturnType<typeof adminOf>>
    beforeAll(async () => {
      up = startFakeUpstream()
      const env = {
        REDIS_URL: REDIS_TEST_URL,
        REDIS_PREFIX: prefix,
        CLAUDE_API_URL: up.messagesUrl,
        CONCURRENCY_LEASE_MS: '2000',
      }
      ;[a, b] = await Promise.all([spawnRelay(env), spawnRelay(env)])
      admin = await adminOf(a.url)
      await admin('POST', '/admin/claude-console-accounts', {
        name: 'shared',
        apiUrl: up.url,
        apiKey: 'shared',
      })
    })
    afterAll(async () => {
      await a?.stop('SIGKILL')
      await b?.stop('SIGKILL')
      up.stop()
      await deletePrefix(prefix)
    })

    test('1,000 concurrent requests over both processes against a limit of 100: exactly 100 pass', async () => {
      const key = (
        await admin('POST', '/admin/api-keys', {
          name: 'window',
          rateLimitWindow: 1,
          rateLimitRequests: 100,
        })
      ).data.apiKey
      const results = await Promise.all(
        Array.from({ length: 1000 }, (_, i) =>
          fetch(`${(i % 2 ? a : b).url}/api/v1/messages`, {
            method: 'POST',
            headers: { 'x-api-key': key },
            body: ask(),
          }).then(async (res) => {
            await res.arrayBuffer()
            return res.status
          }),
        ),
      )
      expect(results.filter((s) => s === 200).length).toBe(100)
      expect(results.filter((s) => s === 429).length).toBe(900)
    })

    test('SIGTERM during a stream: the stream is cut after the drain timeout and recorded as aborted', async () => {
      const c = await spawnRelay({
        REDIS_URL: REDIS_TEST_URL,
        REDIS_PREFIX: prefix,
        CLAUDE_API_URL: up.messagesUrl,
        SHUTDOWN_TIMEOUT: '300',
      })
      const key = (await admin('POST', '/admin/api-keys', { name: 'drain' })).data.apiKey
      up.script('shared', { kind: 'silence', afterEvents: 2, ms: 10_000 })
      const res = await fetch(`${c.url}/api/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': key },
        body: JSON.stringify({
          model: 'claude-sonnet-4-6',
          max_tokens: 8,
          stream: true,
          messages: [{ role: 'user', content: 'drain' }],
        }),
      })
      const requestId = res.headers.get('request-id')!
      const reader = res.body!.getReader()
      await reader.read()
      const t0 = Date.now()
      expect(await c.stop('SIGTERM')).toBe(0)
      expect(Date.now() - t0).toBeLessThan(3000)
      // The reader stays referenced until here: a collected response closes its connection, and
      // the relay would rightly record a client that went away.
      await reader.cancel().catch(() => {})
      up.script('shared', { kind: 'ok' })
      const stores = await createRedisStores({ url: REDIS_TEST_URL, prefix })
      const rec = await stores.history.get(requestId)
      await stores.close()
      expect(rec).toMatchObject({
        outcome: 'aborted',
        errorType: 'server_shutdown',
        inputTokens: 25,
      })
    })

    test('the lease of a crashed process expires and frees the slot', async () => {
      const key = (
        await admin('POST', '/admin/api-keys', { name: 'one-at-a-time', concurrencyLimit: 1 })
      ).data.apiKey
      up.script('shared', { kind: 'silence', afterEvents: 2, ms: 20_000 })
      const streaming = await fetch(`${a.url}/api/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': key },
        body: JSON.stringify({
          model: 'claude-sonnet-4-6',
          max_tokens: 8,
          stream: true,
          messages: [{ role: 'user', content: 'slow' }],
        }),
      })
      const reader = streaming.body!.getReader()
      await reader.read()
      up.script('shared', { kind: 'ok' })
      const held = await fetch(`${b.url}/api/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': key },
        body: ask(),
      })
      expect(held.status).toBe(429)
      await a.stop('SIGKILL')
      void reader.cancel().catch(() => {})
      const t0 = Date.now()
      let status = 0
      while (Date.now() - t0 < 6000) {
        const res = await fetch(`${b.url}/api/v1/messages`, {
          method: 'POST',
          headers: { 'x-api-key': key },
          body: ask(),
        })
        await res.arrayBuffer()
        status = res.status
        if (status === 200) break
        await Bun.sleep(200)
      }
      expect(status).toBe(200)
      expect(Date.now() - t0).toBeLessThan(4000)
    })
  })
} else {
  describe.skip('two relay processes (Redis unreachable)', () => {})
}
