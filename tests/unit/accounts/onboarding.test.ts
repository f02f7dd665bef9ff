/** PKCE, authorize URL, pasted-code parsing, token-endpoint errors and sessions of onboarding. */
import { describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import {
  authorizeUrl,
  base64Url,
  createOnboarding,
  generatePkce,
  parseAuthorizationInput,
  pkceChallenge,
  tokenErrorMessage,
} from '../../../src/accounts/onboarding.ts'
import { openBunSqlite } from '../../../src/runtime/bun.ts'
import { createSqliteStores } from '../../../src/storage/sqlite/create.ts'

describe('PKCE', () => {
  test('verifier and state are 32 random bytes base64url; challenge is S256', async () => {
    const a = await generatePkce()
    const b = await generatePkce()
    expect(a.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(a.state).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(a.codeVerifier).not.toBe(b.codeVerifier)
    expect(a.state).not.toBe(a.codeVerifier)
    const expected = createHash('sha256').update(a.codeVerifier).digest('base64url')
    expect(a.codeChallenge).toBe(expected)
    expect(await pkceChallenge(a.codeVerifier)).toBe(expected)
  })

  test('RFC 7636 appendix B example', async () => {
    expect(await pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    )
    expect(base64Url(new Uint8Array([251, 255]))).toBe('-_8')
  })

  test('authorize URL carries every parameter', () => {
    const u = new URL(
      authorizeUrl('https://claude.ai/oauth/authorize', {
        redirectUri: 'https://x.test/cb',
        scope: 'user:inference',
        codeChallenge: 'ch',
        state: 'st',
      }),
    )
    expect(Object.fromEntries(u.searchParams)).toEqual({
      code: 'true',
      client_id: '9d1c250a-e61b-44d9-88ed-5944d1962f5e',
      response_type: 'code',
      redirect_uri: 'https://x.test/cb',
      scope: 'user:inference',
      code_challenge: 'ch',
      code_challenge_method: 'S256',
      state: 'st',
    })
  })
})

describe('parseAuthorizationInput', () => {
  test('bare codes are cut at # and &', () => {
    expect(parseAuthorizationInput({ authorizationCode: ' abcdefghij#state' })).toEqual({
      code: 'abcdefghij',
      state: null,
    })
    expect(parseAuthorizationInput({ authorizationCode: 'abc_DEF-123&x=1' }).code).toBe(
      'abc_DEF-123',
    )
  })
  test('callback URLs give code and state', () => {
    expect(
      parseAuthorizationInput({ callbackUrl: 'https://h/cb?code=abcdefghijk&state=s1' }),
    ).toEqual({ code: 'abcdefghijk', state: 's1' })
    expect(
      parseAuthorizationInput({ authorizationCode: 'https://h/cb?code=abcdefghijk' }).state,
    ).toBeNull()
  })
  test('short, empty or invalid codes are refused', () => {
    for (const input of [
      {},
      { authorizationCode: 'short' },
      { authorizationCode: 'has spaces in it' },
      { callbackUrl: 'https://h/cb?state=x' },
      { authorizationCode: '#abcdefghijkl' },
    ])
      expect(() => parseAuthorizationInput(input)).toThrow(/^Cannot exchange code/)
  })
})

test('token endpoint errors are readable and carry no body beyond the message', () => {
  expect(tokenErrorMessage(400, '{"error":"invalid_grant","error_description":"Bad code"}')).toBe(
    'Cannot exchange code: token endpoint answered 400 (invalid_grant: Bad code)',
  )
  expect(
    tokenErrorMessage(429, '{"error":{"type":"rate_limit_error","message":"Slow down"}}'),
  ).toBe('Cannot exchange code: token endpoint answered 429 (Slow down)')
  expect(tokenErrorMessage(502, '')).toBe('Cannot exchange code: token endpoint answered 502')
})

describe('sessions', () => {
  function setup(now = { t: Date.now() }) {
    const stores = createSqliteStores(openBunSqlite(':memory:'))
    const calls: { url: string; body: Record<string, unknown>; proxy: unknown }[] = []
    const onboarding = createOnboarding({
      coord: stores.coord,
      clock: { now: () => now.t },
      fetchVia: (proxy) => async (url, init) => {
        calls.push({ url: String(url), body: JSON.parse(String(init?.body)), proxy })
        return Response.json({
          access_token: 'at',
          refresh_token: 'rt',
          expires_in: 100,
          organization: { organization_uuid: 'o1' },
          account: { id: 'a1' },
        })
      },
      authorizeUrl: 'https://claude.ai/oauth/authorize',
      redirectUri: 'https://r.test/cb',
      tokenUrl: 'https://t.test/token',
      scopes: 'user:inference user:profile',
    })
    return { onboarding, calls, now }
  }

  test('exchange uses the session verifier and proxy and is one-time', async () => {
    const { onboarding, calls, now } = setup()
    const proxy = { type: 'http' as const, host: 'p', port: 1, password: 'pw' }
    const s = await onboarding.start('oauth', proxy)
    const got = await onboarding.exchange('oauth', s.sessionId, {
      authorizationCode: 'abcdefghijk',
    })
    expect(calls[0]!.proxy).toEqual(proxy)
    expect(calls[0]!.url).toBe('https://t.test/token')
    expect(calls[0]!.body.redirect_uri).toBe('https://r.test/cb')
    const challenge = new URL(s.authUrl).searchParams.get('code_challenge')
    expect(await pkceChallenge(String(calls[0]!.body.code_verifier))).toBe(challenge!)
    expect(got.claudeAiOauth).toMatchObject({
      accessToken: 'at',
      refreshToken: 'rt',
      expiresAt: (Math.floor(now.t / 1000) + 100) * 1000,
      scopes: ['user:inference', 'user:profile'],
      extInfo: { org_uuid: 'o1', account_uuid: 'a1' },
    })
    await expect(
      onboarding.exchange('oauth', s.sessionId, { authorizationCode: 'abcdefghijk' }),
    ).rejects.toThrow(/already used/)
  })

  test('setup tokens ask for a year and never keep a refresh token', async () => {
    const { onboarding, calls } = setup()
    const s = await onboarding.start('setup-token', null)
    expect(new URL(s.authUrl).searchParams.get('scope')).toBe('user:inference')
    const got = await onboarding.exchange('setup-token', s.sessionId, {
      authorizationCode: 'abcdefghijk',
    })
    expect(calls[0]!.body.expires_in).toBe(31_536_000)
    expect(got.claudeAiOauth.refreshToken).toBe('')
  })

  test('expired sessions are refused', async () => {
    const { onboarding, now } = setup()
    const s = await onboarding.start('oauth', null)
    now.t += 10 * 60_000 + 1
    await expect(
      onboarding.exchange('oauth', s.sessionId, { authorizationCode: 'abcdefghijk' }),
    ).rejects.toThrow(/expired/)
  })
})
