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

/** The device authorization endpoint beside the token endpoint (`…/authorize/device`). */
export function deviceAuthorizeUrl(authUrl: string): string {
  return authUrl.replace(/\/authenticate\/?$/, '/authorize/device')
}

/** A started device sign-in: the code the admin types at WorkOS, and the one the relay polls with. */
export interface DeviceAuthorization {
  deviceCode: string
  userCode: string
  verificationUri: string
  verificationUriComplete: string
  expiresIn: number
  interval: number
}

/** Starts a Factory device sign-in at WorkOS. */
export async function startDeviceAuthorization(
  fetch: FetchFn,
  authUrl: string,
): Promise<DeviceAuthorization> {
  const res = await fetch(deviceAuthorizeUrl(authUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ client_id: FACTORY_WORKOS_CLIENT_ID }).toString(),
    signal: AbortSignal.timeout(30_000),
  })
  const data = (await res.json().catch(() => ({}))) as Record<string, unknown>
  if (!res.ok || typeof data.device_code !== 'string')
    throw new Error(`WorkOS refused the device sign-in (${res.status})`)
  return {
    deviceCode: data.device_code,
    userCode: String(data.user_code ?? ''),
    verificationUri: String(data.verification_uri ?? ''),
    verificationUriComplete: String(data.verification_uri_complete ?? data.verification_uri ?? ''),
    expiresIn: Number(data.expires_in) || 300,
    interval: Number(data.interval) || 5,
  }
}

/** One poll of a device sign-in: the tokens, or `pending` / `slow_down`, or an error code. */
export async function pollDeviceToken(
  fetch: FetchFn,
  authUrl: string,
  deviceCode: string,
): Promise<
  | { kind: 'tokens'; data: Record<string, unknown> }
  | { kind: 'pending'; error: string }
  | { kind: 'failed'; error: string; status: number }
> {
  const res = await fetch(authUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: deviceCode,
      client_id: FACTORY_WORKOS_CLIENT_ID,
    }).toString(),
    signal: AbortSignal.timeout(30_000),
  })
  const data = (await res.json().catch(() => ({}))) as Record<string, unknown>
  if (res.ok && typeof data.access_token === 'string') return { kind: 'tokens', data }
  const error = String(data.error ?? `http_${res.status}`)
  if (error === 'authorization_pending' || error === 'slow_down') return { kind: 'pending', error }
  return { kind: 'failed', error, status: res.status }
}
