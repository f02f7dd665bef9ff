/**
 * @module
 * An account as the admin API shows it: its configuration without the sealed secret, its health
 * (`status` where it stands now, e.g. `rate_limited`, with `statusDetail`; the stored `state`; why
 * it is unavailable, when it recovers by itself), which secrets it has, how many keys
 * are bound to it, its groups and its usage windows. Never a secret.
 */
import { effectiveStatus, recoversAt, unavailableReason } from './health.ts'
import type { AccountGroup } from './model.ts'
import type { PoolEntry } from './service.ts'

/** What a view needs besides the account. */
export interface ViewContext {
  /** Live keys bound per account or group id. */
  counts: Record<string, number>
  groups: Map<string, AccountGroup>
  now: number
}

/** The admin view of one account. */
export function accountView(entry: PoolEntry, ctx: ViewContext) {
  const { account, secrets, state } = entry
  const { secret: _secret, proxy, ...rest } = account
  const now = ctx.now
  const down =
    state.status === 'active' &&
    (state.rateLimitedUntil > now || state.overloadedUntil > now || state.coolingUntil > now)
  const back = down ? recoversAt(state, now) : null
  const windows = account.extInfo?.usageWindows
  const usageWindows =
    windows && typeof windows === 'object' && !Array.isArray(windows) ? windows : null
  // `status` is where the account stands now (`rate_limited`…); the stored one is `state.status`.
  const effective = effectiveStatus(account, state, now)
  return {
    ...rest,
    proxy: proxy ? { ...proxy, hasPassword: !!secrets.proxyPassword } : null,
    state,
    status: effective.status,
    statusDetail: effective.detail,
    unavailableReason: unavailableReason(account, state, now, false),
    recoversAt: back ? new Date(back).toISOString() : null,
    hasAccessToken: !!secrets.accessToken,
    hasRefreshToken: !!secrets.refreshToken,
    hasApiKey: !!secrets.apiKey,
    boundKeys: ctx.counts[account.id] ?? 0,
    groupInfos: account.groupIds.map((id) => ({ id, name: ctx.groups.get(id)?.name ?? '' })),
    usageWindows,
  }
}

/** The admin view's type. */
export type AccountView = ReturnType<typeof accountView>
