/**
 * @module
 * Pure mapping of old claude-relay-service records (Redis hashes of strings) to our records:
 * API keys, accounts, groups and history. Each mapper returns the record or the reason it is
 * skipped; nothing here touches storage.
 */
import { Value } from '@sinclair/typebox/value'
import {
  Account,
  AccountGroup,
  type AccountSecrets,
  type AccountState,
  type ProxyConfig,
} from '../accounts/model.ts'
import { errorTypeForStatus } from '../core/errors.ts'
import type { HistoryRecord } from '../history/model.ts'
import { capturedHeaders } from '../history/writer.ts'
import { ApiKey, type KeyPermission } from '../keys/model.ts'
import { CONSOLE_SALT, decryptLegacy, type LegacyResult, OAUTH_SALT } from './legacy-crypto.ts'
import {
  oldBool,
  oldEpochMs,
  oldInt,
  oldIso,
  oldJson,
  oldList,
  oldNumber,
  oldRecord,
} from './read-old.ts'

/** A mapped record, or why it was skipped. */
export type Mapped<T> = { ok: true; value: T; notes: string[] } | { ok: false; reason: string }

type Hash = Record<string, string>

/** What an account mapper is given besides the record: the account's groups, the old ENCRYPTION_KEY, the time. */
export interface MapContext {
  groupIds: string[]
  encryptionKey: string
  now: number
}

const EPOCH = new Date(0).toISOString()

export function firstError(
  schema: Parameters<typeof Value.Errors>[0],
  value: unknown,
): string | null {
  const e = [...Value.Errors(schema, value)][0]
  return e ? `${e.path.replace(/^\//, '') || '(record)'}: ${e.message}` : null
}

function name(value: string | undefined, fallback: string): string {
  const n = (value ?? '').trim() || fallback
  return n.slice(0, 100)
}

/** Maps `apikey:<id>`; `hashes` are the `apikey:hash_map` entries pointing at this id. */
export function mapApiKey(id: string, h: Hash, hashes: string[]): Mapped<ApiKey> {
  const notes: string[] = []
  const field = (h.apiKey ?? '').trim().toLowerCase()
  const valid = (x: string) => /^[0-9a-f]{64}$/.test(x)
  let hash = ''
  if (valid(field) && (hashes.length === 0 || hashes.includes(field))) hash = field
  else if (hashes.length > 0 && valid(hashes[0] ?? '')) {
    hash = hashes[0] ?? ''
    if (field) notes.push('apiKey field disagrees with apikey:hash_map; the hash map wins')
  } else if (valid(field)) hash = field
  if (!hash) return { ok: false, reason: 'no SHA-256 key hash (apiKey field or hash_map entry)' }

  const createdAt = oldIso(h.createdAt) ?? EPOCH
  let permissions: KeyPermission = 'all'
  let isActive = h.isActive === 'true'
  const perm = (h.permissions ?? '').trim()
  if (['claude', 'openai', 'gemini', 'droid', 'all', ''].includes(perm)) {
    permissions = (perm || 'all') as KeyPermission
  } else {
    isActive = false
    notes.push(`permission "${perm}" is not served by this relay: imported disabled`)
  }
  const expirationMode = h.expirationMode === 'activation' ? 'activation' : 'fixed'
  const key: ApiKey = {
    id,
    name: name(h.name, id),
    description: h.description ?? '',
    hash,
    hint: '',
    isActive,
    isDeleted: oldBool(h.isDeleted),
    deletedAt: oldBool(h.isDeleted) ? oldIso(h.deletedAt) : null,
    createdAt,
    updatedAt: oldIso(h.updatedAt) ?? createdAt,
    lastUsedAt: oldIso(h.lastUsedAt),
    createdBy: (h.createdBy ?? '').trim() || 'admin',
    expirationMode,
    expiresAt: oldIso(h.expiresAt),
    activationDays: h.activationDays ? oldInt(h.activationDays, 30) : 30,
    activationUnit: h.activationUnit === 'hours' ? 'hours' : 'days',
    isActivated: expirationMode === 'activation' ? oldBool(h.isActivated) : false,
    activatedAt: oldIso(h.activatedAt),
    permissions,
    tags: oldList(h.tags),
    concurrencyLimit: oldInt(h.concurrencyLimit),
    rateLimitWindow: oldInt(h.rateLimitWindow),
    rateLimitRequests: oldInt(h.rateLimitRequests),
    tokenLimit: oldInt(h.tokenLimit),
    rateLimitCost: Math.max(0, oldNumber(h.rateLimitCost)),
    dailyCostLimit: Math.max(0, oldNumber(h.dailyCostLimit)),
    totalCostLimit: Math.max(0, oldNumber(h.totalCostLimit)),
    weeklyOpusCostLimit: Math.max(0, oldNumber(h.weeklyOpusCostLimit)),
    enableModelRestriction: oldBool(h.enableModelRestriction),
    modelRestrictionMode: 'deny',
    restrictedModels: oldList(h.restrictedModels),
    enableClientRestriction: oldBool(h.enableClientRestriction),
    allowedClients: oldList(h.allowedClients),
    claudeAccountId: (h.claudeAccountId ?? '').trim(),
    claudeConsoleAccountId: (h.claudeConsoleAccountId ?? '').trim(),
    bedrockAccountId: (h.bedrockAccountId ?? '').trim(),
    openaiAccountId: (h.openaiAccountId ?? '').trim(),
    azureOpenaiAccountId: (h.azureOpenaiAccountId ?? '').trim(),
    geminiAccountId: (h.geminiAccountId ?? '').trim(),
    droidAccountId: (h.droidAccountId ?? '').trim(),
  }
  // A fixed-mode key keeps whatever activation timestamp the old system had; only activation
  // mode decides expiry from it.
  if (expirationMode === 'fixed') key.activatedAt = null
  const err = firstError(ApiKey, key)
  if (err) return { ok: false, reason: `invalid field ${err}` }
  return { ok: true, value: key, notes }
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

/** Maps `claude:account:<id>` (OAuth). */
export function mapOAuthAccount(id: string, h: Hash, ctx: MapContext): Mapped<MappedAccount> {
  const notes: string[] = []
  const dec = (field: string) => decryptLegacy(h[field], ctx.encryptionKey, OAUTH_SALT)
  const tokens = oldTokens(dec, 'claudeAiOauth', notes)
  if (!tokens.ok) return tokens
  const { secrets, doc: oauth } = tokens
  const expiresRaw = h.expiresAt || (oauth.expiresAt === undefined ? '' : String(oauth.expiresAt))
  let scopes = oldList(h.scopes)
  if (scopes.length === 0 && Array.isArray(oauth.scopes))
    scopes = oauth.scopes.filter((s): s is string => typeof s === 'string')
  if (scopes.length === 0 && typeof oauth.scopes === 'string') scopes = oldList(oauth.scopes)
  const account = oldAccount(h, id, ctx.groupIds, {
    platform: 'claude-oauth',
    tokenExpiresAt: oldEpochMs(expiresRaw),
    scopes,
    proxy: proxyOf(h, secrets, notes),
    subscriptionInfo: oldRecord(h.subscriptionInfo),
    extInfo: oldRecord(h.extInfo),
  })
  return validAccount(account, secrets, stateOf(h, ctx.now), notes)
}

/** Maps `claude_console_account:<id>`. */
export function mapConsoleAccount(id: string, h: Hash, ctx: MapContext): Mapped<MappedAccount> {
  const notes: string[] = []
  const key = oldApiKey(h, ctx.encryptionKey, CONSOLE_SALT)
  if (!key.ok) return key
  const apiUrl = (h.apiUrl ?? '').trim()
  if (!/^https?:\/\//.test(apiUrl))
    return { ok: false, reason: `apiUrl "${apiUrl}" is not http(s)` }
  const { secrets } = key
  const account = oldAccount(h, id, ctx.groupIds, {
    platform: 'claude-console',
    apiUrl,
    userAgent: h.userAgent ?? '',
    proxy: proxyOf(h, secrets, notes),
    supportedModels: supportedModelsOf(h.supportedModels),
    maxConcurrency: oldInt(h.maxConcurrentTasks),
  })
  return validAccount(account, secrets, stateOf(h, ctx.now), notes)
}

/** Maps `account_group:<gid>`. */
export function mapGroup(id: string, h: Hash | null): Mapped<AccountGroup> {
  const platform = (h?.platform ?? 'claude').trim() || 'claude'
  if (
    platform !== 'claude' &&
    platform !== 'droid' &&
    platform !== 'openai' &&
    platform !== 'gemini'
  )
    return { ok: false, reason: `platform "${platform}" is not served by this relay` }
  const createdAt = oldIso(h?.createdAt) ?? EPOCH
  const group: AccountGroup = {
    id,
    name: name(h?.name, id),
    platform,
    description: h?.description ?? '',
    createdAt,
    updatedAt: oldIso(h?.updatedAt) ?? createdAt,
  }
  const err = firstError(AccountGroup, group)
  return err ? { ok: false, reason: `invalid field ${err}` } : { ok: true, value: group, notes: [] }
}

function stringValues(o: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(o))
    if (v !== null && v !== undefined) out[k] = typeof v === 'string' ? v : JSON.stringify(v)
  return out
}

/** Maps `request_history:<id>` to a final record (pending ones become errors). */
export function mapHistory(id: string, h: Hash): Mapped<HistoryRecord> {
  const startTime = oldEpochMs(h.startTime) || oldEpochMs(h.timestamp)
  if (!startTime) return { ok: false, reason: 'no startTime or timestamp' }
  const duration = oldInt(h.duration)
  const endTime = oldEpochMs(h.endTime) || startTime + duration
  const statusRaw = (h.status ?? '').trim()
  const status = oldInt(h.statusCode)
  let outcome: HistoryRecord['outcome'] = 'error'
  let errorMessage = h.error ?? ''
  if (statusRaw === 'success') outcome = 'success'
  else if (statusRaw === 'pending') errorMessage = 'imported while pending'
  else if (statusRaw !== 'error' && !errorMessage) errorMessage = `old status "${statusRaw}"`
  const req = oldRecord(h.requestBody)
  const headers = oldRecord(h.headers)
  const ua = headers ? (headers['user-agent'] ?? headers['User-Agent']) : undefined
  const record: HistoryRecord = {
    id: (h.requestId ?? '').trim() || id,
    startTime,
    endTime: Math.max(startTime, endTime),
    durationMs: duration || Math.max(0, endTime - startTime),
    platform: '',
    ttfbMs: null,
    overheadMs: null,
    keyId: h.apiKeyId ?? '',
    keyName: h.apiKeyName ?? '',
    accountId: '',
    accountName: '',
    model: h.model ?? (typeof req?.model === 'string' ? req.model : ''),
    stream: req?.stream === true,
    endpoint: '/api/v1/messages',
    userAgent: typeof ua === 'string' ? ua.slice(0, 300) : '',
    status,
    outcome,
    errorType: outcome === 'success' ? '' : errorTypeForStatus(status || 500),
    errorMessage: errorMessage.slice(0, 2000),
    inputTokens: oldInt(h.inputTokens),
    outputTokens: oldInt(h.outputTokens),
    cacheCreate5mTokens: oldInt(h.cacheCreateTokens),
    cacheCreate1hTokens: 0,
    cacheReadTokens: oldInt(h.cacheReadTokens),
    costNanos: 0,
    tries: 1,
    requestBody: h.requestBody ?? '',
    responseBody: h.responseBody ?? '',
    // The old system stored some credential headers (x-goog-api-key, api-key) in plain text.
    requestHeaders: headers ? capturedHeaders(stringValues(headers), []) : {},
    attempts: [],
  }
  return { ok: true, value: record, notes: [] }
}
