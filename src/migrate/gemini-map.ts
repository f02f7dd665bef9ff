/**
 * @module
 * Mapping of the old system's Gemini accounts: `gemini_account:<id>` (Google login: tokens in
 * `geminiOauth` or `accessToken`/`refreshToken`, salt `gemini-account-salt`; `projectId` and the
 * project it found, `tempProjectId`) and `gemini_api_account:<id>` (`baseUrl` + `apiKey`, salt
 * `gemini-api-salt`). Keys bound to them keep their `geminiAccountId` (`<id>`, `api:<id>`,
 * `group:<id>`) as the key mapper reads it.
 */
import { decryptLegacy } from './legacy-crypto.ts'
import {
  type MapContext,
  type Mapped,
  type MappedAccount,
  oldAccount,
  oldApiKey,
  oldTokens,
  proxyOf,
  stateOf,
  validAccount,
} from './map-account.ts'
import { oldEpochMs, oldJson, oldList } from './read-old.ts'

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
export function mapGeminiAccount(id: string, h: Hash, ctx: MapContext): Mapped<MappedAccount> {
  const notes: string[] = []
  const dec = (field: string) => decryptLegacy(h[field], ctx.encryptionKey, GEMINI_SALT)
  const tokens = oldTokens(dec, 'geminiOauth', notes)
  if (!tokens.ok) return tokens
  const { secrets, doc: oauth } = tokens
  const expiry =
    oldEpochMs(h.expiresAt) || (typeof oauth.expiry_date === 'number' ? oauth.expiry_date : 0)
  const proxy = proxyOf(h, secrets, notes)
  const options: Record<string, unknown> = {}
  if (h.projectId?.trim()) options.projectId = h.projectId.trim()
  if (h.tempProjectId?.trim()) options.discoveredProjectId = h.tempProjectId.trim()
  const scope = typeof oauth.scope === 'string' ? oauth.scope : ''
  const scopes = oldList(h.scopes).length ? oldList(h.scopes) : scope.split(' ')
  const account = oldAccount(h, id, ctx.groupIds, {
    platform: 'gemini-oauth',
    tokenExpiresAt: expiry,
    scopes: scopes.filter(Boolean),
    proxy,
    supportedModels: modelsOf(h.supportedModels),
    options,
  })
  return validAccount(account, secrets, stateOf(h, ctx.now), notes)
}

/** Maps `gemini_api_account:<id>`. */
export function mapGeminiApiAccount(id: string, h: Hash, ctx: MapContext): Mapped<MappedAccount> {
  const notes: string[] = []
  const key = oldApiKey(h, ctx.encryptionKey, GEMINI_API_SALT)
  if (!key.ok) return key
  const apiUrl = (h.baseUrl ?? '').trim().replace(/\/+$/, '')
  if (apiUrl && !/^https?:\/\//.test(apiUrl))
    return { ok: false, reason: `baseUrl "${apiUrl}" is not http(s)` }
  const { secrets } = key
  const account = oldAccount(h, id, ctx.groupIds, {
    platform: 'gemini-api',
    apiUrl,
    proxy: proxyOf(h, secrets, notes),
    supportedModels: modelsOf(h.supportedModels),
  })
  return validAccount(account, secrets, stateOf(h, ctx.now), notes)
}

/** Old account kinds beyond Claude's: the key prefix, a name for reports, and the mapper. */
export const GEMINI_ACCOUNT_IMPORTS = [
  { prefix: 'gemini_account:', kind: 'gemini', map: mapGeminiAccount },
  { prefix: 'gemini_api_account:', kind: 'gemini-api', map: mapGeminiApiAccount },
] as const
