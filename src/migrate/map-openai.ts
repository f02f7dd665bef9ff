/**
 * @module
 * Pure mapping of the old system's OpenAI-family accounts: ChatGPT-login accounts
 * (`openai:account:<id>`, secrets sealed with the salt `openai-account-salt`), OpenAI-Responses
 * accounts (`openai_responses_account:<id>`, `openai-responses-salt`) and Azure OpenAI accounts
 * (`azure_openai:account:<id>`, `azure-openai-account-default-salt`). Their rate-limit end and
 * unauthorized marks become health state; an old `schedulable: false` set only by a rate limit
 * is not carried over (here a rate limit ends by itself).
 */
import type { AccountState } from '../accounts/model.ts'
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
  supportedModelsOf,
  validAccount,
} from './map-account.ts'
import { oldEpochMs, oldInt } from './read-old.ts'

type Hash = Record<string, string>

/** Salts of the old system's OpenAI-family secrets. */
export const OPENAI_SALTS = {
  openai: 'openai-account-salt',
  'openai-responses': 'openai-responses-salt',
  'azure-openai': 'azure-openai-account-default-salt',
} as const

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

/** Maps `openai:account:<id>` (ChatGPT login). */
export function mapChatGPTAccount(id: string, h: Hash, ctx: MapContext): Mapped<MappedAccount> {
  const notes: string[] = []
  const dec = (f: string) =>
    decryptLegacy(h[f], ctx.encryptionKey, OPENAI_SALTS.openai, { allowLegacy: false })
  const tokens = oldTokens(dec, 'openaiOauth', notes)
  if (!tokens.ok) return tokens
  const { secrets } = tokens
  const idToken = dec('idToken')
  const email = dec('email')
  if (idToken.ok && idToken.value) secrets.idToken = idToken.value
  const proxy = proxyOf(h, secrets, notes)
  const options: Record<string, unknown> = {}
  const chatgptAccountId = (h.accountId || h.chatgptUserId || '').trim()
  if (chatgptAccountId) options.chatgptAccountId = chatgptAccountId
  else notes.push('no ChatGPT account id: the account id is sent as chatgpt-account-id')
  for (const f of ['chatgptUserId', 'organizationId', 'planType'] as const)
    if (h[f]?.trim()) options[f] = h[f].trim()
  if (email.ok && email.value) options.email = email.value
  const account = oldAccount(h, id, ctx.groupIds, {
    schedulable: schedulableOf(h),
    options,
    platform: 'openai',
    tokenExpiresAt: oldEpochMs(h.expiresAt),
    proxy,
    supportedModels: supportedModelsOf(h.supportedModels),
  })
  return validAccount(account, secrets, openaiState(h, ctx.now), notes)
}

/** Maps `openai_responses_account:<id>`. */
export function mapOpenAIResponsesAccount(
  id: string,
  h: Hash,
  ctx: MapContext,
): Mapped<MappedAccount> {
  const notes: string[] = []
  const key = oldApiKey(h, ctx.encryptionKey, OPENAI_SALTS['openai-responses'])
  if (!key.ok) return key
  const apiUrl = (h.baseApi ?? '').trim().replace(/\/+$/, '')
  if (!/^https?:\/\//.test(apiUrl))
    return { ok: false, reason: `baseApi "${apiUrl}" is not http(s)` }
  const { secrets } = key
  const proxy = proxyOf(h, secrets, notes)
  if (Number(h.dailyQuota) > 0)
    notes.push('dailyQuota is not carried over (use a cost limit on keys)')
  const account = oldAccount(h, id, ctx.groupIds, {
    schedulable: schedulableOf(h),
    platform: 'openai-responses',
    apiUrl,
    userAgent: h.userAgent ?? '',
    proxy,
    supportedModels: supportedModelsOf(h.supportedModels),
  })
  return validAccount(account, secrets, openaiState(h, ctx.now), notes)
}

/** Maps `azure_openai:account:<id>`. */
export function mapAzureOpenAIAccount(id: string, h: Hash, ctx: MapContext): Mapped<MappedAccount> {
  const notes: string[] = []
  const key = oldApiKey(h, ctx.encryptionKey, OPENAI_SALTS['azure-openai'])
  if (!key.ok) return key
  const apiUrl = (h.azureEndpoint ?? '').trim().replace(/\/+$/, '')
  if (!/^https?:\/\//.test(apiUrl))
    return { ok: false, reason: `azureEndpoint "${apiUrl}" is not http(s)` }
  const { secrets } = key
  const proxy = proxyOf(h, secrets, notes)
  const options: Record<string, unknown> = {}
  if (h.apiVersion?.trim()) options.apiVersion = h.apiVersion.trim()
  if (h.deploymentName?.trim()) options.deploymentName = h.deploymentName.trim()
  // The old supportedModels list never routed requests; keeping it would refuse other models.
  const account = oldAccount(h, id, ctx.groupIds, {
    schedulable: schedulableOf(h),
    options,
    platform: 'azure-openai',
    apiUrl,
    proxy,
    maxConcurrency: oldInt(h.maxConcurrentTasks),
  })
  return validAccount(account, secrets, openaiState(h, ctx.now), notes)
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
