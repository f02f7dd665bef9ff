/**
 * @module
 * Onboarding of Claude subscription accounts with OAuth 2 + PKCE (their profile and usage
 * windows: `claude-profile.ts`). `start` creates a one-time session (verifier, state, proxy) kept
 * for ten minutes in the coordination store; `exchange` takes it (one use), turns the pasted code
 * or callback URL into tokens at the token endpoint through the session's proxy, and returns them
 * in the `claudeAiOauth` shape of the system we replace. Web-standard APIs only.
 */
import { type Static, Type as T } from '@sinclair/typebox'
import type { CoordRepository } from '../coord/repository.ts'
import { timingSafeEqual } from '../core/crypto.ts'
import { InvalidRequestError, RelayError } from '../core/errors.ts'
import type { Clock, FetchFn } from '../core/ports.ts'
import type { ProxyConfig } from './model.ts'
import { CLAUDE_OAUTH_CLIENT_ID } from './oauth.ts'

/** Which OAuth flow a session belongs to. */
export type OnboardingKind = 'oauth' | 'setup-token'

/** A proxy as the admin sends it (the password is kept only for the session's lifetime). */
export type OnboardingProxy = ProxyConfig & { password?: string }

/** The stored onboarding session. */
export interface OnboardingSession {
  kind: OnboardingKind
  codeVerifier: string
  state: string
  codeChallenge: string
  proxy: OnboardingProxy | null
  createdAt: number
  expiresAt: number
}

/**
 * Takes a PKCE onboarding session from the shared store (once: a second paste finds nothing) and
 * checks it: known, not expired when it records `expiresAt`, and issued with the `state` the
 * pasted callback carries (when it carries one).
 */
export async function takeOnboardingSession<S extends { state: string; expiresAt?: number }>(
  coord: Pick<CoordRepository, 'takeTemp'>,
  key: string,
  pasted: { state: string | null; now: number },
): Promise<S> {
  const raw = await coord.takeTemp(key)
  if (!raw)
    throw new InvalidRequestError(
      'Cannot exchange code: the session is unknown, expired or already used; generate a new URL',
    )
  const session = JSON.parse(raw) as S
  if (session.expiresAt !== undefined && session.expiresAt <= pasted.now)
    throw new InvalidRequestError('Cannot exchange code: the session expired; generate a new URL')
  if (pasted.state !== null && !timingSafeEqual(pasted.state, session.state))
    throw new InvalidRequestError('Cannot exchange code: the state does not match the session')
  return session
}

/** Tokens in the shape the admin UI of the old system expects. */
export const ClaudeAiOauth = T.Object({
  accessToken: T.String(),
  refreshToken: T.String(),
  expiresAt: T.Number({ description: 'epoch ms' }),
  scopes: T.Array(T.String()),
  isMax: T.Boolean(),
  organization: T.Union([T.Record(T.String(), T.Unknown()), T.Null()]),
  account: T.Union([T.Record(T.String(), T.Unknown()), T.Null()]),
  extInfo: T.Union([T.Record(T.String(), T.Unknown()), T.Null()]),
})
export type ClaudeAiOauth = Static<typeof ClaudeAiOauth>

/** Options of {@link createOnboarding}. */
export interface OnboardingOptions {
  coord: CoordRepository
  clock: Clock
  /** The fetch for a session: through `proxy` when one was given. */
  fetchVia: (proxy: OnboardingProxy | null) => FetchFn
  authorizeUrl: string
  redirectUri: string
  tokenUrl: string
  /** Space-separated scopes of the normal flow. */
  scopes: string
  /** Session lifetime (ms); default 10 minutes. */
  sessionTtlMs?: number
}

/** Scope of a setup token (inference only, one year). */
export const SETUP_TOKEN_SCOPE = 'user:inference'
/** The `anthropic-beta` value the OAuth profile and usage endpoints require. */
export const OAUTH_BETA = 'oauth-2025-04-20'
/** The user agent of onboarding and profile calls. */
export const CLI_UA = 'claude-cli/1.0.56 (external, cli)'
const SESSION_PREFIX = 'oauth:'
const SESSION_TTL_MS = 10 * 60_000
const SETUP_TOKEN_EXPIRES_IN = 31_536_000
const CODE_RE = /^[A-Za-z0-9_-]{10,}$/

/** base64url without padding. */
export function base64Url(bytes: Uint8Array): string {
  let bin = ''
  for (const b of bytes) bin += String.fromCharCode(b)
  return btoa(bin).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

/** A random PKCE verifier and state (32 bytes each) and the S256 challenge of the verifier. */
export async function generatePkce(): Promise<{
  codeVerifier: string
  codeChallenge: string
  state: string
}> {
  const codeVerifier = base64Url(crypto.getRandomValues(new Uint8Array(32)))
  const state = base64Url(crypto.getRandomValues(new Uint8Array(32)))
  return { codeVerifier, codeChallenge: await pkceChallenge(codeVerifier), state }
}

/** base64url(SHA-256(verifier)). */
export async function pkceChallenge(codeVerifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(codeVerifier))
  return base64Url(new Uint8Array(digest))
}

/** The authorize URL with every parameter of the protocol reference §3.1. */
export function authorizeUrl(
  base: string,
  p: { redirectUri: string; scope: string; codeChallenge: string; state: string },
): string {
  const url = new URL(base)
  url.searchParams.set('code', 'true')
  url.searchParams.set('client_id', CLAUDE_OAUTH_CLIENT_ID)
  url.searchParams.set('response_type', 'code')
  url.searchParams.set('redirect_uri', p.redirectUri)
  url.searchParams.set('scope', p.scope)
  url.searchParams.set('code_challenge', p.codeChallenge)
  url.searchParams.set('code_challenge_method', 'S256')
  url.searchParams.set('state', p.state)
  return url.toString()
}

/** The authorization code (and state, when a callback URL carried one) from what the admin pasted. */
export function parseAuthorizationInput(input: {
  authorizationCode?: string
  callbackUrl?: string
}): { code: string; state: string | null } {
  const raw = (input.callbackUrl ?? input.authorizationCode ?? '').trim()
  if (!raw) throw new InvalidRequestError('Cannot exchange code: authorizationCode is required')
  if (/^https?:\/\//i.test(raw)) {
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      throw new InvalidRequestError('Cannot exchange code: the callback URL is not a valid URL')
    }
    const code = url.searchParams.get('code') ?? ''
    if (!CODE_RE.test(code))
      throw new InvalidRequestError('Cannot exchange code: the callback URL has no valid code')
    return { code, state: url.searchParams.get('state') }
  }
  const code = raw.split('#')[0]!.split('&')[0]!.trim()
  if (!CODE_RE.test(code))
    throw new InvalidRequestError(
      'Cannot exchange code: expected at least 10 characters of A-Z, a-z, 0-9, _ or -',
    )
  return { code, state: null }
}

function idOf(obj: Record<string, unknown> | null, prefix: string): string {
  if (!obj) return ''
  for (const k of ['uuid', 'id', `${prefix}_uuid`, `${prefix}_id`]) {
    const v = obj[k]
    if (typeof v === 'string' && v) return v
  }
  return ''
}

/** `v` when it is a plain object. */
export function record(v: unknown): Record<string, unknown> | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null
}

/** The readable error of a token endpoint answer (never includes tokens). */
export function tokenErrorMessage(status: number, text: string): string {
  let detail = ''
  try {
    const j = JSON.parse(text) as Record<string, unknown>
    const err = j.error
    const nested = record(err)
    detail = [
      typeof err === 'string' ? err : typeof nested?.message === 'string' ? nested.message : '',
      typeof j.error_description === 'string' ? j.error_description : '',
      typeof j.message === 'string' ? j.message : '',
    ]
      .filter(Boolean)
      .join(': ')
  } catch {
    detail = text.replace(/\s+/g, ' ').trim().slice(0, 200)
  }
  return `Cannot exchange code: token endpoint answered ${status}${detail ? ` (${detail})` : ''}`
}

/** Creates the onboarding service. */
export function createOnboarding(options: OnboardingOptions) {
  const { coord, clock } = options
  const ttl = options.sessionTtlMs ?? SESSION_TTL_MS

  /** Creates a session and the URL the admin opens. */
  async function start(kind: OnboardingKind, proxy: OnboardingProxy | null) {
    const pkce = await generatePkce()
    const sessionId = crypto.randomUUID()
    const now = clock.now()
    const session: OnboardingSession = {
      kind,
      ...pkce,
      proxy,
      createdAt: now,
      expiresAt: now + ttl,
    }
    await coord.setTemp(SESSION_PREFIX + sessionId, JSON.stringify(session), ttl)
    const scope = kind === 'setup-token' ? SETUP_TOKEN_SCOPE : options.scopes
    const authUrl = authorizeUrl(options.authorizeUrl, {
      redirectUri: options.redirectUri,
      scope,
      codeChallenge: pkce.codeChallenge,
      state: pkce.state,
    })
    return {
      authUrl,
      sessionId,
      expiresAt: new Date(session.expiresAt).toISOString(),
      instructions: [
        '1. Open the URL in a browser and sign in to the Claude account',
        '2. Approve the access request',
        '3. Copy the authorization code shown on the callback page (or the whole callback URL)',
        `4. Paste it with the sessionId within ${Math.round(ttl / 60_000)} minutes`,
      ],
    }
  }

  /** Takes the session (one use) and exchanges the code for tokens through its proxy. */
  async function exchange(
    kind: OnboardingKind,
    sessionId: string,
    input: { authorizationCode?: string; callbackUrl?: string },
  ): Promise<{ claudeAiOauth: ClaudeAiOauth; proxy: OnboardingProxy | null }> {
    if (!sessionId) throw new InvalidRequestError('Cannot exchange code: sessionId is required')
    const { code, state } = parseAuthorizationInput(input)
    const session = await takeOnboardingSession<OnboardingSession>(
      coord,
      SESSION_PREFIX + sessionId,
      { state, now: clock.now() },
    )
    if (session.kind !== kind)
      throw new InvalidRequestError(
        `Cannot exchange code: the session was created for the ${session.kind} flow`,
      )
    const body: Record<string, unknown> = {
      grant_type: 'authorization_code',
      client_id: CLAUDE_OAUTH_CLIENT_ID,
      code,
      redirect_uri: options.redirectUri,
      code_verifier: session.codeVerifier,
      state: session.state,
    }
    if (kind === 'setup-token') body.expires_in = SETUP_TOKEN_EXPIRES_IN
    let res: Response
    try {
      res = await options.fetchVia(session.proxy)(options.tokenUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': CLI_UA,
          accept: 'application/json, text/plain, */*',
          'accept-language': 'en-US,en;q=0.9',
          referer: 'https://claude.ai/',
          origin: 'https://claude.ai',
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      })
    } catch (err) {
      throw new RelayError(
        502,
        'api_error',
        `Cannot exchange code: token endpoint unreachable (${err instanceof Error ? err.message : String(err)})`,
      )
    }
    const text = await res.text()
    if (!res.ok) throw new InvalidRequestError(tokenErrorMessage(res.status, text))
    let data: Record<string, unknown>
    try {
      data = JSON.parse(text) as Record<string, unknown>
    } catch {
      throw new InvalidRequestError('Cannot exchange code: token endpoint answered invalid JSON')
    }
    const accessToken = typeof data.access_token === 'string' ? data.access_token : ''
    if (!accessToken)
      throw new InvalidRequestError('Cannot exchange code: the answer has no access_token')
    const expiresIn =
      Number(data.expires_in) || (kind === 'setup-token' ? SETUP_TOKEN_EXPIRES_IN : 3600)
    const scopes =
      typeof data.scope === 'string' && data.scope.trim()
        ? data.scope.split(/\s+/).filter(Boolean)
        : kind === 'setup-token'
          ? [SETUP_TOKEN_SCOPE]
          : ['user:inference', 'user:profile']
    const organization = record(data.organization)
    const account = record(data.account)
    const extInfo: Record<string, unknown> = {}
    const orgUuid = idOf(organization, 'organization')
    const accountUuid = idOf(account, 'account')
    if (orgUuid) extInfo.org_uuid = orgUuid
    if (accountUuid) extInfo.account_uuid = accountUuid
    for (const k of ['subscription', 'plan', 'tier', 'account_type', 'features', 'limits'])
      if (data[k] !== undefined) extInfo[k] = data[k]
    return {
      proxy: session.proxy,
      claudeAiOauth: {
        accessToken,
        refreshToken:
          kind === 'setup-token'
            ? ''
            : typeof data.refresh_token === 'string'
              ? data.refresh_token
              : '',
        expiresAt: (Math.floor(clock.now() / 1000) + expiresIn) * 1000,
        scopes,
        isMax: account?.has_claude_max !== false,
        organization,
        account,
        extInfo: Object.keys(extInfo).length ? extInfo : null,
      },
    }
  }

  return { start, exchange }
}

/** The onboarding service's interface. */
export type Onboarding = ReturnType<typeof createOnboarding>
