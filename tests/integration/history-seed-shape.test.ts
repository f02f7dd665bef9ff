/**
 * The key holder's history routes in the old system's shape: a client written against
 * `/api/v1/request-history`, `/api/v1/request-history/:requestId` and `/api/v1/request-stats`
 * of the system we replace reads the same fields with the same types here, and our own fields
 * are still next to them.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const model = 'claude-sonnet-4-6'

/** What a dashboard script written for the old system reads, exactly as it reads it. */
async function seedClient(base: string, apiKey: string, date?: string) {
  const headers = { Authorization: `Bearer ${apiKey}` }
  const qs = date ? `?date=${date}&limit=50&offset=0` : '?limit=50&offset=0'
  const list = (await (
    await fetch(`${base}/api/v1/request-history${qs}`, { headers })
  ).json()) as any
  const rows = list.history.map((h: any) => ({
    id: h.requestId,
    when: new Date(h.timestamp).getTime(),
    ok: h.status === 'success',
    ms: h.duration,
    tokens: h.totalTokens,
    error: h.error,
  }))
  const details = []
  for (const row of rows) {
    const d = (await (
      await fetch(`${base}/api/v1/request-history/${row.id}`, { headers })
    ).json()) as any
    details.push(d.request)
  }
  const stats = (await (
    await fetch(`${base}/api/v1/request-stats${date ? `?date=${date}` : ''}`, { headers })
  ).json()) as any
  return {
    list,
    rows,
    details,
    stats,
    successes: stats.stats.statusStats.success as number,
    hasMore: list.pagination.hasMore as boolean,
  }
}

describe('history routes in the old system shape', () => {
  let up: FakeUpstream
  let r: TestRelay
  const post = (key: string, extra: Record<string, unknown> = {}, headers = {}) =>
    fetch(`${r.url}/api/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'user-agent': 'seed-script/1.0', ...headers },
      body: JSON.stringify({
        model,
        max_tokens: 16,
        messages: [{ role: 'user', content: 'hello from the old dashboard' }],
        ...extra,
      }),
    })

  beforeAll(async () => {
    up = startFakeUpstream()
    r = await startRelay({ upstream: up, listen: true, env: { TIMEZONE_OFFSET: '8' } })
    await r.createConsoleAccount('seed-acct')
  })
  afterAll(async () => {
    await r.stop()
    up.stop()
  })
  beforeEach(() => up.reset())

  test('a client of the old routes reads status, requestId, timestamp, duration, totals, bodies and stats', async () => {
    const { key } = await r.createKey({ name: 'dash' })
    const ok = await post(key)
    const okId = ok.headers.get('request-id')!
    await ok.text()
    await (await post(key, { stream: true })).text()
    up.script('*', {
      kind: 'error',
      status: 400,
      body: { type: 'error', error: { type: 'invalid_request_error', message: 'bad thing' } },
    })
    const bad = await post(key)
    const badId = bad.headers.get('request-id')!
    await bad.text()
    up.script('*', { kind: 'ok' })
    await r.relay.services.history.flush()

    const seen = await seedClient(r.url, key)
    expect(seen.rows.length).toBe(3)
    expect(seen.rows.filter((x: any) => x.ok).length).toBe(2)
    for (const row of seen.rows) {
      expect(row.id).toMatch(/^req_/)
      expect(Number.isFinite(row.when)).toBe(true)
      expect(typeof row.ms).toBe('number')
      expect(typeof row.tokens).toBe('number')
    }
    const okRow = seen.rows.find((x: any) => x.id === okId)
    // 25 in + 12 out + 30 cache creation + 40 cache read, as the old system summed them.
    expect(okRow.tokens).toBe(107)
    expect(okRow.error).toBeUndefined()
    const badRow = seen.rows.find((x: any) => x.id === badId)
    expect(badRow.ok).toBe(false)
    expect(badRow.error).toContain('bad thing')
    expect(seen.successes).toBe(2)
    expect(seen.stats.stats).toMatchObject({
      totalRequests: 3,
      successRequests: 2,
      failedRequests: 1,
      statusStats: { success: 2, error: 1 },
      totalTokens: 214,
    })
    expect(seen.stats.stats.modelStats[model]).toMatchObject({ count: 3, tokens: 214 })
    expect(seen.hasMore).toBe(false)

    const okDetail = seen.details.find((d: any) => d.requestId === okId)
    // Bodies are JSON values, as the old system returned them.
    expect(okDetail.requestBody.messages[0].content).toBe('hello from the old dashboard')
    expect(okDetail.responseBody.type).toBe('message')
    expect(okDetail).toMatchObject({
      status: 'success',
      statusCode: 200,
      inputTokens: 25,
      outputTokens: 12,
      cacheCreateTokens: 30,
      cacheReadTokens: 40,
      totalTokens: 107,
      apiKeyName: 'dash',
    })
    expect(okDetail.endTime).toBeGreaterThanOrEqual(okDetail.startTime)
    expect(new Date(okDetail.timestamp).getTime()).toBe(okDetail.startTime)
    // Request headers, credentials removed.
    expect(okDetail.headers['user-agent']).toBe('seed-script/1.0')
    expect(okDetail.headers['x-api-key']).toBe('[REDACTED]')
    expect(JSON.stringify(okDetail)).not.toContain(key)
    // Ours stay next to them.
    expect(okDetail).toMatchObject({
      outcome: 'success',
      cacheCreate5mTokens: 10,
      cacheCreate1hTokens: 20,
    })
    expect(okDetail.cost).toBeGreaterThan(0)
    expect(okDetail.attempts.length).toBe(1)
    const badDetail = seen.details.find((d: any) => d.requestId === badId)
    expect(badDetail).toMatchObject({ status: 'error', statusCode: 400, outcome: 'error' })
    expect(seen.list.pagination.total).toBe(3)
  })

  test('rejected and aborted requests count as errors; outcome keeps the four values', async () => {
    const { key } = await r.createKey({ permissions: 'openai' })
    await (await post(key)).text()
    await r.relay.services.history.flush()
    const seen = await seedClient(r.url, key)
    expect(seen.list.history[0]).toMatchObject({
      status: 'error',
      outcome: 'rejected',
      statusCode: 403,
    })
    expect(seen.stats.stats.statusStats).toEqual({ success: 0, error: 1 })
    expect(seen.stats.stats.byOutcome).toEqual({ rejected: 1 })
  })

  test('date defaults to today at TIMEZONE_OFFSET and the answer echoes the day and its instants', async () => {
    const { key } = await r.createKey()
    await (await post(key)).text()
    await r.relay.services.history.flush()
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10)
    const seen = await seedClient(r.url, key)
    expect(seen.list).toMatchObject({ date: today, timezoneOffset: 8 })
    expect(seen.list.from).toBe(
      new Date(Date.parse(`${today}T00:00:00Z`) - 8 * 3_600_000).toISOString(),
    )
    expect(Date.parse(seen.list.to) - Date.parse(seen.list.from)).toBe(86_400_000)
    expect(seen.stats).toMatchObject({ date: today, from: seen.list.from, to: seen.list.to })
    expect(seen.rows.length).toBe(1)
    // Another day is empty, and says which instants it covered.
    const other = await seedClient(r.url, key, '2020-01-01')
    expect(other.rows).toEqual([])
    expect(other.list).toMatchObject({
      date: '2020-01-01',
      from: '2019-12-31T16:00:00.000Z',
      to: '2020-01-01T16:00:00.000Z',
    })
    expect(other.stats.stats).toMatchObject({
      totalRequests: 0,
      statusStats: { success: 0, error: 0 },
    })
  })

  test('unknown and foreign records answer the old error bodies', async () => {
    const a = await r.createKey()
    const b = await r.createKey()
    const res = await post(a.key)
    const id = res.headers.get('request-id')!
    await res.text()
    await r.relay.services.history.flush()
    const missing = await fetch(`${r.url}/api/v1/request-history/req_nope`, {
      headers: { 'x-api-key': a.key },
    })
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({
      error: 'Request not found',
      message: expect.any(String),
    })
    const foreign = await fetch(`${r.url}/api/v1/request-history/${id}`, {
      headers: { 'x-api-key': b.key },
    })
    expect(foreign.status).toBe(403)
    expect(await foreign.json()).toMatchObject({ error: 'Access denied' })
    const noKey = await fetch(`${r.url}/api/v1/request-history/${id}`)
    expect(noKey.status).toBe(401)
  })

  test('a request body cut by the capture limit is still JSON with its messages', async () => {
    await r.admin('PUT', '/admin/request-history/config', { maxRequestBodySize: 400 })
    try {
      const { key } = await r.createKey()
      const long = 'word '.repeat(2000)
      const res = await post(key, {
        messages: [
          { role: 'user', content: 'first' },
          { role: 'assistant', content: 'second' },
          { role: 'user', content: long },
        ],
        system: 'x'.repeat(3000),
      })
      const id = res.headers.get('request-id')!
      await res.text()
      await r.relay.services.history.flush()
      const d = (await (
        await fetch(`${r.url}/api/v1/request-history/${id}`, { headers: { 'x-api-key': key } })
      ).json()) as any
      const body = d.request.requestBody
      expect(typeof body).toBe('object')
      expect(body.model).toBe(model)
      expect(body.messages.map((m: any) => m.role)).toEqual(['user', 'assistant', 'user'])
      expect(body.messages[2].content).toStartWith('word word')
      expect(body.messages[2].content).toContain('…[truncated:')
    } finally {
      await r.admin('PUT', '/admin/request-history/config', { maxRequestBodySize: 65536 })
    }
  })
})
