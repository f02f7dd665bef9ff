/**
 * @module
 * Account payloads of the admin API, in the seed's shape, mapped to {@link AccountInput}: the
 * fields every account kind shares (name, priority, type, groups, proxy, models, concurrency…),
 * read tolerantly as the seed's UI sends them (numbers as strings, `groupId` or `groupIds`, a proxy
 * as an object or a JSON string), plus each kind's own fields through its `extra` mapper.
 */

import type { OnboardingProxy } from '../accounts/onboarding.ts'
import type { AccountInput } from '../accounts/service.ts'
import { InvalidRequestError } from '../core/errors.ts'

/** A JSON body as received. */
export type Body = Record<string, unknown>

/** The string value of `v`, else undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

/** The object value of `v`, else undefined. */
export function obj(v: unknown): Body | undefined {
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

/** The fields every account kind shares, from a seed-shaped body. */
export function commonAccountInput(body: Body): AccountInput {
  const proxyRaw = typeof body.proxy === 'string' ? safeJson(body.proxy) : body.proxy
  return {
    name: str(body.name),
    description: str(body.description),
    priority:
      typeof body.priority === 'number'
        ? body.priority
        : body.priority
          ? Number(body.priority)
          : undefined,
    schedulable: typeof body.schedulable === 'boolean' ? body.schedulable : undefined,
    isActive: typeof body.isActive === 'boolean' ? body.isActive : undefined,
    accountType: (str(body.accountType) as AccountInput['accountType']) ?? undefined,
    groupIds: Array.isArray(body.groupIds)
      ? (body.groupIds as string[])
      : typeof body.groupId === 'string' && body.groupId
        ? [body.groupId]
        : undefined,
    supportedModels: body.supportedModels as AccountInput['supportedModels'],
    userAgent: str(body.userAgent),
    maxConcurrency:
      typeof body.maxConcurrency === 'number'
        ? body.maxConcurrency
        : typeof body.maxConcurrentTasks === 'number'
          ? body.maxConcurrentTasks
          : undefined,
    proxy: proxyRaw === undefined ? undefined : (proxyRaw as AccountInput['proxy']),
    extInfo: body.extInfo === null ? null : obj(body.extInfo),
  }
}

/** The common fields plus a kind's own (`extra`), with absent fields left out (an edit keeps them). */
export function accountInputOf(body: Body, extra: (body: Body) => AccountInput): AccountInput {
  const input: AccountInput = { ...commonAccountInput(body), ...extra(body) }
  for (const k of Object.keys(input) as (keyof AccountInput)[])
    if (input[k] === undefined) delete input[k]
  return input
}

/** The Claude OAuth fields: tokens (top level or in `claudeAiOauth`), expiry, scopes, plan. */
export function claudeOAuthFields(body: Body): AccountInput {
  const oauth = (body.claudeAiOauth ?? {}) as Body
  const input: AccountInput = {
    accessToken: str(oauth.accessToken) ?? str(body.accessToken),
    refreshToken: str(oauth.refreshToken) ?? str(body.refreshToken),
  }
  const exp = oauth.expiresAt ?? body.expiresAt
  if (exp !== undefined) input.tokenExpiresAt = Number(exp) || 0
  const scopes = oauth.scopes ?? body.scopes
  if (Array.isArray(scopes)) input.scopes = scopes as string[]
  if (body.subscriptionInfo && typeof body.subscriptionInfo === 'object')
    input.subscriptionInfo = body.subscriptionInfo as Body
  return input
}

/** The Claude Console fields: base URL and API key. */
export function claudeConsoleFields(body: Body): AccountInput {
  return { apiUrl: str(body.apiUrl), apiKey: str(body.apiKey) }
}

/** A proxy from an onboarding body (`{type, host, port, username?, password?}` or its JSON). */
export function proxyOf(v: unknown): OnboardingProxy | null {
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
