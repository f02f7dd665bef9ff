/**
 * @module
 * Mapping of the old system's Gemini accounts: `gemini_account:<id>` (Google login: tokens in
 * `geminiOauth` or `accessToken`/`refreshToken`, salt `gemini-account-salt`; `projectId` and the
 * project it found, `tempProjectId`) and `gemini_api_account:<id>` (`baseUrl` + `apiKey`, salt
 * `gemini-api-salt`). Keys bound to them keep their `geminiAccountId` (`<id>`, `api:<id>`,
 * `group:<id>`) as the key mapper reads it.
 */
import type { Account, AccountSecrets } from '../accounts/model.ts'
import { decryptLegacy } from './legacy-crypto.ts'
import {
  accountCommon,
  type Mapped,
  type MappedAccount,
  mapProxy,
  stateOf,
  validAccount,
} from './map.ts'
import { oldEpochMs, oldJson, oldList, oldRecord } from './read-old.ts'

type Hash = Record<string, string>

/** Salt of Google-login Gemini account secrets in the old system. */
export const GEMINI_SALT = 'gemini-account-salt'
/** Salt of Gemini API-key account secrets in the old system. */
export const GEMINI_API_SALT = 'gemini-api-salt'

function modelsOf(raw: string | undefined): string[] {
  const v = oldJson(raw)
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string')
  return raw?.trim() ? oldList(raw) : []
}

/** Maps `gemini_account:<id>`. */
export function mapGeminiAccount(
  id: string,
  h: Hash,
  groupIds: string[],
  encryptionKey: string,
  now: number,
): Mapped<MappedAccount> {
  const notes: string[] = []
  const dec = (field: string) => decryptLegacy(h[field], encryptionKey, GEMINI_SALT)
  const access = dec('accessToken')
  const refresh = dec('refreshToken')
  if (!access.ok) return { ok: false, reason: `accessToken: ${access.error}` }
  if (!refresh.ok) return { ok: false, reason: `refreshToken: ${refresh.error}` }
  const oauthRaw = dec('geminiOauth')
  if (!oauthRaw.ok) notes.push(`geminiOauth ignored: ${oauthRaw.error}`)
  const oauth = oauthRaw.ok ? (oldRecord(oauthRaw.value) ?? {}) : {}
  const str = (v: unknown) => (typeof v === 'string' ? v : '')
  const accessToken = access.value || str(oauth.access_token)
  const refreshToken = refresh.value || str(oauth.refresh_token)
  if (!accessToken && !refreshToken)
    return { ok: false, reason: 'no access or refresh token (neither field nor geminiOauth)' }
  const expiry =
    oldEpochMs(h.expiresAt) || (typeof oauth.expiry_date === 'number' ? oauth.expiry_date : 0)
  const { proxy, password, note } = mapProxy(h.proxy)
  if (note) notes.push(note)
  const secrets: AccountSecrets = {}
  if (accessToken) secrets.accessToken = accessToken
  if (refreshToken) secrets.refreshToken = refreshToken
  if (password) secrets.proxyPassword = password
  const options: Record<string, unknown> = {}
  if (h.projectId?.trim()) options.projectId = h.projectId.trim()
  if (h.tempProjectId?.trim()) options.discoveredProjectId = h.tempProjectId.trim()
  const scopes = oldList(h.scopes).length ? oldList(h.scopes) : str(oauth.scope).split(' ')
  const account: Omit<Account, 'secret'> = {
    ...accountCommon(h, id, groupIds),
    platform: 'gemini-oauth',
    tokenExpiresAt: expiry,
    scopes: scopes.filter(Boolean),
    apiUrl: '',
    userAgent: '',
    proxy,
    supportedModels: modelsOf(h.supportedModels),
    maxConcurrency: 0,
    subscriptionInfo: null,
    extInfo: null,
    options,
  }
  return validAccount(account, secrets, stateOf(h, now), notes)
}

/** Maps `gemini_api_account:<id>`. */
export function mapGeminiApiAccount(
  id: string,
  h: Hash,
  groupIds: string[],
  encryptionKey: string,
  now: number,
): Mapped<MappedAccount> {
  const notes: string[] = []
  const key = decryptLegacy(h.apiKey, encryptionKey, GEMINI_API_SALT, { allowLegacy: false })
  if (!key.ok) return { ok: false, reason: `apiKey: ${key.error}` }
  if (!key.value) return { ok: false, reason: 'no apiKey' }
  const apiUrl = (h.baseUrl ?? '').trim().replace(/\/+$/, '')
  if (apiUrl && !/^https?:\/\//.test(apiUrl))
    return { ok: false, reason: `baseUrl "${apiUrl}" is not http(s)` }
  const { proxy, password, note } = mapProxy(h.proxy)
  if (note) notes.push(note)
  const secrets: AccountSecrets = { apiKey: key.value }
  if (password) secrets.proxyPassword = password
  const account: Omit<Account, 'secret'> = {
    ...accountCommon(h, id, groupIds),
    platform: 'gemini-api',
    tokenExpiresAt: 0,
    scopes: [],
    apiUrl,
    userAgent: '',
    proxy,
    supportedModels: modelsOf(h.supportedModels),
    maxConcurrency: 0,
    subscriptionInfo: null,
    extInfo: null,
  }
  return validAccount(account, secrets, stateOf(h, now), notes)
}

/** Old account kinds beyond Claude's: the key prefix, a name for reports, and the mapper. */
export const GEMINI_ACCOUNT_IMPORTS = [
  { prefix: 'gemini_account:', kind: 'gemini', map: mapGeminiAccount },
  { prefix: 'gemini_api_account:', kind: 'gemini-api', map: mapGeminiApiAccount },
] as const
