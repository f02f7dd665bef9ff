/**
 * @module
 * The subscription profile and usage windows of Claude OAuth accounts, read from the Anthropic
 * API with the account's token: fetching them, which accounts can be read (a setup token lacks
 * the `user:profile` scope), and storing them on the account (`subscriptionInfo`,
 * `extInfo.usageWindows`), one account or all.
 */
import { type Static, Type as T } from '@sinclair/typebox'
import { InvalidRequestError, RelayError } from '../core/errors.ts'
import type { Clock, FetchFn } from '../core/ports.ts'
import { type TokenProvider, TokenRefreshError } from './oauth.ts'
import { CLI_UA, OAUTH_BETA, record } from './onboarding.ts'
import type { AccountService, PoolEntry } from './service.ts'
import { type UsageWindow, UsageWindows } from './views.ts'

/** Subscription details derived from `GET /api/oauth/profile`. */
export const SubscriptionInfo = T.Object(
  {
    email: T.String(),
    accountUuid: T.String(),
    displayName: T.String(),
    hasClaudeMax: T.Boolean(),
    hasClaudePro: T.Boolean(),
    accountType: T.Union([T.Literal('claude_max'), T.Literal('claude_pro'), T.Literal('free')]),
    organizationUuid: T.String(),
    organizationName: T.String(),
    organizationType: T.String(),
    billingType: T.String(),
    rateLimitTier: T.String(),
    profileFetchedAt: T.String(),
  },
  { additionalProperties: true },
)
export type SubscriptionInfo = Static<typeof SubscriptionInfo>

async function oauthGet(fetchFn: FetchFn, url: string, token: string, what: string) {
  let res: Response
  try {
    res = await fetchFn(url, {
      method: 'GET',
      headers: {
        authorization: `Bearer ${token}`,
        'anthropic-beta': OAUTH_BETA,
        'user-agent': CLI_UA,
        accept: 'application/json',
        'content-type': 'application/json',
      },
      signal: AbortSignal.timeout(30_000),
    })
  } catch (err) {
    throw new RelayError(
      502,
      'api_error',
      `Cannot fetch ${what}: upstream unreachable (${err instanceof Error ? err.message : String(err)})`,
    )
  }
  const text = await res.text()
  if (!res.ok)
    throw new RelayError(
      502,
      'api_error',
      `Cannot fetch ${what}: upstream answered ${res.status}${res.status === 403 ? ' (setup tokens cannot read it)' : ''}`,
      { details: { upstreamStatus: res.status } },
    )
  try {
    return JSON.parse(text) as Record<string, unknown>
  } catch {
    throw new RelayError(502, 'api_error', `Cannot fetch ${what}: upstream answered invalid JSON`)
  }
}

/** Origin of the Messages URL (`https://api.anthropic.com`). */
export function apiBaseOf(messagesUrl: string): string {
  return new URL(messagesUrl).origin
}

/** Fetches `GET <base>/api/oauth/profile` and maps it to {@link SubscriptionInfo}. */
export async function fetchProfile(
  fetchFn: FetchFn,
  apiBase: string,
  token: string,
  now: number,
): Promise<SubscriptionInfo> {
  const p = await oauthGet(fetchFn, `${apiBase}/api/oauth/profile`, token, 'profile')
  const account = record(p.account) ?? {}
  const org = record(p.organization) ?? {}
  const s = (v: unknown) => (typeof v === 'string' ? v : '')
  const hasClaudeMax = account.has_claude_max === true
  const hasClaudePro = account.has_claude_pro === true
  return {
    email: s(account.email),
    accountUuid: s(account.uuid),
    displayName: s(account.display_name) || s(account.full_name),
    hasClaudeMax,
    hasClaudePro,
    accountType: hasClaudeMax ? 'claude_max' : hasClaudePro ? 'claude_pro' : 'free',
    organizationUuid: s(org.uuid),
    organizationName: s(org.name),
    organizationType: s(org.organization_type),
    billingType: s(org.billing_type),
    rateLimitTier: s(org.rate_limit_tier),
    profileFetchedAt: new Date(now).toISOString(),
  }
}

function windowOf(v: unknown): UsageWindow | null {
  const w = record(v)
  if (!w) return null
  const u = w.utilization
  return {
    utilization: typeof u === 'number' ? u : u == null ? null : Number(u),
    resetsAt: typeof w.resets_at === 'string' ? w.resets_at : null,
  }
}

/** Fetches `GET <base>/api/oauth/usage` (5 h and 7 day windows). */
export async function fetchUsage(
  fetchFn: FetchFn,
  apiBase: string,
  token: string,
  now: number,
): Promise<UsageWindows> {
  const u = await oauthGet(fetchFn, `${apiBase}/api/oauth/usage`, token, 'usage')
  return {
    fiveHour: windowOf(u.five_hour),
    sevenDay: windowOf(u.seven_day),
    sevenDayOpus: windowOf(u.seven_day_opus),
    sevenDaySonnet: windowOf(u.seven_day_sonnet),
    updatedAt: new Date(now).toISOString(),
  }
}

/** What one account's sync did (by account id in a sync of all). */
export const SyncOutcome = T.Union([
  T.Object({ name: T.String(), status: T.Literal('skipped'), reason: T.String() }),
  T.Object({ name: T.String(), status: T.Literal('failed'), error: T.String() }),
  T.Object({
    name: T.String(),
    status: T.Literal('updated'),
    usageWindows: T.Optional(UsageWindows),
    subscriptionInfo: T.Optional(SubscriptionInfo),
  }),
])
export type SyncOutcome = Static<typeof SyncOutcome>

/** What {@link createClaudeProfiles} needs. */
export interface ClaudeProfilesDeps {
  accounts: AccountService
  tokens: TokenProvider
  /** The proxy-aware fetch of an account. */
  fetchFor: (entry: PoolEntry) => FetchFn
  /** Origin of the Anthropic API (`https://api.anthropic.com`). */
  apiBase: string
  clock: Clock
}

/** Profiles and usage windows of Claude OAuth accounts, fetched and stored on each account. */
export function createClaudeProfiles(deps: ClaudeProfilesDeps) {
  const { accounts, clock, apiBase } = deps

  async function tokenOf(entry: PoolEntry): Promise<string> {
    try {
      return await deps.tokens.accessToken(entry)
    } catch (err) {
      throw new InvalidRequestError(err instanceof Error ? err.message : String(err))
    }
  }

  /** Why the profile and usage of an account cannot be read, or null when they can. */
  function skipReason(entry: PoolEntry): string | null {
    if (entry.account.platform !== 'claude-oauth') return 'not a Claude OAuth account'
    if (!entry.account.scopes.includes('user:profile'))
      return 'the token lacks the user:profile scope (setup tokens cannot read profile or usage)'
    return null
  }

  /** Fetches the profile and stores it as `subscriptionInfo`. */
  async function updateProfile(entry: PoolEntry): Promise<SubscriptionInfo> {
    const token = await tokenOf(entry)
    const info = await fetchProfile(deps.fetchFor(entry), apiBase, token, clock.now())
    await accounts.update(entry.account.id, { subscriptionInfo: info })
    return info
  }

  /** Fetches the usage windows and stores them in `extInfo.usageWindows`. */
  async function updateUsage(entry: PoolEntry): Promise<UsageWindows> {
    const token = await tokenOf(entry)
    const usageWindows = await fetchUsage(deps.fetchFor(entry), apiBase, token, clock.now())
    const latest = (await accounts.get(entry.account.id)) ?? entry.account
    await accounts.update(entry.account.id, {
      extInfo: { ...(latest.extInfo ?? {}), usageWindows },
    })
    return usageWindows
  }

  /** One account's sync: skipped, failed or updated (`update` gives the updated fields). */
  async function syncOne(
    e: PoolEntry,
    update: (
      e: PoolEntry,
    ) => Promise<{ usageWindows?: UsageWindows; subscriptionInfo?: SubscriptionInfo }>,
  ): Promise<SyncOutcome> {
    const name = e.account.name
    const reason = skipReason(e)
    if (reason) return { name, status: 'skipped', reason }
    try {
      return { name, status: 'updated', ...(await update(e)) }
    } catch (err) {
      return { name, status: 'failed', error: err instanceof Error ? err.message : String(err) }
    }
  }

  async function oauthEntries(): Promise<PoolEntry[]> {
    return (await accounts.readEntries()).filter((e) => e.account.platform === 'claude-oauth')
  }

  return {
    skipReason,
    updateProfile,
    /** Refreshes the account's token now (rotating the refresh token); a 502 when refused. */
    async refreshNow(entry: PoolEntry): Promise<void> {
      if (!entry.secrets.refreshToken)
        throw new InvalidRequestError(
          'Cannot refresh token: the account has no refresh token (setup-token accounts cannot refresh; re-authorize instead)',
        )
      try {
        await deps.tokens.refreshNow(entry)
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err)
        throw err instanceof TokenRefreshError
          ? new RelayError(502, 'api_error', message)
          : new RelayError(502, 'api_error', `Cannot refresh token: ${message}`)
      }
    },
    /** Usage windows of every OAuth account, fetched at once, by account id. */
    async syncUsage(): Promise<Record<string, SyncOutcome>> {
      const data: Record<string, SyncOutcome> = {}
      await Promise.all(
        (await oauthEntries()).map(async (e) => {
          data[e.account.id] = await syncOne(e, async (x) => ({
            usageWindows: await updateUsage(x),
          }))
        }),
      )
      return data
    },
    /** Profiles of every OAuth account, one after the other, by account id. */
    async syncProfiles(): Promise<Record<string, SyncOutcome>> {
      const data: Record<string, SyncOutcome> = {}
      for (const e of await oauthEntries())
        data[e.account.id] = await syncOne(e, async (x) => ({
          subscriptionInfo: await updateProfile(x),
        }))
      return data
    },
  }
}

/** The profile service's interface. */
export type ClaudeProfiles = ReturnType<typeof createClaudeProfiles>
