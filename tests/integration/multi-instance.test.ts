/**
 * Horizontal scale: three real relay processes on one Redis, requests spread round-robin
 * (request i → process i % n). Limits hold globally, sticky sessions agree, health marks and admin
 * changes made on one process are honoured by the others within a second, and an expired OAuth
 * token is refreshed once for the whole fleet. Each test isolates itself in its own account group
 * (accounts of type `group`, the key bound to `group:<id>`), so tests never share accounts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createRedisClient } from '../../src/storage/redis/client.ts'
import { createCoordRepo } from '../../src/storage/redis/coord-repo.ts'
import { createRedisStores } from '../../src/storage/redis/create.ts'
import { createRedisKeys } from '../../src/storage/redis/keys.ts'
import type { Stores } from '../../src/storage/stores.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { messagesRequest, postMessages } from '../helpers/messages.ts'
import { adminOf, type RelayProcess, spawnRelay } from '../helpers/process.ts'
import { deletePrefix, REDIS_TEST_URL, shouldRunRedis } from '../helpers/redis.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const prefix = `t${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`
/** The claims under test: a change on one process is honoured by the others within this. */
const PROPAGATION_MS = 1000
/** How often a process is probed while waiting for a change to arrive. */
const POLL_MS = 25

interface Sent {
  status: number
  text: string
  headers: Headers
}

/** The text of the first user message of a request the fake upstream received. */
function firstText(body: Record<string, unknown>): string {
  const m = (body.messages as { content?: unknown }[] | undefined)?.[0]?.content
  return typeof m === 'string' ? m : ''
}

if (await shouldRunRedis('three relay processes on redis')) {
  describe('three relay processes sharing Redis', () => {
    let up: FakeUpstream
    let procs: RelayProcess[] = []
    let admin: Awaited<ReturnType<typeof adminOf>>
    const measured: string[] = []

    beforeAll(async () => {
      up = startFakeUpstream()
      const env = {
        REDIS_URL: REDIS_TEST_URL,
        REDIS_PREFIX: prefix,
        CLAUDE_API_URL: up.messagesUrl,
        CLAUDE_OAUTH_TOKEN_URL: up.tokenUrl,
        CONCURRENCY_LEASE_MS: '5000',
      }
      procs = await Promise.all([spawnRelay(env), spawnRelay(env), spawnRelay(env)])
      admin = await adminOf(procs[0]!.url)
    })
    afterAll(async () => {
      await Promise.all(procs.map((p) => p.stop('SIGKILL')))
      up?.stop()
      await deletePrefix(prefix)
      if (measured.length) console.log(`[multi-instance]\n  ${measured.join('\n  ')}`)
    })

    /** Sends one Messages request with `text` as the first user message. */
    async function send(
      p: RelayProcess,
      key: string,
      text: string,
      extra: Record<string, unknown> = {},
    ): Promise<Sent> {
      const res = await postMessages(p.url, key, {
        max_tokens: 8,
        messages: [{ role: 'user', content: text }],
        ...extra,
      })
      return { status: res.status, text: await res.text(), headers: res.headers }
    }

    /** The accounts the fake upstream saw for the request whose first message was `text`. */
    const accountsOf = (text: string) =>
      up.received.filter((r) => firstText(r.body) === text).map((r) => r.account)

    /**
     * An account group with console accounts (named as their fake credential) and a key bound to
     * it; returns the ids and the plaintext key.
     */
    async function isolated(
      name: string,
      accounts: { name: string; priority?: number }[],
      keyInput: Record<string, unknown> = {},
      binding: 'claudeConsoleAccountId' | 'claudeAccountId' = 'claudeConsoleAccountId',
    ) {
      const group = await admin('POST', '/admin/account-groups', { name })
      expect(group.success).toBe(true)
      const groupId = group.data.id as string
      const ids: Record<string, string> = {}
      for (const a of accounts) {
        const r = await admin('POST', '/admin/claude-console-accounts', {
          name: a.name,
          apiUrl: up.url,
          apiKey: a.name,
          accountType: 'group',
          groupIds: [groupId],
          priority: a.priority ?? 50,
        })
        expect(r.success).toBe(true)
        ids[a.name] = r.data.id
      }
      const k = await admin('POST', '/admin/api-keys', {
        name,
        [binding]: `group:${groupId}`,
        ...keyInput,
      })
      expect(k.success).toBe(true)
      return { groupId, ids, keyId: k.data.id as string, key: k.data.apiKey as string }
    }

    /**
     * Probes each process every {@link POLL_MS} until `probe` holds (then once more, which must
     * hold too); returns per process the ms from `t0` to the answer of the first probe that held.
     */
    async function propagation(
      t0: number,
      targets: RelayProcess[],
      probe: (p: RelayProcess, n: number) => Promise<boolean>,
      limitMs = 3 * PROPAGATION_MS,
    ): Promise<number[]> {
      return Promise.all(
        targets.map(async (p) => {
          for (let n = 0; ; n++) {
            if (await probe(p, n)) {
              const ms = performance.now() - t0
              expect(await probe(p, n + 1)).toBe(true)
              return Math.round(ms)
            }
            if (performance.now() - t0 > limitMs) return Number.POSITIVE_INFINITY
            await Bun.sleep(POLL_MS)
          }
        }),
      )
    }

    for (const n of [3, 2]) {
      test(`concurrency limit 3 over ${n} processes: 30 concurrent 1 s streams → 3 pass, never more than 3 at the upstream, 27 get an Anthropic 429`, async () => {
        const acct = `conc-${n}`
        const { key } = await isolated(acct, [{ name: acct }], { concurrencyLimit: 3 })
        up.script(acct, { kind: 'silence', afterEvents: 2, ms: 1000 })
        const results = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            send(procs[i % n]!, key, `${acct} ${i}`, { stream: true }),
          ),
        )
        const ok = results.filter((r) => r.status === 200)
        const refused = results.filter((r) => r.status === 429)
        expect(ok.length).toBe(3)
        expect(refused.length).toBe(27)
        for (const r of ok) expect(r.text.trimEnd()).toEndWith('data: {"type":"message_stop"}')
        for (const r of refused) {
          expect(JSON.parse(r.text)).toMatchObject({
            type: 'error',
            error: { type: 'rate_limit_error', limit_type: 'concurrency' },
          })
          expect(r.headers.get('retry-after')).toBeTruthy()
        }
        expect(up.maxInFlightOf(acct)).toBe(3)
        measured.push(
          `concurrency (${n} processes): upstream max in flight ${up.maxInFlightOf(acct)}`,
        )
      })

      test(`rate window of 20 requests over ${n} processes: of 90 concurrent requests exactly 20 pass`, async () => {
        const acct = `rate-${n}`
        const { key } = await isolated(acct, [{ name: acct }], {
          rateLimitWindow: 1,
          rateLimitRequests: 20,
        })
        const results = await Promise.all(
          Array.from({ length: 90 }, (_, i) => send(procs[i % n]!, key, `${acct} ${i}`)),
        )
        expect(results.filter((r) => r.status === 200).length).toBe(20)
        const refused = results.filter((r) => r.status === 429)
        expect(refused.length).toBe(70)
        for (const r of refused)
          expect(JSON.parse(r.text)).toMatchObject({
            type: 'error',
            error: { type: 'rate_limit_error', limit_type: 'window-requests' },
          })
        expect(up.received.filter((r) => r.account === acct).length).toBe(20)
      })
    }

    test('sticky sessions agree: every request of a session lands on one account, whichever process it reaches', async () => {
      const { key } = await isolated('sticky', [
        { name: 'sticky-1' },
        { name: 'sticky-2' },
        { name: 'sticky-3' },
      ])
      const sessions = Array.from({ length: 6 }, () => crypto.randomUUID())
      // Claude Code's two user_id formats: the legacy string and the JSON object.
      const userId = (s: string, j: number) =>
        j % 2
          ? `user_${'ab'.repeat(32)}_account__session_${s}`
          : JSON.stringify({ device_id: 'ab'.repeat(32), account_uuid: '', session_id: s })
      const rounds = 6
      for (let r = 0; r < rounds; r++) {
        // One request per session per round (sessions in parallel), each to a different process.
        const results = await Promise.all(
          sessions.map((s, j) =>
            send(procs[(r + j) % 3]!, key, `sticky ${j} ${r}`, {
              metadata: { user_id: userId(s, j) },
            }),
          ),
        )
        for (const res of results) expect(res.status).toBe(200)
      }
      const used = new Set<string>()
      for (let j = 0; j < sessions.length; j++) {
        const accounts = Array.from({ length: rounds }, (_, r) => accountsOf(`sticky ${j} ${r}`))
        for (const a of accounts) expect(a.length).toBe(1)
        const distinct = new Set(accounts.flat())
        expect(distinct.size).toBe(1)
        used.add([...distinct][0]!)
      }
      // Without sticky sessions the processes would disagree: the pool was really spread.
      expect(used.size).toBeGreaterThan(1)
    })

    test('the first requests of a new session, reaching all three processes at once, land on one account', async () => {
      const { key } = await isolated('sticky-burst', [
        { name: 'burst-1' },
        { name: 'burst-2' },
        { name: 'burst-3' },
      ])
      // Process i has served i + 1 requests, so each would pick a different least recently used
      // account on its own.
      for (const [i, p] of procs.entries())
        for (let n = 0; n <= i; n++) expect((await send(p, key, `warm ${i} ${n}`)).status).toBe(200)
      const sessions = Array.from({ length: 20 }, () => crypto.randomUUID())
      const split: string[] = []
      for (const [j, s] of sessions.entries()) {
        const results = await Promise.all(
          procs.map((p, i) =>
            send(p, key, `burst ${j} ${i}`, {
              metadata: { user_id: `user_${'cd'.repeat(32)}_account__session_${s}` },
            }),
          ),
        )
        for (const res of results) expect(res.status).toBe(200)
        const accounts = new Set(procs.flatMap((_, i) => accountsOf(`burst ${j} ${i}`)))
        if (accounts.size !== 1) split.push(`${s}: ${[...accounts].join(', ')}`)
      }
      expect(split).toEqual([])
    })

    test('an account rate-limited through process A is skipped by B and C within 1 s', async () => {
      const [a, b, c] = procs as [RelayProcess, RelayProcess, RelayProcess]
      const { key } = await isolated('rl', [
        { name: 'rl-first', priority: 1 },
        { name: 'rl-second', priority: 50 },
      ])
      // Every process has the pool loaded and prefers rl-first.
      for (const [i, p] of procs.entries()) {
        expect((await send(p, key, `rl warm ${i}`)).status).toBe(200)
        expect(accountsOf(`rl warm ${i}`)).toEqual(['rl-first'])
      }
      // One 429 (then answers again): a process still sending to it after the mark would succeed
      // and clear the mark, so a slow broadcast shows up as probes landing on rl-first.
      up.script(
        'rl-first',
        { kind: 'error', status: 429, headers: { 'retry-after': '60' } },
        { kind: 'ok' },
      )
      const trigger = await send(a, key, 'rl trigger')
      expect(trigger.status).toBe(200)
      expect(accountsOf('rl trigger')).toEqual(['rl-first', 'rl-second'])
      const t0 = up.received.find((r) => firstText(r.body) === 'rl trigger')!.at

      const perProcess = await Promise.all(
        [b, c].map(async (p, n) => {
          let firstSkip = Number.POSITIVE_INFINITY
          const stale: number[] = []
          for (let i = 0; Date.now() - t0 < 1.5 * PROPAGATION_MS; i++) {
            const text = `rl probe ${n} ${i}`
            expect((await send(p, key, text)).status).toBe(200)
            for (const r of up.received)
              if (firstText(r.body) === text && r.account === 'rl-first') stale.push(r.at - t0)
            if (!accountsOf(text).includes('rl-first'))
              firstSkip = Math.min(firstSkip, Date.now() - t0)
            await Bun.sleep(POLL_MS)
          }
          return { firstSkip, stale }
        }),
      )
      measured.push(
        `rate-limit mark A → B/C: first probe skipping the account answered after ${perProcess.map((x) => x.firstSkip).join(' / ')} ms; probes still sent to it: ${perProcess.map((x) => x.stale.length).join(' / ')}`,
      )
      for (const { firstSkip, stale } of perProcess) {
        expect(firstSkip).toBeLessThanOrEqual(PROPAGATION_MS)
        expect(stale.filter((ms) => ms > PROPAGATION_MS)).toEqual([])
      }
    })

    describe('admin changes on A are honoured by B and C within 1 s', () => {
      const others = () => procs.slice(1)
      const record = (what: string, times: number[]) => {
        measured.push(`${what}: ${times.join(' / ')} ms (B / C)`)
        for (const t of times) expect(t).toBeLessThanOrEqual(PROPAGATION_MS)
      }
      /** Makes the admin `change` on A, then records when B and C answer `status` to `key`. */
      const honoured = async (
        what: string,
        key: string,
        change: () => Promise<{ success: boolean }>,
        status: number,
      ) => {
        const t0 = performance.now()
        expect((await change()).success).toBe(true)
        const times = await propagation(
          t0,
          others(),
          async (p) => (await send(p, key, `${what} probe`)).status === status,
        )
        record(what, times)
      }

      test('disabling a key', async () => {
        const { keyId, key } = await isolated('key-disable', [{ name: 'kd' }])
        for (const p of others()) expect((await send(p, key, 'kd warm')).status).toBe(200)
        await honoured(
          'key disabled',
          key,
          () => admin('PUT', `/admin/api-keys/${keyId}`, { isActive: false }),
          401,
        )
        expect((await send(procs[0]!, key, 'kd a')).status).toBe(401)
      })

      test('deleting a key', async () => {
        const { keyId, key } = await isolated('key-delete', [{ name: 'kx' }])
        for (const p of others()) expect((await send(p, key, 'kx warm')).status).toBe(200)
        await honoured('key deleted', key, () => admin('DELETE', `/admin/api-keys/${keyId}`), 401)
      })

      test("lowering a key's rate window", async () => {
        const { keyId, key } = await isolated('key-window', [{ name: 'kw' }], {
          rateLimitWindow: 1,
          rateLimitRequests: 1000,
        })
        for (const p of procs) expect((await send(p, key, 'kw warm')).status).toBe(200)
        await honoured(
          'key rate window 1000 → 2',
          key,
          () => admin('PUT', `/admin/api-keys/${keyId}`, { rateLimitRequests: 2 }),
          429,
        )
      })

      test("lowering a key's concurrency limit", async () => {
        const { keyId, key } = await isolated('key-conc', [{ name: 'kc' }], {
          concurrencyLimit: 5,
        })
        for (const p of others()) expect((await send(p, key, 'kc warm')).status).toBe(200)
        // Two streams held open through A take two leases.
        up.script('kc', { kind: 'silence', afterEvents: 2, ms: 4000 })
        const held = await Promise.all(
          [0, 1].map(async (i) => {
            const res = await postMessages(procs[0]!.url, key, {
              max_tokens: 8,
              stream: true,
              messages: [{ role: 'user', content: `kc held ${i}` }],
            })
            expect(res.status).toBe(200)
            const reader = res.body!.getReader()
            await reader.read()
            return reader
          }),
        )
        try {
          // Non-streamed probes still pass with limit 5 (2 held + 1).
          for (const p of others()) expect((await send(p, key, 'kc before')).status).toBe(200)
          await honoured(
            'key concurrency 5 → 2',
            key,
            () => admin('PUT', `/admin/api-keys/${keyId}`, { concurrencyLimit: 2 }),
            429,
          )
        } finally {
          for (const reader of held) await reader.cancel().catch(() => {})
        }
      })

      test('disabling, re-enabling and re-prioritising an account', async () => {
        const { ids, key } = await isolated('acct', [
          { name: 'acct-first', priority: 10 },
          { name: 'acct-second', priority: 20 },
        ])
        let seq = 0
        const lands = (account: string) => async (p: RelayProcess) => {
          const text = `acct probe ${seq++}`
          expect((await send(p, key, text)).status).toBe(200)
          return accountsOf(text).at(-1) === account
        }
        for (const p of others()) expect(await lands('acct-first')(p)).toBe(true)

        let t0 = performance.now()
        let r = await admin('PUT', `/admin/claude-console-accounts/${ids['acct-first']}`, {
          isActive: false,
        })
        expect(r.success).toBe(true)
        record('account disabled', await propagation(t0, others(), lands('acct-second')))

        t0 = performance.now()
        r = await admin('PUT', `/admin/claude-console-accounts/${ids['acct-first']}`, {
          isActive: true,
        })
        expect(r.success).toBe(true)
        record('account re-enabled', await propagation(t0, others(), lands('acct-first')))

        t0 = performance.now()
        r = await admin('PUT', `/admin/claude-console-accounts/${ids['acct-second']}`, {
          priority: 1,
        })
        expect(r.success).toBe(true)
        record('account priority 20 → 1', await propagation(t0, others(), lands('acct-second')))
      })
    })

    for (const n of [3, 2]) {
      test(`an expired OAuth token is refreshed once for 30 concurrent requests over ${n} processes`, async () => {
        const name = `oauth-${n}`
        const { groupId, key } = await isolated(name, [], {}, 'claudeAccountId')
        const r = await admin('POST', '/admin/claude-accounts', {
          name,
          accountType: 'group',
          groupIds: [groupId],
          claudeAiOauth: {
            accessToken: `expired-${name}`,
            refreshToken: `refresh-${name}`,
            expiresAt: Date.now() - 60_000,
            scopes: ['user:inference'],
          },
        })
        expect(r.success).toBe(true)
        const before = up.tokenRequests.length
        // A slow token endpoint keeps the refresh in progress while every request arrives.
        up.setTokenDelay(300)
        try {
          const results = await Promise.all(
            Array.from({ length: 30 }, (_, i) => send(procs[i % n]!, key, `${name} ${i}`)),
          )
          for (const res of results) expect(res.status).toBe(200)
        } finally {
          up.setTokenDelay(0)
        }
        const refreshes = up.tokenRequests
          .slice(before)
          .filter((t) => t.grant_type === 'refresh_token')
        measured.push(`oauth refresh (${n} processes): ${refreshes.length} token request(s)`)
        expect(refreshes.length).toBe(1)
        expect(refreshes[0]!.refresh_token).toBe(`refresh-${name}`)
        const tokens = new Set(
          Array.from({ length: 30 }, (_, i) => accountsOf(`${name} ${i}`)).flat(),
        )
        expect(tokens.size).toBe(1)
        expect([...tokens][0]).toStartWith('fresh-access-')
      })
    }
  })

  /**
   * The same claims where a change arrives while an instance is reading the old state (a cache
   * fill or pool load in flight): two in-process instances on one Redis, the reads of B stalled
   * on purpose between reading and using the record.
   */
  describe('an invalidation that races a read on another instance', () => {
    const prefix2 = `t${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`
    let up: FakeUpstream
    let a: TestRelay
    let b: TestRelay
    /** Set to stall the next read of that kind on B after it read (until the gate opens). */
    const stall: Partial<Record<'findByHash' | 'list' | 'get', Promise<void>>> = {}
    const stalled = new Set<string>()
    const measured: string[] = []

    /** Wraps `fn` so that, while `stall[name]` is set, one call waits on it after reading. */
    function stallable<A extends unknown[], R>(
      name: 'findByHash' | 'list' | 'get',
      fn: (...args: A) => Promise<R>,
    ) {
      return async (...args: A): Promise<R> => {
        const result = await fn(...args)
        const gate = stall[name]
        if (gate) {
          delete stall[name]
          stalled.add(name)
          await gate
        }
        return result
      }
    }

    beforeAll(async () => {
      up = startFakeUpstream()
      const storesA = await createRedisStores({ url: REDIS_TEST_URL, prefix: prefix2 })
      const raw = await createRedisStores({ url: REDIS_TEST_URL, prefix: prefix2 })
      const storesB: Stores = {
        ...raw,
        keys: { ...raw.keys, findByHash: stallable('findByHash', raw.keys.findByHash) },
        accounts: {
          ...raw.accounts,
          list: stallable('list', raw.accounts.list),
          get: stallable('get', raw.accounts.get),
        },
      }
      a = await startRelay({ upstream: up, stores: storesA })
      b = await startRelay({ upstream: up, stores: storesB })
    })
    afterAll(async () => {
      await a?.stop()
      await b?.stop()
      up?.stop()
      await deletePrefix(prefix2)
      if (measured.length) console.log(`[multi-instance, racing reads]\n  ${measured.join('\n  ')}`)
    })

    const send = async (r: TestRelay, key: string, text: string) => {
      const res = await r.handle(
        messagesRequest(key, { max_tokens: 8, messages: [{ role: 'user', content: text }] }),
      )
      await res.arrayBuffer()
      return res.status
    }
    const accountOf = (text: string) =>
      up.received.filter((r) => firstText(r.body) === text).at(-1)?.account

    /** A group of console accounts with a key bound to it, made on A. */
    async function isolated(name: string, accounts: { name: string; priority: number }[]) {
      const g = await a.admin('POST', '/admin/account-groups', { name })
      const ids: Record<string, string> = {}
      for (const acct of accounts)
        ids[acct.name] = await a.createConsoleAccount(acct.name, {
          accountType: 'group',
          groupIds: [g.json.data.id],
          priority: acct.priority,
        })
      const key = await a.createKey({ claudeConsoleAccountId: `group:${g.json.data.id}` })
      return { ids, ...key }
    }

    /** Ms from now until `probe` holds on B (polled), or Infinity after 3 s. */
    async function until(probe: () => Promise<boolean>): Promise<number> {
      const t0 = performance.now()
      while (performance.now() - t0 < 3 * PROPAGATION_MS) {
        if (await probe()) return Math.round(performance.now() - t0)
        await Bun.sleep(POLL_MS)
      }
      return Number.POSITIVE_INFINITY
    }

    async function waitStalled(name: string) {
      const t0 = Date.now()
      while (!stalled.has(name) && Date.now() - t0 < 3000) await Bun.sleep(5)
      expect(stalled.has(name)).toBe(true)
      stalled.delete(name)
    }

    test('an account disabled while B loads its pool is skipped by B within 1 s', async () => {
      // B's pool is loaded on its first request: this test must be the first to send through B.
      const { ids, key } = await isolated('race-load', [
        { name: 'race-load-1', priority: 10 },
        { name: 'race-load-2', priority: 20 },
      ])
      let open!: () => void
      stall.list = new Promise<void>((r) => {
        open = r
      })
      const first = send(b, key, 'race-load first')
      await waitStalled('list')
      const r = await a.admin('PUT', `/admin/claude-console-accounts/${ids['race-load-1']}`, {
        isActive: false,
      })
      expect(r.status).toBe(200)
      await Bun.sleep(100)
      open()
      expect(await first).toBe(200)
      let n = 0
      const ms = await until(async () => {
        const text = `race-load probe ${n++}`
        expect(await send(b, key, text)).toBe(200)
        return accountOf(text) === 'race-load-2'
      })
      measured.push(`account disabled during B's pool load: skipped after ${ms} ms`)
      expect(ms).toBeLessThanOrEqual(PROPAGATION_MS)
    })

    test('a key disabled while B is filling its key cache is refused by B within 1 s', async () => {
      const { id, key } = await isolated('race-key', [{ name: 'race-key', priority: 50 }])
      let open!: () => void
      stall.findByHash = new Promise<void>((r) => {
        open = r
      })
      // B reads the (still active) key, then stalls before caching it.
      const first = send(b, key, 'race-key first')
      await waitStalled('findByHash')
      expect((await a.admin('PUT', `/admin/api-keys/${id}`, { isActive: false })).status).toBe(200)
      await Bun.sleep(100) // the invalidation reaches B while its read is stalled
      open()
      expect(await first).toBe(200) // admitted on what it read before the change
      const ms = await until(async () => (await send(b, key, 'race-key probe')) === 401)
      measured.push(`key disabled during B's cache fill: refused after ${ms} ms`)
      expect(ms).toBeLessThanOrEqual(PROPAGATION_MS)
    })

    test('of two quick edits of an account, B keeps the later one', async () => {
      const { ids, key } = await isolated('race-order', [
        { name: 'race-order-1', priority: 10 },
        { name: 'race-order-2', priority: 20 },
      ])
      expect(await send(b, key, 'race-order warm')).toBe(200)
      expect(accountOf('race-order warm')).toBe('race-order-1')
      let open!: () => void
      stall.get = new Promise<void>((r) => {
        open = r
      })
      const path = `/admin/claude-console-accounts/${ids['race-order-1']}`
      // B's reload after the first edit reads it, then stalls; the second edit overtakes it.
      expect((await a.admin('PUT', path, { priority: 15 })).status).toBe(200)
      await waitStalled('get')
      expect((await a.admin('PUT', path, { isActive: false })).status).toBe(200)
      await Bun.sleep(100)
      open()
      let n = 0
      const ms = await until(async () => {
        const text = `race-order probe ${n++}`
        expect(await send(b, key, text)).toBe(200)
        return accountOf(text) === 'race-order-2'
      })
      // Stays on the second account: the stale first edit did not win afterwards.
      await Bun.sleep(200)
      expect(await send(b, key, 'race-order last')).toBe(200)
      expect(accountOf('race-order last')).toBe('race-order-2')
      measured.push(`two quick account edits: B on the later one after ${ms} ms`)
      expect(ms).toBeLessThanOrEqual(PROPAGATION_MS)
    })
  })

  test('a subscription made while the connection runs its ready check still hears broadcasts', async () => {
    // Services subscribe at startup, often while ioredis is still checking the new connection;
    // one relay in ~50 used to end up deaf to every invalidation.
    const keys = createRedisKeys(`t${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`)
    const client = createRedisClient({ url: REDIS_TEST_URL })
    const subscriber = client.duplicate()
    subscriber.on('error', () => {})
    const coord = createCoordRepo(client, keys, { subscriber })
    const heard: string[] = []
    try {
      await new Promise<void>((resolve) =>
        subscriber.once('connect', () => {
          void coord.subscribe('probe', (m) => heard.push(m)).catch(() => {})
          resolve()
        }),
      )
      const t0 = Date.now()
      while (!heard.includes('hello') && Date.now() - t0 < 3000) {
        await coord.publish('probe', 'hello')
        await Bun.sleep(50)
      }
      expect(heard).toContain('hello')
    } finally {
      client.disconnect()
      subscriber.disconnect()
    }
  })

  test('after the broadcast connection drops and comes back, subscribers get a resync and still hear broadcasts', async () => {
    const keys = createRedisKeys(`t${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`)
    const client = createRedisClient({ url: REDIS_TEST_URL })
    const subscriber = client.duplicate()
    subscriber.on('error', () => {})
    const coord = createCoordRepo(client, keys, { subscriber })
    const heard: string[] = []
    try {
      await new Promise<void>((resolve) => subscriber.once('ready', () => resolve()))
      const subscriberId = String(await subscriber.client('ID'))
      await coord.subscribe('probe', (m) => heard.push(m))
      await client.client('KILL', 'ID', subscriberId)
      // A message published while the subscriber is away is lost; the resync says so.
      await coord.publish('probe', 'lost')
      const t0 = Date.now()
      while (!heard.includes('*') && Date.now() - t0 < 3000) await Bun.sleep(20)
      expect(heard).toContain('*')
      while (!heard.includes('after') && Date.now() - t0 < 3000) {
        await coord.publish('probe', 'after')
        await Bun.sleep(50)
      }
      expect(heard).toContain('after')
    } finally {
      client.disconnect()
      subscriber.disconnect()
    }
  })
} else {
  describe.skip('three relay processes (Redis unreachable)', () => {})
}
