/**
 * @module
 * ChatGPT login ("Codex") OAuth as the Codex CLI does it: PKCE against auth.openai.com with the
 * Codex CLI's public client id and its localhost callback, the operator pasting back the callback
 * URL (or the code); the code exchange and the refresh grant are form posts to the token
 * endpoint. The ID token's claims name the ChatGPT account (`chatgpt_account_id`, sent upstream as
 * `chatgpt-account-id`), the user, the plan and the organisation.
 */
import { base64Url, generatePkce, takeOnboardingSession } from '../../accounts/onboarding.ts'
import type { CoordRepository } from '../../coord/repository.ts'
import { InvalidRequestError, RelayError } from '../../core/errors.ts'
import type { Clock, FetchFn } from '../../core/ports.ts'

/** The Codex CLI's public OAuth client id. */
export const OPENAI_OAUTH_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann'
/** Where the admin signs in. */
export const OPENAI_AUTHORIZE_URL = 'https://auth.openai.com/oauth/authorize'
/** The Codex CLI's callback (the browser shows an error page there; its URL holds the code). */
export const OPENAI_REDIRECT_URI = 'http://localhost:1455/auth/callback'
const SCOPE = 'openid profile email offline_access'
const SESSION_PREFIX = 'openai-oauth:'
const SESSION_TTL_MS = 10 * 60_000

/** The identity an ID token names. */
export interface ChatGPTAccountInfo {
  accountId: string
  chatgptUserId: string
  organizationId: string
  organizationRole: string
  organizationTitle: string
  planType: string
  email: string
  emailVerified: boolean
  name: string
}

/** Tokens in the seed's `openaiOauth` shape. */
export interface OpenAIOauthTokens {
  idToken: string
  accessToken: string
  refreshToken: string
  expires_in: number
}

/** The claims of a JWT (not verified: it comes straight from the token endpoint over TLS). */
export function jwtClaims(token: string): Record<string, unknown> {
  const part = token.split('.')[1]
  if (!part) return {}
  try {
    const b64 = part.replaceAll('-', '+').replaceAll('_', '/')
    const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4))
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0))
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>
  } catch {
    return {}
  }
}

/** The ChatGPT identity in an ID token. */
export function accountInfoOf(idToken: string): ChatGPTAccountInfo {
  const c = jwtClaims(idToken)
  const auth = (c['https://api.openai.com/auth'] ?? {}) as Record<string, unknown>
  const orgs = Array.isArray(auth.organizations)
    ? (auth.organizations as Record<string, unknown>[])
    : []
  const org = orgs.find((o) => o?.is_default) ?? orgs[0] ?? {}
  const s = (v: unknown) => (typeof v === 'string' ? v : '')
  return {
    accountId: s(auth.chatgpt_account_id),
    chatgptUserId: s(auth.chatgpt_user_id) || s(auth.user_id),
    organizationId: s(org.id),
    organizationRole: s(org.role),
    organizationTitle: s(org.title),
    planType: s(auth.chatgpt_plan_type),
    email: s(c.email),
    emailVerified: c.email_verified === true,
    name: s(c.name),
  }
}

/** The code (and state) of what the admin pasted: the callback URL or the bare code. */
export function codeOf(input: string): { code: string; state: string | null } {
  const raw = input.trim()
  if (!raw) throw new InvalidRequestError('Cannot exchange code: code or callbackUrl is required')
  if (/^https?:\/\//i.test(raw) || raw.includes('code=')) {
    const query = raw.includes('?') ? raw.slice(raw.indexOf('?') + 1) : raw
    const params = new URLSearchParams(query.split('#')[0])
    const code = params.get('code')?.trim() ?? ''
    if (!code) throw new InvalidRequestError('Cannot exchange code: the callback URL has no code')
    return { code, state: params.get('state') }
  }
  if (/\s/.test(raw)) throw new InvalidRequestError('Cannot exchange code: the code has spaces')
  return { code: raw, state: null }
}

async function tokenPost(
  fetch: FetchFn,
  tokenUrl: string,
  form: Record<string, string>,
  what: string,
): Promise<Record<string, unknown>> {
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
    signal: AbortSignal.timeout(30_000),
  })
  const text = await res.text()
  if (!res.ok) {
    let detail = ''
    try {
      const j = JSON.parse(text) as Record<string, unknown>
      const e = j.error
      detail = [
        typeof e === 'string'
          ? e
          : typeof (e as { message?: unknown })?.message === 'string'
            ? (e as { message: string }).message
            : '',
        typeof j.error_description === 'string' ? j.error_description : '',
      ]
        .filter(Boolean)
        .join(': ')
    } catch {
      detail = text.replace(/\s+/g, ' ').slice(0, 200)
    }
    throw new RelayError(
      res.status === 400 || res.status === 401 ? 400 : 502,
      'invalid_request_error',
      `Cannot ${what}: token endpoint answered ${res.status}${detail ? ` (${detail})` : ''}`,
    )
  }
  return JSON.parse(text) as Record<string, unknown>
}

/** The refresh grant (form post); the new tokens with their expiry. */
export async function refreshChatGPTToken(
  fetch: FetchFn,
  tokenUrl: string,
  refreshToken: string,
  now: number,
) {
  const j = await tokenPost(
    fetch,
    tokenUrl,
    {
      grant_type: 'refresh_token',
      client_id: OPENAI_OAUTH_CLIENT_ID,
      refresh_token: refreshToken,
      scope: 'openid profile email',
    },
    'refresh token',
  )
  if (typeof j.access_token !== 'string')
    throw new RelayError(502, 'api_error', 'Cannot refresh token: response has no access_token')
  return {
    accessToken: j.access_token,
    refreshToken: typeof j.refresh_token === 'string' ? j.refresh_token : undefined,
    expiresAt: now + (Number(j.expires_in) || 3600) * 1000,
  }
}

/** The onboarding of ChatGPT-login accounts (sessions kept ten minutes, used once). */
export function createOpenAIOnboarding(options: {
  coord: CoordRepository
  clock: Clock
  tokenUrl: string
  fetchVia: (proxy: unknown) => FetchFn
}) {
  const { coord, clock } = options
  return {
    /** A session and the URL the admin opens. */
    async start(proxy: unknown) {
      const pkce = await generatePkce()
      // The Codex CLI uses a 64-byte verifier; a longer one is as valid for S256.
      const codeVerifier = base64Url(crypto.getRandomValues(new Uint8Array(64)))
      const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(codeVerifier))
      const codeChallenge = base64Url(new Uint8Array(digest))
      const sessionId = crypto.randomUUID()
      const now = clock.now()
      const session = { codeVerifier, state: pkce.state, proxy, expiresAt: now + SESSION_TTL_MS }
      await coord.setTemp(SESSION_PREFIX + sessionId, JSON.stringify(session), SESSION_TTL_MS)
      const url = new URL(OPENAI_AUTHORIZE_URL)
      url.searchParams.set('response_type', 'code')
      url.searchParams.set('client_id', OPENAI_OAUTH_CLIENT_ID)
      url.searchParams.set('redirect_uri', OPENAI_REDIRECT_URI)
      url.searchParams.set('scope', SCOPE)
      url.searchParams.set('code_challenge', codeChallenge)
      url.searchParams.set('code_challenge_method', 'S256')
      url.searchParams.set('state', pkce.state)
      url.searchParams.set('id_token_add_organizations', 'true')
      url.searchParams.set('codex_cli_simplified_flow', 'true')
      return {
        authUrl: url.toString(),
        sessionId,
        expiresAt: new Date(session.expiresAt).toISOString(),
        instructions: [
          '1. Open the URL in a browser and sign in with the ChatGPT account',
          '2. After approving, the browser lands on a localhost:1455 page that may not load',
          '3. Copy the whole URL from the address bar (or just its code parameter)',
          '4. Paste it with the sessionId within 10 minutes',
        ],
      }
    },
    /** Takes the session (once) and exchanges the code; the tokens, identity and proxy. */
    async exchange(sessionId: string, pasted: string) {
      if (!sessionId) throw new InvalidRequestError('Cannot exchange code: sessionId is required')
      const { code, state } = codeOf(pasted)
      const session = await takeOnboardingSession<{
        codeVerifier: string
        state: string
        proxy: unknown
        expiresAt: number
      }>(coord, SESSION_PREFIX + sessionId, { state, now: clock.now() })
      const j = await tokenPost(
        options.fetchVia(session.proxy),
        options.tokenUrl,
        {
          grant_type: 'authorization_code',
          code,
          redirect_uri: OPENAI_REDIRECT_URI,
          client_id: OPENAI_OAUTH_CLIENT_ID,
          code_verifier: session.codeVerifier,
        },
        'exchange code',
      )
      const tokens: OpenAIOauthTokens = {
        idToken: String(j.id_token ?? ''),
        accessToken: String(j.access_token ?? ''),
        refreshToken: String(j.refresh_token ?? ''),
        expires_in: Number(j.expires_in) || 3600,
      }
      if (!tokens.accessToken)
        throw new RelayError(
          502,
          'api_error',
          'Cannot exchange code: no access_token in the answer',
        )
      return { tokens, accountInfo: accountInfoOf(tokens.idToken), proxy: session.proxy }
    },
  }
}
