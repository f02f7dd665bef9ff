/**
 * @module
 * Droid accounts signed in with Factory (WorkOS) tokens instead of API keys: the refresh grant
 * (a form POST of the refresh token, the Factory CLI's client id and the account's organization)
 * that the shared token provider (`accounts/oauth.ts`) calls when the access token is about to
 * expire or was refused. WorkOS rotates the refresh token on every grant.
 */
import type { PoolEntry } from '../../accounts/service.ts'
import type { FetchFn } from '../../core/ports.ts'

/** The Factory CLI's WorkOS client id. */
export const FACTORY_WORKOS_CLIENT_ID = 'client_01HNM792M5G5G1A2THWPXKFMXB'
/** Access tokens live 8 hours when WorkOS does not say. */
const DEFAULT_TTL_S = 8 * 3600

/** The refresh grant of Droid accounts at `authUrl`. */
export function workosRefreshGrant(options: {
  authUrl: string
  fetchFor: (entry: PoolEntry) => FetchFn
  now: () => number
}) {
  return async (entry: PoolEntry, refreshToken: string) => {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: FACTORY_WORKOS_CLIENT_ID,
    })
    const org = entry.account.options.organizationId
    if (typeof org === 'string' && org) form.set('organization_id', org)
    const res = await options.fetchFor(entry)(options.authUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      signal: AbortSignal.timeout(30_000),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`Cannot refresh the Factory token: WorkOS answered ${res.status}`)
    const data = JSON.parse(text) as {
      access_token?: string
      refresh_token?: string
      expires_in?: number
      expires_at?: number | string
    }
    if (!data.access_token) throw new Error('Cannot refresh the Factory token: no access_token')
    const at =
      typeof data.expires_at === 'number'
        ? data.expires_at * (data.expires_at < 1e12 ? 1000 : 1)
        : typeof data.expires_at === 'string'
          ? Date.parse(data.expires_at)
          : Number.NaN
    return {
      accessToken: data.access_token,
      refreshToken: data.refresh_token,
      expiresAt: Number.isFinite(at)
        ? at
        : options.now() + (data.expires_in ?? DEFAULT_TTL_S) * 1000,
    }
  }
}
