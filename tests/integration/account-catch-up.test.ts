/**
 * An account created or regrouped on instance A is usable on instance B at once, even before A's
 * broadcast reaches B: a request that finds no account for its key makes B read the account list
 * again (shared and throttled) and pick once more. Two in-process relays on one Redis; B's
 * subscription drops account broadcasts while `deaf` is set, standing in for a broadcast still in
 * flight or lost.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createRedisStores } from '../../src/storage/redis/create.ts'
import type { Stores } from '../../src/storage/stores.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { messagesRequest } from '../helpers/messages.ts'
import { deletePrefix, REDIS_TEST_URL, shouldRunRedis } from '../helpers/redis.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

if (await shouldRunRedis('account catch-up on redis')) {
  describe('an account B has not heard of yet', () => {
    const prefix = `t${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`
    let up: FakeUpstream
    let a: TestRelay
    let b: TestRelay
    let deaf = false
    let listCalls = 0

    beforeAll(async () => {
      up = startFakeUpstream()
      const storesA = await createRedisStores({ url: REDIS_TEST_URL, prefix })
      const raw = await createRedisStores({ url: REDIS_TEST_URL, prefix })
      const storesB: Stores = {
        ...raw,
        accounts: {
          ...raw.accounts,
          list: (...args) => {
            listCalls++
            return raw.accounts.list(...args)
          },
        },
        coord: {
          ...raw.coord,
          subscribe: (channel, handler) =>
            raw.coord.subscribe(channel, (msg) => {
              if (!(deaf && msg.startsWith('config:'))) handler(msg)
            }),
        },
      }
      a = await startRelay({ upstream: up, stores: storesA })
      b = await startRelay({ upstream: up, stores: storesB })
      // B loads its pool now, before anything below exists.
      const warm = await a.createConsoleAccount('catch-up-warm')
      const key = await a.createKey({ claudeConsoleAccountId: warm })
      expect((await send(b, key.key, 'warm')).status).toBe(200)
      deaf = true
    })
    afterAll(async () => {
      await a?.stop()
      await b?.stop()
      up?.stop()
      await deletePrefix(prefix)
    })

    async function send(r: TestRelay, key: string, text: string) {
      const res = await r.handle(
        messagesRequest(key, { max_tokens: 8, messages: [{ role: 'user', content: text }] }),
      )
      return { status: res.status, body: await res.text() }
    }
    const accountOf = (text: string) =>
      up.received
        .filter((r) => (r.body.messages as { content: unknown }[])[0]?.content === text)
        .at(-1)?.account

    async function group(name: string) {
      const g = await a.admin('POST', '/admin/account-groups', { name })
      expect(g.status).toBe(200)
      return g.json.data.id as string
    }

    test('a group account created on A serves B’s next request', async () => {
      const gid = await group('new-account')
      await a.createConsoleAccount('new-account', { accountType: 'group', groupIds: [gid] })
      const { key } = await a.createKey({ claudeConsoleAccountId: `group:${gid}` })
      const r = await send(b, key, 'new account on b')
      expect(r.status).toBe(200)
      expect(accountOf('new account on b')).toBe('new-account')
    })

    test('a key bound to an account created on A is served by B', async () => {
      const id = await a.createConsoleAccount('bound-account')
      const { key } = await a.createKey({ claudeConsoleAccountId: id })
      const r = await send(b, key, 'bound account on b')
      expect(r.status).toBe(200)
      expect(accountOf('bound account on b')).toBe('bound-account')
    })

    test('an account moved into a group on A serves that group on B', async () => {
      const gid = await group('moved')
      const id = await a.createConsoleAccount('moved-account')
      const { key } = await a.createKey({ claudeConsoleAccountId: `group:${gid}` })
      // B loads the account as shared, then misses its move into the group.
      await b.createKey({ claudeConsoleAccountId: id }).then(async (k) => {
        expect((await send(b, k.key, 'moved before')).status).toBe(200)
      })
      const put = await a.admin('PUT', `/admin/claude-console-accounts/${id}`, {
        accountType: 'group',
        groupIds: [gid],
      })
      expect(put.status).toBe(200)
      const r = await send(b, key, 'moved on b')
      expect(r.status).toBe(200)
      expect(accountOf('moved on b')).toBe('moved-account')
    })

    test('a key whose group stays empty still gets 503, and misses do not read the list each time', async () => {
      const gid = await group('empty')
      const { key } = await a.createKey({ claudeConsoleAccountId: `group:${gid}` })
      const before = listCalls
      const t0 = performance.now()
      const results = []
      for (let i = 0; i < 40; i++) results.push(await send(b, key, `empty ${i}`))
      const ms = performance.now() - t0
      for (const r of results) {
        expect(r.status).toBe(503)
        expect(JSON.parse(r.body).error.message).toContain('no account serves model')
      }
      const reads = listCalls - before
      expect(reads).toBeGreaterThanOrEqual(1)
      // At most one read a second for one key.
      expect(reads).toBeLessThanOrEqual(Math.floor(ms / 1000) + 1)
    })

    test('concurrent misses share one read', async () => {
      const gid = await group('burst')
      await a.createConsoleAccount('burst-account', { accountType: 'group', groupIds: [gid] })
      const { key } = await a.createKey({ claudeConsoleAccountId: `group:${gid}` })
      const before = listCalls
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => send(b, key, `burst ${i}`)),
      )
      for (const r of results) expect(r.status).toBe(200)
      expect(listCalls - before).toBe(1)
    })
  })
}
