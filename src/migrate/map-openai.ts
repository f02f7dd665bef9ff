/**
 * @module
 * Pure mapping of the old system's OpenAI-family accounts: ChatGPT-login accounts
 * (`openai:account:<id>`, secrets sealed with the salt `openai-account-salt`), OpenAI-Responses
 * accounts (`openai_responses_account:<id>`, `openai-responses-salt`) and Azure OpenAI accounts
 * (`azure_openai:account:<id>`, `azure-openai-account-default-salt`). Their rate-limit end and
 * unauthorized marks become health state; an old `schedulable: false` set only by a rate limit
 * is not carried over (here a rate limit ends by itself).
 */
import type { Account, AccountSecrets, AccountState } from '../accounts/model.ts'
import { decryptLegacy } from './legacy-crypto.ts'
import {
  accountCommon,
  type Mapped,
  type MappedAccount,
  mapProxy,
  stateOf,
  validAccount,
} from './map.ts'
import { oldEpochMs, oldInt, oldJson, oldList, oldRecord } from './read-old.ts'

type Hash = Record<string, string>

/** Salts of the old system's OpenAI-family secrets. */
export const OPENAI_SALTS = {
  openai: 'openai-account-salt',
  'openai-responses': 'openai-responses-salt',
  'azure-openai': 'azure-openai-account-default-salt',
} as const

function supportedModelsOf(raw: string | undefined): Account['supportedModels'] {
  const sm = oldJson(raw)
  if (Array.isArray(sm)) return sm.filter((x): x is string => typeof x === 'string')
  if (sm && typeof sm === 'object') {
    const map: Record<string, string> = {}
    for (const [k, v] of Object.entries(sm)) if (typeof v === 'string' && v) map[k] = v
    return map
  }
  return raw?.trim() && !raw.trim().startsWith('{') ? oldList(raw) : []
}

/** Health marks of an OpenAI-family account: the old rate-limit end, unauthorized. */
function openaiState(h: Hash, now: number): Partial<AccountState> {
  const state = stateOf(h, now)
  const limited =
    h.rateLimitStatus === 'limited' || h.status === 'rateLimited'
      ? oldEpochMs(h.rateLimitResetAt) ||
        (oldEpochMs(h.rateLimitedAt) ? oldEpochMs(h.rateLimitedAt) + 60 * 60_000 : 0)
      : 0
  if (limited > now) state.rateLimitedUntil = limited
  if (h.status === 'unauthorized' && !state.status) {
    state.status = 'unauthorized'
    state.lastError = (h.errorMessage ?? '').slice(0, 500)
  }
  return state
}

/** Whether the account was only taken out of scheduling by a rate limit (which ends by itself). */
function schedulableOf(h: Hash): boolean {
  if (h.schedulable !== 'false') return true
  return h.rateLimitStatus === 'limited' || h.status === 'rateLimited'
}

function base(h: Hash, id: string, groupIds: string[]) {
  return { ...accountCommon(h, id, groupIds), schedulable: schedulableOf(h) }
}

/** Maps `openai:account:<id>` (ChatGPT login). */
export function mapChatGPTAccount(
  id: string,
  h: Hash,
  groupIds: string[],
  encryptionKey: string,
  now: number,
): Mapped<MappedAccount> {
  const notes: string[] = []
  const dec = (f: string) =>
    decryptLegacy(h[f], encryptionKey, OPENAI_SALTS.openai, { allowLegacy: false })
  const access = dec('accessToken')
  const refresh = dec('refreshToken')
  for (const [f, r] of [
    ['accessToken', access],
    ['refreshToken', refresh],
  ] as const)
    if (!r.ok) return { ok: false, reason: `${f}: ${r.error}` }
  const oauthRaw = dec('openaiOauth')
  const oauth = oauthRaw.ok ? (oldRecord(oauthRaw.value) ?? {}) : {}
  const s = (v: unknown) => (typeof v === 'string' ? v : '')
  const accessToken = (access.ok && access.value) || s(oauth.accessToken) || s(oauth.access_token)
  const refreshToken =
    (refresh.ok && refresh.value) || s(oauth.refreshToken) || s(oauth.refresh_token)
  if (!accessToken && !refreshToken) return { ok: false, reason: 'no access or refresh token' }
  const idToken = dec('idToken')
  const email = dec('email')
  const secrets: AccountSecrets = {}
  if (accessToken) secrets.accessToken = accessToken
  if (refreshToken) secrets.refreshToken = refreshToken
  if (idToken.ok && idToken.value) secrets.idToken = idToken.value
  const { proxy, password, note } = mapProxy(h.proxy)
  if (note) notes.push(note)
  if (password) secrets.proxyPassword = password
  const options: Record<string, unknown> = {}
  const chatgptAccountId = (h.accountId || h.chatgptUserId || '').trim()
  if (chatgptAccountId) options.chatgptAccountId = chatgptAccountId
  else notes.push('no ChatGPT account id: the account id is sent as chatgpt-account-id')
  for (const f of ['chatgptUserId', 'organizationId', 'planType'] as const)
    if (h[f]?.trim()) options[f] = h[f].trim()
  if (email.ok && email.value) options.email = email.value
  const account: Omit<Account, 'secret'> = {
    ...base(h, id, groupIds),
    options,
    platform: 'openai',
    tokenExpiresAt: oldEpochMs(h.expiresAt),
    scopes: [],
    apiUrl: '',
    userAgent: '',
    proxy,
    supportedModels: supportedModelsOf(h.supportedModels),
    maxConcurrency: 0,
    subscriptionInfo: null,
    extInfo: null,
  }
  return validAccount(account, secrets, openaiState(h, now), notes)
}

/** Maps `openai_responses_account:<id>`. */
export function mapOpenAIResponsesAccount(
  id: string,
  h: Hash,
  groupIds: string[],
  encryptionKey: string,
  now: number,
): Mapped<MappedAccount> {
  const notes: string[] = []
  const key = decryptLegacy(h.apiKey, encryptionKey, OPENAI_SALTS['openai-responses'], {
    allowLegacy: false,
  })
  if (!key.ok) return { ok: false, reason: `apiKey: ${key.error}` }
  if (!key.value) return { ok: false, reason: 'no apiKey' }
  const apiUrl = (h.baseApi ?? '').trim().replace(/\/+$/, '')
  if (!/^https?:\/\//.test(apiUrl))
    return { ok: false, reason: `baseApi "${apiUrl}" is not http(s)` }
  const { proxy, password, note } = mapProxy(h.proxy)
  if (note) notes.push(note)
  const secrets: AccountSecrets = { apiKey: key.value }
  if (password) secrets.proxyPassword = password
  if (Number(h.dailyQuota) > 0)
    notes.push('dailyQuota is not carried over (use a cost limit on keys)')
  const account: Omit<Account, 'secret'> = {
    ...base(h, id, groupIds),
    platform: 'openai-responses',
    tokenExpiresAt: 0,
    scopes: [],
    apiUrl,
    userAgent: h.userAgent ?? '',
    proxy,
    supportedModels: supportedModelsOf(h.supportedModels),
    maxConcurrency: 0,
    subscriptionInfo: null,
    extInfo: null,
  }
  return validAccount(account, secrets, openaiState(h, now), notes)
}

/** Maps `azure_openai:account:<id>`. */
export function mapAzureOpenAIAccount(
  id: string,
  h: Hash,
  groupIds: string[],
  encryptionKey: string,
  now: number,
): Mapped<MappedAccount> {
  const notes: string[] = []
  const key = decryptLegacy(h.apiKey, encryptionKey, OPENAI_SALTS['azure-openai'], {
    allowLegacy: false,
  })
  if (!key.ok) return { ok: false, reason: `apiKey: ${key.error}` }
  if (!key.value) return { ok: false, reason: 'no apiKey' }
  const apiUrl = (h.azureEndpoint ?? '').trim().replace(/\/+$/, '')
  if (!/^https?:\/\//.test(apiUrl))
    return { ok: false, reason: `azureEndpoint "${apiUrl}" is not http(s)` }
  const { proxy, password, note } = mapProxy(h.proxy)
  if (note) notes.push(note)
  const secrets: AccountSecrets = { apiKey: key.value }
  if (password) secrets.proxyPassword = password
  const options: Record<string, unknown> = {}
  if (h.apiVersion?.trim()) options.apiVersion = h.apiVersion.trim()
  if (h.deploymentName?.trim()) options.deploymentName = h.deploymentName.trim()
  // The old supportedModels list never routed requests; keeping it would refuse other models.
  const account: Omit<Account, 'secret'> = {
    ...base(h, id, groupIds),
    options,
    platform: 'azure-openai',
    tokenExpiresAt: 0,
    scopes: [],
    apiUrl,
    userAgent: '',
    proxy,
    supportedModels: [],
    maxConcurrency: oldInt(h.maxConcurrentTasks),
    subscriptionInfo: null,
    extInfo: null,
  }
  return validAccount(account, secrets, openaiState(h, now), notes)
}

/** The old OpenAI-family account keys and their mappers. */
export const OPENAI_ACCOUNT_SOURCES = [
  { prefix: 'openai:account:', label: 'openai', map: mapChatGPTAccount },
  {
    prefix: 'openai_responses_account:',
    label: 'openai-responses',
    map: mapOpenAIResponsesAccount,
  },
  { prefix: 'azure_openai:account:', label: 'azure-openai', map: mapAzureOpenAIAccount },
] as const
