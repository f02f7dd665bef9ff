/**
 * @module
 * Pure mapping of old claude-relay-service records (Redis hashes of strings) to our records:
 * API keys, Claude accounts, groups and history. Each mapper returns the record or the reason it
 * is skipped; nothing here touches storage. What every account mapper shares is in
 * `map-account.ts`.
 */
import { AccountGroup } from '../accounts/model.ts'
import { errorTypeForStatus } from '../core/errors.ts'
import type { HistoryRecord } from '../history/model.ts'
import { capturedHeaders } from '../history/writer.ts'
import { ApiKey, type KeyPermission } from '../keys/model.ts'
import { CONSOLE_SALT, decryptLegacy, OAUTH_SALT } from './legacy-crypto.ts'
import {
  EPOCH,
  firstError,
  type MapContext,
  type Mapped,
  type MappedAccount,
  name,
  oldAccount,
  oldApiKey,
  oldTokens,
  proxyOf,
  stateOf,
  supportedModelsOf,
  validAccount,
} from './map-account.ts'
import { oldBool, oldEpochMs, oldInt, oldIso, oldList, oldNumber, oldRecord } from './read-old.ts'

type Hash = Record<string, string>

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
