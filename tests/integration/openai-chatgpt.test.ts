/**
 * ChatGPT-login ("Codex") accounts end to end against the fake ChatGPT backend: OAuth onboarding
 * with PKCE (callback URL pasted back), the openai SDK through the relay with the client's
 * instructions kept and only what the backend demands changed, token refresh before expiry and
 * after a 401, the Codex usage windows per account, and a 429 whose reset time the account keeps.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/fake-openai.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let oa: FakeOpenAI
let r: TestRelay

const client = (apiKey: string) =>
  new OpenAI({ baseURL: `${r.url}/openai/v1`, apiKey, maxRetries: 0 })

beforeAll(async () => {
  up = startFakeUpstream()
  oa = startFakeOpenAI()
  r = await startRelay({
    upstream: up,
    listen: true,
    env: {
      OPENAI_CHATGPT_BASE_URL: oa.url,
      OPENAI_OAUTH_TOKEN_URL: `${oa.url}/oauth/token`,
    },
  })
})
afterAll(async () => {
  await r.stop()
  oa.stop()
  up.stop()
})
beforeEach(async () => {
  await r.settle()
  oa.reset()
  r.outcomes.length = 0
})

describe('ChatGPT-login accounts', () => {
  let accountId = ''
  let key = ''

  test('OAuth with PKCE: the authorize URL, the pasted callback URL, the identity of the ID token', async () => {
    const gen = await r.admin('POST', '/admin/openai-accounts/generate-auth-url', {})
    const auth = new URL(gen.json.data.authUrl)
    expect(auth.origin + auth.pathname).toBe('https://auth.openai.com/oauth/authorize')
    expect(auth.searchParams.get('client_id')).toBe('app_EMoamEEZ73f0CkXaXp7hrann')
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256')
    expect(auth.searchParams.get('redirect_uri')).toBe('http://localhost:1455/auth/callback')
    const ex = await r.admin('POST', '/admin/openai-accounts/exchange-code', {
      sessionId: gen.json.data.sessionId,
      callbackUrl: `http://localhost:1455/auth/callback?code=the-code&state=${auth.searchParams.get('state')}`,
      createAccount: true,
      name: 'chatgpt-main',
    })
    expect(ex.status).toBe(200)
    expect(ex.json.data.accountInfo).toMatchObject({
      accountId: 'chatgpt-acct-1',
      email: 'codex-user@example.com',
      planType: 'plus',
    })
    const form = oa.tokenRequests.at(-1)!
    expect(form).toMatchObject({ grant_type: 'authorization_code', code: 'the-code' })
    // The verifier sent is the one whose S256 challenge the authorize URL carried.
    const digest = new Uint8Array(
      await crypto.subtle.digest('SHA-256', new TextEncoder().encode(form.code_verifier)),
    )
    expect(Buffer.from(digest).toString('base64url')).toBe(auth.searchParams.get('code_challenge')!)
    const account = ex.json.data.account
    expect(account.platform).toBe('openai')
    expect(account.options.chatgptAccountId).toBe('chatgpt-acct-1')
    expect(account.hasAccessToken).toBe(true)
    expect(JSON.stringify(account)).not.toContain('chatgpt-access-')
    accountId = account.id
    // The session is single-use; a wrong state is refused.
    const again = await r.admin('POST', '/admin/openai-accounts/exchange-code', {
      sessionId: gen.json.data.sessionId,
      code: 'the-code',
    })
    expect(again.status).toBe(400)
    key = (await r.createKey({ permissions: 'openai' })).key
  })

  test('the SDK through the relay: instructions kept, the backend demands met, usage recorded', async () => {
    const data = await client(key).responses.create({
      model: 'gpt-5-codex',
      instructions: 'Talk like a pirate.',
      input: 'Hi',
      temperature: 0.3,
    })
    expect(data.output_text).toBe('Hello from the fake OpenAI')
    const got = oa.received.at(-1)!
    expect(got.path).toBe('/backend-api/codex/responses')
    expect(got.headers['chatgpt-account-id']).toBe('chatgpt-acct-1')
    expect(got.headers.authorization).toMatch(/^Bearer chatgpt-access-/)
    expect(got.body).toMatchObject({
      instructions: 'Talk like a pirate.',
      store: false,
      stream: true,
      input: 'Hi',
    })
    expect(got.body.temperature).toBeUndefined()
    const [o] = await r.waitOutcomes(1)
    expect(o).toMatchObject({
      outcome: 'success',
      platform: 'openai',
      accountId,
      stream: false,
      usage: { inputTokens: 100, cacheReadTokens: 20, outputTokens: 30 },
    })
    const usage = await r.admin('GET', '/admin/openai-accounts/usage')
    expect(usage.json.data[accountId].codexUsage).toMatchObject({
      primary: { usedPercent: 12.5, windowMinutes: 300, resetAfterSeconds: 3600 },
      secondary: { usedPercent: 40, windowMinutes: 10080 },
    })
  })

  test('a token close to expiry is refreshed first; a 401 refreshes once and retries', async () => {
    const soon = await r.admin('POST', '/admin/openai-accounts', {
      name: 'chatgpt-soon',
      openaiOauth: { accessToken: 'old-access', refreshToken: 'rt-soon', expires_in: 30 },
      accountInfo: { accountId: 'acct-soon' },
      accountType: 'dedicated',
    })
    expect(soon.status).toBe(200)
    const bound = await r.createKey({ permissions: 'openai', openaiAccountId: soon.json.data.id })
    await client(bound.key).responses.create({ model: 'gpt-5', input: 'x', stream: false })
    expect(oa.tokenRequests.at(-1)).toMatchObject({
      grant_type: 'refresh_token',
      refresh_token: 'rt-soon',
    })
    expect(oa.received.at(-1)!.headers.authorization).toMatch(/^Bearer chatgpt-access-/)

    const expired = await r.admin('POST', '/admin/openai-accounts', {
      name: 'chatgpt-401',
      openaiOauth: { accessToken: 'expired-token', refreshToken: 'rt-401', expires_in: 3600 },
      accountInfo: { accountId: 'acct-401' },
      accountType: 'dedicated',
    })
    const k401 = await r.createKey({ permissions: 'openai', openaiAccountId: expired.json.data.id })
    oa.reset()
    const d = await client(k401.key).responses.create({ model: 'gpt-5', input: 'x' })
    expect(d.output_text).toBe('Hello from the fake OpenAI')
    expect(oa.received.map((x) => x.headers.authorization)).toEqual([
      'Bearer expired-token',
      expect.stringMatching(/^Bearer chatgpt-access-/),
    ])
    expect(oa.tokenRequests.at(-1)).toMatchObject({ refresh_token: 'rt-401' })
  })

  test('a 429 usage limit: the client gets it in the OpenAI envelope, the account keeps the reset', async () => {
    const acc = await r.admin('POST', '/admin/openai-accounts', {
      name: 'chatgpt-limited',
      openaiOauth: { accessToken: 'limited-token', refreshToken: 'rt-l', expires_in: 3600 },
      accountInfo: { accountId: 'acct-l' },
      accountType: 'dedicated',
    })
    const id = acc.json.data.id as string
    const k = await r.createKey({ permissions: 'openai', openaiAccountId: id })
    oa.script('limited-token', { kind: 'error', status: 429 })
    const t0 = Date.now()
    const err = await client(k.key)
      .responses.create({ model: 'gpt-5', input: 'x', stream: true })
      .catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.RateLimitError)
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).error).toMatchObject({
      type: 'usage_limit_reached',
      resets_in_seconds: 1800,
    })
    const state = await r.relay.services.accounts.getState(id)
    expect(state.rateLimitedUntil).toBeGreaterThanOrEqual(t0 + 1_799_000)
    const view = await r.admin('GET', `/admin/openai-accounts/${id}`)
    expect(view.json.data.status).toBe('rate_limited')
    const usage = await r.admin('GET', '/admin/openai-accounts/usage')
    expect(usage.json.data[id].codexUsage.primary.usedPercent).toBe(100)
    expect(usage.json.data[id].rateLimitedUntil).not.toBeNull()
  })
})
