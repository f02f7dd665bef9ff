/**
 * The relay on Redis storage, including two relay instances sharing one Redis: limits, sticky
 * sessions and OAuth refresh hold across instances.
 */

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import { createRedisStores } from '../../src/storage/redis/create.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { deletePrefix, REDIS_TEST_URL, shouldRunRedis } from '../helpers/redis.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const prefix = `test:${crypto.randomUUID()}`

if (await shouldRunRedis('relay on redis')) {
  describe('relay on redis', () => {
    let up: FakeUpstream
    let a: TestRelay
    let b: TestRelay
    beforeAll(async () => {
      up = startFakeUpstream()
      a = await startRelay({
        upstream: up,
        listen: true,
        stores: await createRedisStores({ url: REDIS_TEST_URL, prefix }),
      })
      b = await startRelay({
        upstream: up,
        listen: true,
        stores: await createRedisStores({ url: REDIS_TEST_URL, prefix }),
      })
    })
    afterAll(async () => {
      await a.stop()
      await b.stop()
      up.stop()
      await deletePrefix(prefix)
    })
    const ask = {
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: [{ role: 'user' as const, content: 'Hi' }],
    }

    test('a key created on one instance streams through the other', async () => {
      await a.createConsoleAccount('r1')
      const { key } = await a.createKey()
      const msg = await new Anthropic({
        baseURL: `${b.url}/api`,
        apiKey: key,
        maxRetries: 0,
      }).messages
        .stream(ask)
        .finalMessage()
      expect((msg.content[0] as { text: string }).text).toContain('r1')
      expect(msg.usage.input_tokens).toBe(25)
    })

    test('a concurrency limit holds across two instances', async () => {
      const { key } = await a.createKey({ concurrencyLimit: 2 })
      up.script('*', { kind: 'delay', ms: 300 })
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          fetch(`${(i % 2 ? a : b).url}/api/v1/messages`, {
            method: 'POST',
            headers: { 'x-api-key': key },
            body: JSON.stringify(ask),
          }),
        ),
      )
      up.script('*', { kind: 'ok' })
      expect(results.filter((x) => x.status === 200).length).toBe(2)
      expect(results.filter((x) => x.status === 429).length).toBe(6)
    })

    test('an expired OAuth token is refreshed once across both instances', async () => {
      for (const acc of await a.relay.services.accounts.list())
        await a.relay.services.accounts.remove(acc.id)
      up.reset()
      const id = await a.createOAuthAccount('shared-oauth', {
        claudeAiOauth: {
          accessToken: 'stale',
          refreshToken: 'refresh-shared',
          expiresAt: Date.now() - 1000,
        },
      })
      const { key } = await a.createKey()
      await Bun.sleep(50)
      up.setTokenDelay(100)
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          fetch(`${(i % 2 ? a : b).url}/api/v1/messages`, {
            method: 'POST',
            headers: { 'x-api-key': key },
            body: JSON.stringify(ask),
          }),
        ),
      )
      up.setTokenDelay(0)
      expect(results.map((x) => x.status)).toEqual(Array(20).fill(200))
      expect(up.tokenRequests.length).toBe(1)
      expect((await b.relay.services.accounts.reload(id))?.secrets.refreshToken).toMatch(
        /^rotated-refresh-/,
      )
    })
  })
} else {
  describe.skip('relay on redis (Redis unreachable)', () => {})
}
