/**
 * Gemini Google-login accounts end to end: the admin's OAuth onboarding (authorization URL with
 * PKCE, code exchange against the fake Google token endpoint), then the real Gemini CLI in Code
 * Assist mode (`CODE_ASSIST_ENDPOINT` at the relay's `/gemini`, `GOOGLE_GENAI_USE_GCA=true`, the
 * relay key as `GOOGLE_CLOUD_ACCESS_TOKEN`) against the fake Code Assist API: the expired token
 * refreshed once and saved, the account's project found once (loadCodeAssist, then onboardUser)
 * and kept, every upstream call sent with that project, one history record per call. The same
 * account also answers `@google/genai` on the standard routes (wrapped up, unwrapped back).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { GoogleGenAI } from '@google/genai'
import { type FakeGemini, startFakeGemini } from '../fakes/fake-gemini.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { runGeminiCli } from '../helpers/gemini-cli.ts'
import { startCountingProxy } from '../helpers/http-proxy.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let g: FakeGemini
let r: TestRelay
let accountId: string

beforeAll(async () => {
  up = startFakeUpstream()
  g = startFakeGemini()
  r = await startRelay({
    upstream: up,
    listen: true,
    idleTimeout: 120,
    env: { GEMINI_OAUTH_TOKEN_URL: g.tokenUrl },
  })
})
afterAll(async () => {
  await r.stop()
  g.stop()
  up.stop()
})

describe('Gemini Google-login accounts', () => {
  test('onboarding: authorization URL with PKCE, the code (or callback URL) exchanged once', async () => {
    const start = await r.admin('POST', '/admin/gemini-accounts/generate-auth-url', {})
    expect(start.status).toBe(200)
    const url = new URL(start.json.data.authUrl)
    expect(url.origin + url.pathname).toBe('https://accounts.google.com/o/oauth2/v2/auth')
    expect(url.searchParams.get('client_id')).toStartWith('681255809395-')
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    expect(url.searchParams.get('access_type')).toBe('offline')
    expect(url.searchParams.get('redirect_uri')).toBe('https://codeassist.google.com/authcode')
    const state = url.searchParams.get('state')
    const callback = `https://codeassist.google.com/authcode?code=4/good-code&state=${state}`
    const ex = await r.admin('POST', '/admin/gemini-accounts/exchange-code', {
      sessionId: start.json.data.sessionId,
      callbackUrl: callback,
    })
    expect(ex.status).toBe(200)
    expect(ex.json.data.tokens.access_token).toStartWith('g-code-access-')
    expect(ex.json.data.tokens.refresh_token).toStartWith('g-code-refresh-')
    const form = g.tokenRequests.at(-1)!
    expect(form.grant_type).toBe('authorization_code')
    expect(form.code).toBe('4/good-code')
    expect(form.code_verifier?.length).toBeGreaterThan(40)
    // The session is used up.
    const again = await r.admin('POST', '/admin/gemini-accounts/exchange-code', {
      sessionId: start.json.data.sessionId,
      code: '4/good-code',
    })
    expect(again.status).toBe(400)
  })

  test("the code exchange goes through the session's proxy", async () => {
    const proxy = await startCountingProxy()
    try {
      const start = await r.admin('POST', '/admin/gemini-accounts/generate-auth-url', {
        proxy: { type: 'http', host: '127.0.0.1', port: proxy.port },
      })
      const ex = await r.admin('POST', '/admin/gemini-accounts/exchange-code', {
        sessionId: start.json.data.sessionId,
        code: '4/proxied-code',
      })
      expect(ex.status).toBe(200)
      expect(g.tokenRequests.at(-1)!.code).toBe('4/proxied-code')
      expect(proxy.count).toBeGreaterThan(0)
    } finally {
      proxy.stop()
    }
  })

  test('the Gemini CLI in Code Assist mode: exit 0, token refreshed once and saved, project found once', async () => {
    g.reset()
    g.needOnboarding('g-fresh')
    const created = await r.admin('POST', '/admin/gemini-accounts', {
      name: 'google-login',
      codeAssistEndpoint: g.url,
      geminiOauth: {
        access_token: 'expired-access-0123456789abcdef',
        refresh_token: 'refresh-0123456789abcdef',
        expiry_date: Date.now() - 60_000,
      },
    })
    expect(created.status).toBe(200)
    accountId = created.json.data.id
    const { key } = await r.createKey({ permissions: 'gemini' })
    const before = r.outcomes.length
    const run = await runGeminiCli(
      'Say hello',
      {
        CODE_ASSIST_ENDPOINT: `${r.url}/gemini`,
        GOOGLE_GENAI_USE_GCA: 'true',
        GOOGLE_CLOUD_ACCESS_TOKEN: key,
      },
      { security: { auth: { selectedType: 'oauth-personal' } } },
    )
    if (run.code !== 0) console.error(run.stderr)
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Hello from g-fresh-ac')
    const calls = g.received.filter((x) => /:(generateContent|streamGenerateContent)$/.test(x.path))
    expect(calls.length).toBeGreaterThan(0)
    for (const c of calls) {
      expect(c.body.project).toBe('onboarded-g-fresh-')
      expect(c.credential).toStartWith('g-fresh-access-')
    }
    expect(g.tokenRequests.filter((t) => t.grant_type === 'refresh_token').length).toBe(1)
    expect(g.onboardCalls).toBe(1)
    const view = await r.admin('GET', `/admin/gemini-accounts/${accountId}`)
    expect(view.json.data.options.discoveredProjectId).toBe('onboarded-g-fresh-')
    expect(view.json.data.tokenExpiresAt).toBeGreaterThan(Date.now() + 30 * 60_000)
    const outcomes = (await r.waitOutcomes(before + calls.length)).slice(before)
    const relayed = outcomes.filter((o) => o.billable)
    expect(relayed.length).toBe(calls.length)
    expect(relayed.every((o) => o.outcome === 'success' && o.platform === 'gemini-oauth')).toBe(
      true,
    )
    expect(relayed.some((o) => o.stream && (o.usage?.outputTokens ?? 0) === 17)).toBe(true)
  }, 150_000)

  test('@google/genai on the standard routes through a Google-login account (wrapped, unwrapped)', async () => {
    g.reset()
    const { key } = await r.createKey({ geminiAccountId: accountId })
    const ai = new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: `${r.url}/gemini` } })
    const res = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' })
    expect(res.text).toBe('Hello from g-fresh-ac')
    expect(res.usageMetadata?.promptTokenCount).toBe(40)
    const sent = g.received.at(-1)!
    expect(sent.path).toBe('/v1internal:generateContent')
    expect(sent.body.project).toBe('onboarded-g-fresh-')
    expect((sent.body.request as { contents: unknown[] }).contents.length).toBe(1)
    let text = ''
    for await (const c of await ai.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'stream',
    }))
      text += c.text ?? ''
    expect(text).toBe('Hello from g-fresh-ac')
    expect(g.received.at(-1)!.path).toBe('/v1internal:streamGenerateContent')
    const count = await ai.models.countTokens({ model: 'gemini-2.5-flash', contents: 'count me' })
    expect(count.totalTokens).toBeGreaterThan(0)
    expect(g.received.at(-1)!.body).toEqual({
      request: { model: 'models/gemini-2.5-flash', contents: expect.any(Array) },
    })
    // No new refresh and no new discovery: both were kept.
    expect(g.tokenRequests.length).toBe(0)
    expect(g.loadCalls).toBeGreaterThan(0)
  })

  test('a token Google refuses (401) is refreshed once, saved, and the request retried', async () => {
    const created = await r.admin('POST', '/admin/gemini-accounts', {
      name: 'revoked-token',
      codeAssistEndpoint: g.url,
      accountType: 'dedicated',
      projectId: 'p-revoked',
      geminiOauth: {
        access_token: 'revoked-access-0123456789abcdef',
        refresh_token: 'refresh-again-0123456789abcdef',
        expiry_date: Date.now() + 3_600_000,
      },
    })
    const { key } = await r.createKey({ geminiAccountId: created.json.data.id })
    g.reset()
    const ai = new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: `${r.url}/gemini` } })
    const res = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' })
    expect(res.text).toBe('Hello from g-fresh-ac')
    expect(g.tokenRequests.map((t) => t.grant_type)).toEqual(['refresh_token'])
    // The next request uses the saved token: no second refresh.
    await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'again' })
    expect(g.tokenRequests.length).toBe(1)
    expect(g.received.at(-1)!.credential).toStartWith('g-fresh-access-')
  })

  test('the admin can force a refresh; a refresh token Google refuses is a 502', async () => {
    g.reset()
    const ok = await r.admin('POST', `/admin/gemini-accounts/${accountId}/refresh`)
    expect(ok.status).toBe(200)
    expect(g.tokenRequests.map((t) => t.grant_type)).toEqual(['refresh_token'])
    const bad = await r.admin('POST', '/admin/gemini-accounts', {
      name: 'bad-refresh',
      geminiOauth: { access_token: 'x-0123456789abcdef', refresh_token: 'bad-refresh-0123456789' },
    })
    const res = await r.admin('POST', `/admin/gemini-accounts/${bad.json.data.id}/refresh`)
    expect(res.status).toBe(502)
  })

  test('Code Assist routes refuse keys whose Gemini accounts are API-key only', async () => {
    const api = await r.admin('POST', '/admin/gemini-api-accounts', {
      name: 'api-only',
      baseUrl: g.url,
      apiKey: 'AIza-api-only-0123456789abcdefghij',
      accountType: 'dedicated',
    })
    const { key } = await r.createKey({ geminiAccountId: `api:${api.json.data.id}` })
    const res = await fetch(`${r.url}/gemini/v1internal:generateContent`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gemini-2.5-flash',
        project: 'x',
        request: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] },
      }),
    })
    expect(res.status).toBe(503)
    expect(((await res.json()) as { error: { status: string } }).error.status).toBe('UNAVAILABLE')
  })

  test("a Google-login account's proxy carries its token refresh, project discovery and requests", async () => {
    const proxy = await startCountingProxy()
    try {
      g.reset()
      g.needOnboarding('g-fresh')
      const created = await r.admin('POST', '/admin/gemini-accounts', {
        name: 'google-proxied',
        codeAssistEndpoint: g.url,
        accountType: 'dedicated',
        proxy: { type: 'http', host: '127.0.0.1', port: proxy.port },
        geminiOauth: {
          access_token: 'expired-proxied-0123456789abcdef',
          refresh_token: 'refresh-proxied-0123456789abcdef',
          expiry_date: Date.now() - 60_000,
        },
      })
      expect(created.status).toBe(200)
      expect(created.json.data.proxy).toMatchObject({ host: '127.0.0.1', port: proxy.port })
      const { key } = await r.createKey({ geminiAccountId: created.json.data.id })
      const ai = new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: `${r.url}/gemini` } })
      const res = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' })
      expect(res.text).toBe('Hello from g-fresh-ac')
      expect(proxy.carried).toEqual([
        '/token',
        '/v1internal:loadCodeAssist',
        '/v1internal:onboardUser',
        '/v1internal:generateContent',
      ])
      // Everything the fake received came through the proxy.
      expect(g.received.map((x) => x.path)).toEqual(proxy.carried.slice(1))
    } finally {
      proxy.stop()
    }
  })
})
