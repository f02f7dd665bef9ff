/**
 * @module
 * What every mapper of an old account shares: the mapped result, the fields every old account
 * hash has, its health marks and proxy, the sealed API key or login tokens, the model list, the
 * defaults of fields a kind does not set, and the schema check. Nothing here touches storage.
 */
import { Value } from '@sinclair/typebox/value'
import {
  Account,
  type AccountSecrets,
  type AccountState,
  type ProxyConfig,
} from '../accounts/model.ts'
import { decryptLegacy, type LegacyResult } from './legacy-crypto.ts'
import { oldEpochMs, oldInt, oldIso, oldJson, oldList, oldRecord } from './read-old.ts'

/** A mapped record, or why it was skipped. */
export type Mapped<T> = { ok: true; value: T; notes: string[] } | { ok: false; reason: string }

type Hash = Record<string, string>

/** What an account mapper is given besides the record: the account's groups, the old ENCRYPTION_KEY, the time. */
export interface MapContext {
  groupIds: string[]
  encryptionKey: string
  now: number
}

/** The time of a record that has none. */
export const EPOCH = new Date(0).toISOString()

/** The first field of `value` that `schema` refuses, with why; null when it fits. */
export function firstError(
  schema: Parameters<typeof Value.Errors>[0],
  value: unknown,
): string | null {
  const e = [...Value.Errors(schema, value)][0]
  return e ? `${e.path.replace(/^\//, '') || '(record)'}: ${e.message}` : null
}

/** A display name: the old one trimmed to 100 characters, else `fallback`. */
export function name(value: string | undefined, fallback: string): string {
  const n = (value ?? '').trim() || fallback
  return n.slice(0, 100)
}

/** Proxy JSON `{type, host, port, username, password}` → our proxy + its password. */
export function mapProxy(value: string | undefined): {
  proxy: ProxyConfig | null
  password?: string
  note?: string
} {
  const p = oldRecord(value)
  if (!p) return { proxy: null, note: value?.trim() ? 'proxy is not JSON: dropped' : undefined }
  let type = String(p.type ?? '').toLowerCase()
  if (type === 'socks5h' || type === 'socks') type = 'socks5'
  const host = String(p.host ?? '').trim()
  const port = Math.floor(Number(p.port))
  if (!['http', 'https', 'socks5'].includes(type) || !host || !(port >= 1 && port <= 65535))
    return { proxy: null, note: `proxy ${type || '?'}://${host}:${p.port} is not usable: dropped` }
  const proxy: ProxyConfig = { type: type as ProxyConfig['type'], host, port }
  if (typeof p.username === 'string' && p.username) proxy.username = p.username
  const password = typeof p.password === 'string' && p.password ? p.password : undefined
  return { proxy, password }
}

/** An account mapped from the old store: config (secret still to be sealed) and secrets. */
export interface MappedAccount {
  account: Omit<Account, 'secret'>
  secrets: AccountSecrets
  /** Health to apply when the account is created here. */
  state: Partial<AccountState>
}

/** The fields every old account hash shares. */
export function accountCommon(h: Hash, id: string, groupIds: string[]) {
  const createdAt = oldIso(h.createdAt) ?? EPOCH
  const accountType =
    h.accountType === 'dedicated' || h.accountType === 'group' ? h.accountType : 'shared'
  const priority = Math.min(100, Math.max(1, oldInt(h.priority, 50) || 50))
  return {
    id,
    name: name(h.name, id),
    description: h.description ?? '',
    priority,
    schedulable: h.schedulable !== 'false',
    isActive: h.isActive === 'true',
    accountType: accountType as Account['accountType'],
    groupIds: [...groupIds].sort(),
    options: {},
    createdAt,
    updatedAt: oldIso(h.updatedAt) ?? createdAt,
  }
}

/** The health an old account hash records. */
export function stateOf(h: Hash, now: number): Partial<AccountState> {
  const state: Partial<AccountState> = {}
  const status = (h.status ?? '').trim()
  if (status === 'unauthorized' || status === 'blocked') {
    state.status = status
    state.lastError = (h.errorMessage ?? '').slice(0, 500)
    state.lastErrorAt = oldEpochMs(h.unauthorizedAt || h.blockedAt) || 0
  }
  const limited = oldEpochMs(h.rateLimitEndAt)
  if (limited > now) state.rateLimitedUntil = limited
  const opus = oldEpochMs(h.opusRateLimitEndAt)
  if (opus > now) state.opusRateLimitedUntil = opus
  const used = oldEpochMs(h.lastUsedAt)
  if (used) state.lastUsedAt = used
  return state
}

/** The fields an imported account keeps at their defaults unless its kind sets them. */
export function oldAccount(
  h: Hash,
  id: string,
  groupIds: string[],
  fields: Partial<Omit<Account, 'secret'>> & Pick<Account, 'platform'>,
): Omit<Account, 'secret'> {
  return {
    ...accountCommon(h, id, groupIds),
    tokenExpiresAt: 0,
    scopes: [],
    apiUrl: '',
    userAgent: '',
    proxy: null,
    supportedModels: [],
    maxConcurrency: 0,
    subscriptionInfo: null,
    extInfo: null,
    ...fields,
  }
}

/** The old account's proxy: its password joins `secrets`, a proxy that is dropped a note. */
export function proxyOf(h: Hash, secrets: AccountSecrets, notes: string[]): ProxyConfig | null {
  const { proxy, password, note } = mapProxy(h.proxy)
  if (note) notes.push(note)
  if (password) secrets.proxyPassword = password
  return proxy
}

/** The sealed `apiKey` of an old API-key account (the scrypt scheme only), or why it is unusable. */
export function oldApiKey(
  h: Hash,
  encryptionKey: string,
  salt: string,
): { ok: true; secrets: AccountSecrets } | { ok: false; reason: string } {
  const key = decryptLegacy(h.apiKey, encryptionKey, salt, { allowLegacy: false })
  if (!key.ok) return { ok: false, reason: `apiKey: ${key.error}` }
  if (!key.value) return { ok: false, reason: 'no apiKey' }
  return { ok: true, secrets: { apiKey: key.value } }
}

const text = (v: unknown) => (typeof v === 'string' ? v : '')

/**
 * The tokens of an old login account: its sealed `accessToken`/`refreshToken` fields, else those
 * of the sealed token document in `field` (camelCase or snake_case names). `dec` decrypts a field.
 */
export function oldTokens(
  dec: (field: string) => LegacyResult,
  field: string,
  notes: string[],
):
  | { ok: true; secrets: AccountSecrets; doc: Record<string, unknown> }
  | { ok: false; reason: string } {
  const access = dec('accessToken')
  if (!access.ok) return { ok: false, reason: `accessToken: ${access.error}` }
  const refresh = dec('refreshToken')
  if (!refresh.ok) return { ok: false, reason: `refreshToken: ${refresh.error}` }
  const raw = dec(field)
  if (!raw.ok) notes.push(`${field} ignored: ${raw.error}`)
  const doc = raw.ok ? (oldRecord(raw.value) ?? {}) : {}
  const accessToken = access.value || text(doc.accessToken) || text(doc.access_token)
  const refreshToken = refresh.value || text(doc.refreshToken) || text(doc.refresh_token)
  if (!accessToken && !refreshToken)
    return { ok: false, reason: `no access or refresh token (neither field nor ${field})` }
  const secrets: AccountSecrets = {}
  if (accessToken) secrets.accessToken = accessToken
  if (refreshToken) secrets.refreshToken = refreshToken
  return { ok: true, secrets, doc }
}

/** An old `supportedModels`: a JSON list or model map, else a comma or space separated list. */
export function supportedModelsOf(raw: string | undefined): Account['supportedModels'] {
  const sm = oldJson(raw)
  if (Array.isArray(sm)) return sm.filter((x): x is string => typeof x === 'string')
  if (sm && typeof sm === 'object') {
    const map: Record<string, string> = {}
    for (const [k, v] of Object.entries(sm)) if (typeof v === 'string' && v) map[k] = v
    return map
  }
  return raw?.trim() && !raw.trim().startsWith('{') ? oldList(raw) : []
}

/** An account checked against the schema. */
export function validAccount(
  account: Omit<Account, 'secret'>,
  secrets: AccountSecrets,
  state: Partial<AccountState>,
  notes: string[],
): Mapped<MappedAccount> {
  const err = firstError(Account, { ...account, secret: 'x' })
  if (err) return { ok: false, reason: `invalid field ${err}` }
  return { ok: true, value: { account, secrets, state }, notes }
}
