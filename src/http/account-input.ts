/**
 * @module
 * Account payloads of the admin API, in the seed's shape (their schemas: `schemas/accounts.ts`),
 * mapped to {@link AccountInput}: the fields every account kind shares (name, priority, type,
 * groups, proxy, models, concurrency…), read as the seed's UI sends them (numbers as strings,
 * `groupId` or `groupIds`, a proxy as an object or a JSON string), plus each kind's own fields
 * through its mapper.
 */

import type { OnboardingProxy } from '../accounts/onboarding.ts'
import type { AccountInput } from '../accounts/service.ts'
import { InvalidRequestError } from '../core/errors.ts'
import type {
  ClaudeConsoleBody,
  ClaudeOAuthBody,
  CommonAccountBody,
  ProxyField,
} from './schemas/accounts.ts'

/** A JSON body as received. */
export type Body = Record<string, unknown>

/** The string value of `v`, else undefined. */
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

/** The object value of `v`, else undefined. */
function obj(v: unknown): Body | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Body) : undefined
}

function safeJson(text: string): unknown {
  if (!text.trim()) return null
  try {
    return JSON.parse(text)
  } catch {
    throw new InvalidRequestError('proxy: expected a JSON object')
  }
}

/** A number the seed's UI may send as a string ('' and absent: none). */
function numberOf(v: number | string | null | undefined): number | undefined {
  return typeof v === 'number' ? v : v ? Number(v) : undefined
}

/** The fields every account kind shares, from a seed-shaped body. */
export function commonAccountInput(body: CommonAccountBody): AccountInput {
  const proxyRaw = typeof body.proxy === 'string' ? safeJson(body.proxy) : body.proxy
  return {
    name: body.name ?? undefined,
    description: body.description ?? undefined,
    priority: numberOf(body.priority),
    schedulable: body.schedulable ?? undefined,
    isActive: body.isActive ?? undefined,
    accountType: body.accountType ?? undefined,
    groupIds: body.groupIds ?? (body.groupId ? [body.groupId] : undefined),
    supportedModels: body.supportedModels,
    userAgent: body.userAgent ?? undefined,
    // A string here was never read (the seed's UI sends numbers): it stays ignored.
    maxConcurrency:
      typeof body.maxConcurrency === 'number'
        ? body.maxConcurrency
        : typeof body.maxConcurrentTasks === 'number'
          ? body.maxConcurrentTasks
          : undefined,
    proxy: proxyRaw === undefined ? undefined : (proxyRaw as AccountInput['proxy']),
    extInfo: body.extInfo,
  }
}

/** The common fields plus a kind's own (`own`), with absent fields left out (an edit keeps them). */
export function accountInputOf<B extends CommonAccountBody>(
  body: B,
  own: (body: B) => AccountInput,
): AccountInput {
  const input: AccountInput = { ...commonAccountInput(body), ...own(body) }
  for (const k of Object.keys(input) as (keyof AccountInput)[])
    if (input[k] === undefined) delete input[k]
  return input
}

/** The Claude OAuth fields: tokens (top level or in `claudeAiOauth`), expiry, scopes, plan. */
export function claudeOAuthFields(body: ClaudeOAuthBody): AccountInput {
  const oauth = body.claudeAiOauth ?? {}
  const input: AccountInput = {
    accessToken: oauth.accessToken ?? body.accessToken,
    refreshToken: oauth.refreshToken ?? body.refreshToken,
  }
  const exp = oauth.expiresAt ?? body.expiresAt
  if (exp !== undefined) input.tokenExpiresAt = Number(exp) || 0
  const scopes = oauth.scopes ?? body.scopes
  if (scopes) input.scopes = scopes
  if (body.subscriptionInfo) input.subscriptionInfo = body.subscriptionInfo
  const options = optionFields(body as Body, CLAUDE_OAUTH_OPTIONS)
  if (options) input.options = options
  return input
}

/** Seed fields of a Claude OAuth account kept in its `options` (booleans, strings, dates). */
export const CLAUDE_OAUTH_OPTIONS = {
  autoStopOnWarning: 'boolean',
  useUnifiedUserAgent: 'boolean',
  useUnifiedClientId: 'boolean',
  unifiedClientId: 'string',
  keepCacheTtl: 'boolean',
  subscriptionExpiresAt: 'date',
} as const

/** Seed fields of a Claude Console account kept in its `options`. */
export const CLAUDE_CONSOLE_OPTIONS = {
  dailyQuota: 'number',
  quotaResetTime: 'string',
  rateLimitDuration: 'number',
  subscriptionExpiresAt: 'date',
} as const

/**
 * The named option fields present in a body (or in its `options`), read as the seed's UI sends
 * them: booleans as `true`/`'true'`, numbers as numbers or numeric strings, dates as ISO text,
 * epoch ms, or empty/null (cleared). Undefined when none is present.
 */
export function optionFields(
  body: Body,
  fields: Record<string, 'boolean' | 'string' | 'number' | 'date'>,
): Body | undefined {
  const src = { ...obj(body.options), ...body }
  const out: Body = {}
  for (const [name, kind] of Object.entries(fields)) {
    const v = src[name]
    if (v === undefined) continue
    if (kind === 'boolean') out[name] = v === true || v === 'true'
    else if (kind === 'string') out[name] = v === null ? '' : String(v)
    else if (kind === 'number') {
      const n = v === '' || v === null ? 0 : Number(v)
      if (!Number.isFinite(n) || n < 0)
        throw new InvalidRequestError(`${name}: expected a number of at least 0`)
      out[name] = n
    } else {
      if (v === null || v === '') out[name] = null
      else {
        const t = typeof v === 'number' ? v : Date.parse(String(v))
        if (!Number.isFinite(t)) throw new InvalidRequestError(`${name}: expected a date`)
        out[name] = new Date(t).toISOString()
      }
    }
  }
  return Object.keys(out).length ? out : undefined
}

/** The Claude Console fields: base URL and API key. */
export function claudeConsoleFields(body: ClaudeConsoleBody): AccountInput {
  const input: AccountInput = { apiUrl: body.apiUrl, apiKey: body.apiKey }
  const options = optionFields(body as Body, CLAUDE_CONSOLE_OPTIONS)
  if (options) input.options = options
  return input
}

/** A proxy from an onboarding body (`{type, host, port, username?, password?}` or its JSON). */
export function proxyOf(v: ProxyField | undefined): OnboardingProxy | null {
  const raw = typeof v === 'string' ? safeJson(v) : v
  const p = obj(raw)
  if (!p) return null
  const type = str(p.type)
  const host = str(p.host)
  const port = Number(p.port)
  if (!type || !['http', 'https', 'socks5'].includes(type) || !host || !Number.isInteger(port))
    throw new InvalidRequestError('Invalid proxy: expected {type: http|https|socks5, host, port}')
  const out: OnboardingProxy = { type: type as OnboardingProxy['type'], host, port }
  if (str(p.username)) out.username = str(p.username)
  if (str(p.password)) out.password = str(p.password)
  return out
}

/** The Gemini API-key fields: base URL (`baseUrl` in the seed, default Google's) and API key. */
export function geminiApiFields(body: Body): AccountInput {
  return { apiUrl: str(body.baseUrl) ?? str(body.apiUrl), apiKey: str(body.apiKey) }
}

/**
 * The Gemini Google-login fields: tokens (the seed's `geminiOauth` object or top-level
 * `accessToken`/`refreshToken`/`expiryDate`), the Code Assist project (`projectId`) and endpoint.
 */
export function geminiOAuthFields(body: Body): AccountInput {
  const raw = typeof body.geminiOauth === 'string' ? safeJson(body.geminiOauth) : body.geminiOauth
  const o = obj(raw) ?? {}
  const input: AccountInput = {
    accessToken: str(o.access_token) ?? str(body.accessToken),
    refreshToken: str(o.refresh_token) ?? str(body.refreshToken),
    apiUrl: str(body.codeAssistEndpoint) ?? str(body.apiUrl),
  }
  const exp = o.expiry_date ?? body.expiryDate ?? body.expiresAt
  if (exp !== undefined) input.tokenExpiresAt = Number(exp) || Date.parse(String(exp)) || 0
  if (typeof o.scope === 'string') input.scopes = o.scope.split(' ').filter(Boolean)
  if (typeof body.projectId === 'string') input.options = { projectId: body.projectId }
  return input
}
