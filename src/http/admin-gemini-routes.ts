/**
 * @module
 * Admin routes only Gemini Google-login accounts have, in the seed's paths: OAuth onboarding as
 * the Gemini CLI does it (an authorization URL with PKCE, then the code, or the callback URL
 * holding it, exchanged for tokens the UI saves with `POST /admin/gemini-accounts`) and a forced
 * token refresh. Their CRUD is the shared account-kind controller.
 */
import { Elysia, t } from 'elysia'
import type { AccountAdmin } from '../accounts/admin.ts'
import { type TokenProvider, TokenRefreshError } from '../accounts/oauth.ts'
import type { OnboardingProxy } from '../accounts/onboarding.ts'
import { generatePkce, takeOnboardingSession } from '../accounts/onboarding.ts'
import type { Config } from '../config/schema.ts'
import type { CoordRepository } from '../coord/repository.ts'
import { InvalidRequestError, RelayError } from '../core/errors.ts'
import type { Clock, FetchFn } from '../core/ports.ts'
import { exchangeGoogleCode, googleAuthorizeUrl } from '../platforms/gemini/google-oauth.ts'
import { createProxyFetch } from '../relay/proxy-fetch.ts'
import type { UrlPolicy } from '../security/url-policy.ts'
import { type Body, proxyOf } from './account-input.ts'
import { type AdminGuardDeps, adminGuard } from './admin-guard.ts'
import { AuthUrl, type ProxyField } from './schemas/accounts.ts'
import { ok, strictBody } from './schemas/common.ts'
import {
  GeminiExchangeBody,
  GeminiOnboardingStartBody,
  GeminiTokens,
} from './schemas/gemini-accounts.ts'

/** What the Gemini account routes need. */
export interface AdminGeminiRouteDeps {
  guard: AdminGuardDeps
  admin: AccountAdmin
  config: Pick<Config, 'GEMINI_OAUTH_TOKEN_URL'>
  coord: CoordRepository
  clock: Clock
  /** The Google-login token provider (absent: no refresh route). */
  tokens?: TokenProvider
  fetch: FetchFn
  /** Checks a proxy the admin names (absent: no checks). */
  urlPolicy?: UrlPolicy
}

const SESSION_PREFIX = 'gemini-oauth:'
const str = (v: unknown) => (typeof v === 'string' ? v : undefined)
const SESSION_TTL_MS = 10 * 60_000

/** The authorization code in what the admin pasted: the code itself or the callback URL. */
export function googleCodeOf(input: string): { code: string; state: string | null } {
  const text = input.trim()
  if (/^https?:\/\//i.test(text)) {
    const url = new URL(text)
    const code = url.searchParams.get('code')
    if (!code) throw new InvalidRequestError('Cannot exchange code: the URL carries no code')
    return { code, state: url.searchParams.get('state') }
  }
  if (!text) throw new InvalidRequestError('Cannot exchange code: code is required')
  return { code: text, state: null }
}

/** Gemini Google-login onboarding controller. */
export function adminGeminiRoutes(deps: AdminGeminiRouteDeps) {
  const { admin, coord, clock } = deps
  /** The fetch of a session: through its proxy (Google may be reachable only that way). */
  const fetchVia = (proxy: OnboardingProxy | null): FetchFn => {
    if (!proxy) return deps.fetch
    const f = createProxyFetch(proxy, { baseFetch: deps.fetch as typeof fetch }) as FetchFn
    return deps.urlPolicy ? deps.urlPolicy.guard(f, proxy) : f
  }
  const doc = (summary: string) => ({ detail: { tags: ['accounts'], summary } })
  return new Elysia({ prefix: '/admin', name: 'crs.admin-gemini' })
    .use(adminGuard(deps.guard))
    .post(
      '/gemini-accounts/generate-auth-url',
      async ({ body, audit }) => {
        const proxy = proxyOf(((body ?? {}) as Body).proxy as ProxyField | undefined)
        await admin.checkUrls({ proxy })
        const pkce = await generatePkce()
        const sessionId = crypto.randomUUID()
        const expiresAt = clock.now() + SESSION_TTL_MS
        await coord.setTemp(
          SESSION_PREFIX + sessionId,
          JSON.stringify({ codeVerifier: pkce.codeVerifier, state: pkce.state, expiresAt, proxy }),
          SESSION_TTL_MS,
        )
        audit('account.gemini_oauth.start', sessionId, null, { sessionId })
        return {
          success: true,
          data: {
            authUrl: googleAuthorizeUrl(pkce),
            sessionId,
            expiresAt: new Date(expiresAt).toISOString(),
            instructions: [
              '1. Open the URL in a browser and sign in with the Google account',
              '2. Approve the access request',
              '3. Copy the authorization code shown (or the whole URL of that page)',
              '4. Paste it with the sessionId within 10 minutes',
            ],
          },
        }
      },
      {
        ...strictBody(t.Optional(GeminiOnboardingStartBody)),
        response: ok(AuthUrl),
        ...doc('Start Gemini Google-login onboarding (PKCE authorization URL)'),
      },
    )
    .post(
      '/gemini-accounts/exchange-code',
      async ({ body, audit }) => {
        const b = (body ?? {}) as Body
        const sessionId = str(b.sessionId) ?? ''
        if (!sessionId) throw new InvalidRequestError('Cannot exchange code: sessionId is required')
        const { code, state } = googleCodeOf(
          str(b.code) ?? str(b.authorizationCode) ?? str(b.callbackUrl) ?? '',
        )
        const session = await takeOnboardingSession<{
          codeVerifier: string
          state: string
          proxy?: OnboardingProxy | null
        }>(coord, SESSION_PREFIX + sessionId, { state, now: clock.now() })
        const proxy =
          b.proxy === undefined
            ? (session.proxy ?? null)
            : proxyOf(b.proxy as ProxyField | undefined)
        if (b.proxy !== undefined) await admin.checkUrls({ proxy })
        let tokens: Awaited<ReturnType<typeof exchangeGoogleCode>>
        try {
          tokens = await exchangeGoogleCode(fetchVia(proxy), deps.config.GEMINI_OAUTH_TOKEN_URL, {
            code,
            codeVerifier: session.codeVerifier,
            now: clock.now(),
          })
        } catch (err) {
          throw new InvalidRequestError(err instanceof Error ? err.message : String(err))
        }
        audit('account.gemini_oauth.exchange', sessionId, null, { sessionId })
        return { success: true, data: { tokens } }
      },
      {
        ...strictBody(t.Optional(GeminiExchangeBody)),
        response: ok(GeminiTokens),
        ...doc(
          'Exchange a Google authorization code for tokens (saved with POST /gemini-accounts)',
        ),
      },
    )
    .post(
      '/gemini-accounts/:id/refresh',
      async ({ params, audit }) => {
        const e = await admin.entryOf(params.id, 'gemini-oauth')
        if (!deps.tokens || !e.secrets.refreshToken)
          throw new InvalidRequestError('Cannot refresh token: the account has no refresh token')
        const before = { tokenExpiresAt: e.account.tokenExpiresAt }
        try {
          await deps.tokens.refreshNow(e)
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err)
          throw err instanceof TokenRefreshError
            ? new RelayError(502, 'api_error', message)
            : new RelayError(502, 'api_error', `Cannot refresh token: ${message}`)
        }
        const view = await admin.viewOf(params.id)
        audit('account.refresh', params.id, before, { tokenExpiresAt: view.tokenExpiresAt })
        return { success: true, data: view }
      },
      doc('Force a Google OAuth token refresh of a Gemini account'),
    )
}
