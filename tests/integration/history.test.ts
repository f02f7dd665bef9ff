/**
 * Request history end to end on SQLite and Redis: one final record per request whatever the
 * outcome, scoped client views, admin search/stats/export/cleanup, capture settings, retention
 * and redaction.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { storeBackends } from '../helpers/backends.ts'
import { ADMIN, startRelay, type TestRelay } from '../helpers/relay.ts'

const model = 'claude-sonnet-4-6'
const COST = 424_500
const body = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    model,
    max_tokens: 16,
    messages: [{ role: 'user', content: `q ${crypto.randomUUID()}` }],
    ...extra,
  })

const backends = await storeBackends('history on redis')

for (const [name, make] of backends) {
  describe(`history on ${name}`, () => {
    let up: FakeUpstream
    let r: TestRelay
    let cleanup: () => Promise<void>
    const post = (key: string, b = body(), path = '/api/v1/messages', signal?: AbortSignal) =>
      fetch(`${r.url}${path}`, { method: 'POST', headers: { 'x-api-key': key }, body: b, signal })
    const resetAccounts = async () => {
      for (const a of await r.relay.services.accounts.list())
        await r.relay.services.accounts.resetState(a.id)
    }
    const records = async (keyId: string) => {
      await r.relay.services.history.flush()
      return (await r.admin('GET', `/admin/request-history?apiKeyId=${keyId}&limit=500`)).json.data
    }

    beforeAll(async () => {
      up = startFakeUpstream()
      const b = await make()
      cleanup = b.cleanup
      r = await startRelay({ upstream: up, stores: b.stores, listen: true })
      await r.createConsoleAccount('hist-acct', { apiKey: 'sk-ant-api03-account-secret-value-123' })
    })
    afterAll(async () => {
      await r.stop()
      up.stop()
      await cleanup()
    })
    beforeEach(() => up.reset())

    test('every outcome leaves exactly one final record with the right status, tokens and cost', async () => {
      const { id, key } = await r.createKey({ rateLimitWindow: 5, rateLimitRequests: 6 })
      const ids: Record<string, string> = {}
      const ok = await post(key)
      ids.success = ok.headers.get('request-id')!
      await ok.text()
      const okStream = await post(key, body({ stream: true }))
      ids.streamed = okStream.headers.get('request-id')!
      await okStream.text()
      up.script('*', { kind: 'error', status: 529 })
      const failed = await post(key)
      ids.error = failed.headers.get('request-id')!
      await failed.text()
      await resetAccounts()
      up.script('*', { kind: 'cut', afterEvents: 4 })
      const cut = await post(key, body({ stream: true }))
      ids.cut = cut.headers.get('request-id')!
      await cut.text()
      up.script('*', { kind: 'silence', afterEvents: 3, ms: 3000 })
      const ac = new AbortController()
      const aborted = await post(key, body({ stream: true }), '/api/v1/messages', ac.signal)
      ids.aborted = aborted.headers.get('request-id')!
      await aborted.body!.getReader().read()
      ac.abort()
      up.script('*', { kind: 'ok' })
      const counted = await post(key, body(), '/api/v1/messages/count_tokens')
      ids.count = counted.headers.get('request-id')!
      await counted.text()
      const limited = await post(key)
      ids.rejected = limited.headers.get('request-id')!
      expect(limited.status).toBe(429)
      await Bun.sleep(50)

      const data = await records(id)
      expect(data.pagination.total).toBe(7)
      const byId = new Map<string, any>(data.history.map((h: any) => [h.id, h]))
      expect(byId.size).toBe(7)
      expect(byId.get(ids.success)).toMatchObject({
        outcome: 'success',
        status: 200,
        stream: false,
        inputTokens: 25,
        outputTokens: 12,
        costNanos: COST,
        tries: 1,
        accountName: 'hist-acct',
      })
      expect(byId.get(ids.streamed)).toMatchObject({
        outcome: 'success',
        status: 200,
        stream: true,
        inputTokens: 25,
        cacheCreate1hTokens: 20,
        costNanos: COST,
      })
      expect(byId.get(ids.error)).toMatchObject({
        outcome: 'error',
        status: 529,
        errorType: 'overloaded_error',
        costNanos: 0,
      })
      expect(byId.get(ids.cut)).toMatchObject({ outcome: 'error', status: 200, inputTokens: 25 })
      expect(byId.get(ids.aborted)).toMatchObject({ outcome: 'aborted', inputTokens: 25 })
      expect(byId.get(ids.count)).toMatchObject({
        outcome: 'success',
        endpoint: '/api/v1/messages/count_tokens',
        costNanos: 0,
      })
      expect(byId.get(ids.rejected)).toMatchObject({
        outcome: 'rejected',
        status: 429,
        errorType: 'rate_limit_error',
      })
      for (const h of data.history)
        expect(['success', 'error', 'aborted', 'rejected']).toContain(h.outcome)

      const detail = (await r.admin('GET', `/admin/request-history/${ids.streamed}`)).json.data
      expect(JSON.parse(detail.responseBody).content[0].text).toBe(
        'Hello from sk-ant-api03-account-secret-value-123: 你好，世界 🌍'.replace(
          'sk-ant-api03-account-secret-value-123',
          '[REDACTED]',
        ),
      )
      expect(detail.requestBody).toContain('"messages"')
      expect(detail.ttfbMs).toBeGreaterThanOrEqual(0)
    })

    test('combined admin filters return exactly the matches with the right total', async () => {
      const a = await r.createKey()
      const b = await r.createKey()
      for (let i = 0; i < 5; i++) await (await post(a.key)).text()
      for (let i = 0; i < 3; i++)
        await (await post(b.key, body({ model: 'claude-haiku-4-5' }))).text()
      up.script('*', { kind: 'error', status: 529 })
      for (let i = 0; i < 2; i++) {
        await (await post(a.key, body({ model: 'claude-haiku-4-5' }))).text()
        await resetAccounts()
      }
      up.script('*', { kind: 'ok' })
      await r.relay.services.history.flush()
      const q = async (qs: string) =>
        (await r.admin('GET', `/admin/request-history?${qs}`)).json.data
      expect((await q(`apiKeyId=${a.id}`)).pagination.total).toBe(7)
      expect((await q(`apiKeyId=${a.id}&status=error`)).pagination.total).toBe(2)
      expect((await q(`apiKeyId=${a.id}&model=claude-haiku-4-5`)).pagination.total).toBe(2)
      expect(
        (await q(`apiKeyId=${b.id}&model=claude-haiku-4-5&status=success`)).pagination.total,
      ).toBe(3)
      const from = new Date(Date.now() - 60_000).toISOString()
      const paged = await q(`apiKeyId=${a.id}&from=${from}&limit=3&offset=3`)
      expect(paged.pagination).toMatchObject({ total: 7, limit: 3, offset: 3, hasMore: true })
      expect(paged.history.length).toBe(3)
      const stats = (await r.admin('GET', `/admin/request-stats?apiKeyId=${a.id}&granularity=hour`))
        .json.data.stats
      expect(stats).toMatchObject({ totalRequests: 7, successRequests: 5, failedRequests: 2 })
      expect(stats.modelStats[model].count).toBe(5)
      expect(stats.series.reduce((s: number, x: any) => s + x.requests, 0)).toBe(7)
      const bad = await r.admin('GET', '/admin/request-history?status=weird')
      expect(bad.status).toBe(400)
    })

    test('a key holder sees only its own records and stats', async () => {
      const a = await r.createKey()
      const b = await r.createKey()
      const resA = await post(a.key)
      const idA = resA.headers.get('request-id')!
      await resA.text()
      await (await post(b.key)).text()
      await r.relay.services.history.flush()
      const list = (await (
        await fetch(`${r.url}/api/v1/request-history`, { headers: { 'x-api-key': a.key } })
      ).json()) as any
      expect(list.history.map((h: any) => h.id)).toEqual([idA])
      expect(list.pagination.total).toBe(1)
      const mine = await fetch(`${r.url}/api/v1/request-history/${idA}`, {
        headers: { 'x-api-key': a.key },
      })
      expect(mine.status).toBe(200)
      expect(((await mine.json()) as any).request.id).toBe(idA)
      const theirs = await fetch(`${r.url}/api/v1/request-history/${idA}`, {
        headers: { 'x-api-key': b.key },
      })
      expect(theirs.status).toBe(403)
      expect(((await theirs.json()) as any).error).toBe('Access denied')
      const stats = (await (
        await fetch(`${r.url}/api/v1/request-stats`, { headers: { 'x-api-key': a.key } })
      ).json()) as any
      expect(stats.stats).toMatchObject({
        totalRequests: 1,
        successRequests: 1,
        totalCost: COST / 1e9,
      })
      // Asking for another key's records through the filter is ignored: the scope is the caller.
      const sneaky = (await (
        await fetch(`${r.url}/api/v1/request-history?apiKeyId=${b.id}`, {
          headers: { 'x-api-key': a.key },
        })
      ).json()) as any
      expect(sneaky.history.map((h: any) => h.id)).toEqual([idA])
    })

    test('no record holds a configured key, token or password, even when the client sends one', async () => {
      const { id, key } = await r.createKey()
      const secretBody = JSON.stringify({
        model,
        max_tokens: 16,
        metadata: { user_id: 'u' },
        messages: [
          {
            role: 'user',
            content: `my key ${key} and token sk-ant-api03-account-secret-value-123 and password ${ADMIN.password} Bearer abcdefghijklmnop`,
          },
        ],
        api_key: 'plain-secret-in-field',
      })
      await (await post(key, secretBody)).text()
      await (
        await post(key, secretBody.replace('"max_tokens":16', '"max_tokens":16,"stream":true'))
      ).text()
      const data = await records(id)
      const all = JSON.stringify(
        await Promise.all(
          data.history.map(
            async (h: any) => (await r.admin('GET', `/admin/request-history/${h.id}`)).json.data,
          ),
        ),
      )
      expect(all).toContain('[REDACTED]')
      for (const secret of [
        key,
        'sk-ant-api03-account-secret-value-123',
        'abcdefghijklmnop',
        'plain-secret-in-field',
      ])
        expect(all).not.toContain(secret)
    })

    test('redaction is not a password oracle: guesses at the admin password come back as sent', async () => {
      const { key } = await r.createKey()
      const guesses = ['password123', 'admin123456', ADMIN.password, 'letmein-2024', 'hunter2!']
      const res = await post(
        key,
        body({ messages: [{ role: 'user', content: `guesses: ${guesses.join(' | ')}` }] }),
      )
      const requestId = res.headers.get('request-id')!
      await res.text()
      await r.relay.services.history.flush()
      // What the key holder reads back about its own request.
      const mine = await fetch(`${r.url}/api/v1/request-history/${requestId}`, {
        headers: { 'x-api-key': key },
      })
      // The body comes back as the JSON value it was (the old system's shape).
      const stored = JSON.stringify(((await mine.json()) as any).request.requestBody)
      expect(stored).toContain(`guesses: ${guesses.join(' | ')}`)
      expect(stored).not.toContain('[REDACTED]')
    })

    test('a key cut at the stored length keeps none of its characters (redacted before cutting)', async () => {
      const { key } = await r.createKey()
      const victim = (await r.createKey()).key
      const limit = 2000
      await r.admin('PUT', '/admin/request-history/config', { maxRequestBodySize: limit })
      try {
        // The key starts 60 characters before the cut: cutting first kept 60 of its characters.
        const prefix = body({ messages: [{ role: 'user', content: 'P' }] })
        const fill = limit - (prefix.indexOf('"P"') + 1) - 60
        const res = await post(
          key,
          body({ messages: [{ role: 'user', content: `${'x'.repeat(fill)}${victim} tail` }] }),
        )
        const requestId = res.headers.get('request-id')!
        await res.text()
        await r.relay.services.history.flush()
        const detail = (await r.admin('GET', `/admin/request-history/${requestId}`)).json.data
        expect(detail.requestBody).toContain('[truncated:')
        for (let i = 0; i + 8 <= victim.length; i++)
          expect(detail.requestBody.includes(victim.slice(i, i + 8))).toBe(false)
      } finally {
        await r.admin('PUT', '/admin/request-history/config', { maxRequestBodySize: 64 * 1024 })
      }
    })

    test('export streams JSONL and CSV of the filtered selection', async () => {
      const { id, key } = await r.createKey()
      for (let i = 0; i < 3; i++) await (await post(key)).text()
      await r.relay.services.history.flush()
      const token = await r.adminToken()
      const jsonl = await (
        await fetch(`${r.url}/admin/request-history/export?apiKeyId=${id}&format=jsonl`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).text()
      const lines = jsonl
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
      expect(lines.length).toBe(3)
      expect(lines.every((l) => l.keyId === id)).toBe(true)
      const csvRes = await fetch(
        `${r.url}/admin/request-history/export?apiKeyId=${id}&format=csv`,
        { headers: { authorization: `Bearer ${token}` } },
      )
      expect(csvRes.headers.get('content-type')).toContain('text/csv')
      const csv = (await csvRes.text()).trim().split('\n')
      expect(csv[0]).toStartWith('id,startTime')
      expect(csv.length).toBe(4)
      const noAuth = await fetch(`${r.url}/admin/request-history/export`)
      expect(noAuth.status).toBe(401)
    })

    test('capture settings persist, turn bodies off, and cleanup deletes by date', async () => {
      const put = await r.admin('PUT', '/admin/request-history/config', { captureBodies: false })
      expect(put.json.data.captureBodies).toBe(false)
      expect((await r.admin('GET', '/admin/request-history/config')).json.data.captureBodies).toBe(
        false,
      )
      expect(await r.relay.stores.settings.get('history')).toMatchObject({ captureBodies: false })
      const { id, key } = await r.createKey()
      const res = await post(key)
      const rid = res.headers.get('request-id')!
      await res.text()
      await r.relay.services.history.flush()
      const rec = (await r.admin('GET', `/admin/request-history/${rid}`)).json.data
      expect(rec).toMatchObject({ requestBody: '', responseBody: '', inputTokens: 25 })
      await r.admin('PUT', '/admin/request-history/config', { captureBodies: true })
      expect(
        (await r.admin('PUT', '/admin/request-history/config', { maxRequestBodySize: -1 })).status,
      ).toBe(400)

      const cleanupRes = await r.admin('POST', '/admin/request-history/cleanup', {
        beforeDate: new Date(Date.now() + 1000).toISOString(),
      })
      expect(cleanupRes.json.data.deleted).toBeGreaterThan(0)
      expect((await records(id)).pagination.total).toBe(0)
      expect((await r.admin('POST', '/admin/request-history/cleanup', {})).status).toBe(400)
    })

    test('a whole answer with non-ASCII text is stored whole, with no truncation marker', async () => {
      const { id, key } = await r.createKey()
      const text = 'Grüße aus Köln — 東京 😀 '.repeat(40)
      up.script('*', { kind: 'ok', text })
      for (const stream of [false, true]) await (await post(key, body({ stream }))).text()
      up.script('*', { kind: 'ok' })
      await r.relay.services.history.flush()
      const list = (await records(id)).history
      expect(list.length).toBe(2)
      for (const item of list) {
        const rec = (await r.admin('GET', `/admin/request-history/${item.id}`)).json.data
        expect(rec.responseBody).not.toContain('…[truncated:')
        expect(JSON.parse(rec.responseBody).content[0].text).toBe(text)
      }
    })

    test('long bodies are capped with a clear marker and a size cap holds under large responses', async () => {
      await r.admin('PUT', '/admin/request-history/config', {
        maxRequestBodySize: 1000,
        maxResponseBodySize: 5000,
        maxTotalBytes: 1_000_000,
      })
      const { id, key } = await r.createKey()
      up.script('*', { kind: 'ok', text: 'y'.repeat(120_000) })
      for (let i = 0; i < 30; i++)
        await (await post(key, body({ system: 'z'.repeat(5000) }))).text()
      up.script('*', { kind: 'ok' })
      await r.relay.services.history.flush()
      const first = (await records(id)).history[0]
      const rec = (await r.admin('GET', `/admin/request-history/${first.id}`)).json.data
      expect(rec.requestBody).toContain('…[truncated:')
      expect(rec.responseBody).toContain('…[truncated:')
      expect(rec.requestBody.length).toBeLessThan(1200)
      await r.relay.cleanup()
      const size = await r.relay.stores.history.size()
      expect(size.bytes).toBeLessThanOrEqual(1_000_000)
      await r.admin('PUT', '/admin/request-history/config', {
        maxRequestBodySize: 65536,
        maxResponseBodySize: 262144,
        maxTotalBytes: 1_000_000_000,
      })
    })
  })
}
