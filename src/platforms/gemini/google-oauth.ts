/**
 * @module
 * Google OAuth as the Gemini CLI does it: its public installed-app client, the cloud-platform and
 * profile scopes, an authorization URL with PKCE (S256) and offline access whose redirect is Code
 * Assist's page that shows the code to paste, the code exchange and the refresh grant (form
 * posts to the token endpoint, which does not rotate the refresh token).
 */

import type { RefreshedTokens } from '../../accounts/oauth.ts'
import type { FetchFn } from '../../core/ports.ts'

/** The Gemini CLI's OAuth client (an installed app: its secret is public by design). */
export const GEMINI_OAUTH_CLIENT_ID =
  '681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com'
/** The Gemini CLI's installed-app client secret. */
export const GEMINI_OAUTH_CLIENT_SECRET = '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'
/** Scopes the Gemini CLI asks for. */
export const GEMINI_OAUTH_SCOPES = [
  'https://www.googleapis.com/auth/cloud-platform',
  'https://www.googleapis.com/auth/userinfo.email',
  'https://www.googleapis.com/auth/userinfo.profile',
]
/** Google's authorization endpoint. */
export const GOOGLE_AUTHORIZE_URL = 'https://accounts.google.com/o/oauth2/v2/auth'
/** The redirect that shows the authorization code to copy (no local server needed). */
export const GEMINI_REDIRECT_URI = 'https://codeassist.google.com/authcode'

/** The authorization URL of one onboarding session. */
export function googleAuthorizeUrl(p: { codeChallenge: string; state: string }): string {
  const url = new URL(GOOGLE_AUTHORIZE_URL)
  url.searchParams.set('client_id', GEMINI_OAUTH_CLIENT_ID)
  url.searchParams.set('redirect_uri', GEMINI_REDIRECT_URI)
  url.searchParams.set('response_type', 'code')
  url.searchParams.set('scope', GEMINI_OAUTH_SCOPES.join(' '))
  url.searchParams.set('access_type', 'offline')
  url.searchParams.set('prompt', 'consent')
  url.searchParams.set('code_challenge', p.codeChallenge)
  url.searchParams.set('code_challenge_method', 'S256')
  url.searchParams.set('state', p.state)
  return url.toString()
}

/** A token endpoint answer. */
interface GoogleTokens {
  access_token?: string
  refresh_token?: string
  expires_in?: number
  scope?: string
  token_type?: string
  error?: string
  error_description?: string
}

async function tokenCall(
  fetchFn: FetchFn,
  tokenUrl: string,
  form: Record<string, string>,
): Promise<GoogleTokens> {
  const res = await fetchFn(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      client_id: GEMINI_OAUTH_CLIENT_ID,
      client_secret: GEMINI_OAUTH_CLIENT_SECRET,
      ...form,
    }).toString(),
    signal: AbortSignal.timeout(30_000),
  })
  let data: GoogleTokens = {}
  try {
    data = (await res.json()) as GoogleTokens
  } catch {
    // not JSON: reported below
  }
  if (!res.ok || !data.access_token) {
    const why = data.error_description ?? data.error ?? `token endpoint answered ${res.status}`
    throw new Error(`Google token request failed: ${why}`)
  }
  return data
}

/** Exchanges an authorization code (with its PKCE verifier) for tokens. */
export async function exchangeGoogleCode(
  fetchFn: FetchFn,
  tokenUrl: string,
  p: { code: string; codeVerifier: string; now: number },
) {
  const t = await tokenCall(fetchFn, tokenUrl, {
    grant_type: 'authorization_code',
    code: p.code,
    code_verifier: p.codeVerifier,
    redirect_uri: GEMINI_REDIRECT_URI,
  })
  return {
    access_token: t.access_token!,
    refresh_token: t.refresh_token ?? '',
    scope: t.scope ?? GEMINI_OAUTH_SCOPES.join(' '),
    token_type: t.token_type ?? 'Bearer',
    expiry_date: p.now + (t.expires_in ?? 3600) * 1000,
  }
}

/** The refresh grant for the shared token provider (the refresh token is kept). */
export function googleRefreshGrant(tokenUrl: string, now: () => number) {
  return async (fetchFn: FetchFn, refreshToken: string): Promise<RefreshedTokens> => {
    const t = await tokenCall(fetchFn, tokenUrl, {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    })
    return {
      accessToken: t.access_token!,
      refreshToken: t.refresh_token,
      expiresAt: now() + (t.expires_in ?? 3600) * 1000,
      scopes: t.scope ? t.scope.split(' ').filter(Boolean) : undefined,
    }
  }
}
