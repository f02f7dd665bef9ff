/**
 * @module
 * An account as the admin API shows it: its configuration without the sealed secret, its health
 * (`status` where it stands now, e.g. `rate_limited`, with `statusDetail`; the stored `state`; why
 * it is unavailable, when it recovers by itself), which secrets it has, how many keys
 * are bound to it, its groups and its usage windows. Never a secret.
 */
import { type Static, Type as T } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { literals } from '../core/schema.ts'
import { effectiveStatus, recoversAt, unavailableReason } from './health.ts'
import { Account, type AccountGroup, AccountState, ProxyConfig } from './model.ts'
import type { PoolEntry } from './service.ts'

/** One usage window of `GET /api/oauth/usage`. */
export const UsageWindow = T.Object({
  utilization: T.Union([T.Number(), T.Null()]),
  resetsAt: T.Union([T.String(), T.Null()]),
})
export type UsageWindow = Static<typeof UsageWindow>

/** The usage snapshot of a Claude OAuth account, stored in `extInfo.usageWindows`. */
export const UsageWindows = T.Object({
  fiveHour: T.Union([UsageWindow, T.Null()]),
  sevenDay: T.Union([UsageWindow, T.Null()]),
  sevenDayOpus: T.Union([UsageWindow, T.Null()]),
  sevenDaySonnet: T.Union([UsageWindow, T.Null()]),
  updatedAt: T.String(),
})
export type UsageWindows = Static<typeof UsageWindows>

/** Where an account stands now, every health mark applied (see `effectiveStatus`). */
export const EffectiveStatus = literals(
  'active',
  'inactive',
  'paused',
  'unauthorized',
  'blocked',
  'error',
  'rate_limited',
  'overloaded',
  'cooling_down',
)

/** The 5-hour session window of a Claude subscription account (from its answers' headers). */
export const SessionWindowView = T.Object({
  windowStart: T.String(),
  windowEnd: T.String(),
  active: T.Boolean(),
  status: T.Union([T.String(), T.Null()], { description: 'allowed, allowed_warning or rejected' }),
  progress: T.Number({ description: 'percent of the window elapsed' }),
  remainingMinutes: T.Number(),
  fiveHourUtilization: T.Number({ description: '0 to 1, as the API reports it' }),
  sevenDayUtilization: T.Number({ description: '0 to 1, as the API reports it' }),
  stoppedUntil: T.Union([T.String(), T.Null()], {
    description: 'not scheduled until then (autoStopOnWarning)',
  }),
  autoStopOnWarning: T.Boolean(),
})

/** The admin view of one account: never a secret. */
export const AccountView = T.Composite([
  T.Omit(Account, ['secret', 'proxy']),
  T.Object({
    proxy: T.Union([T.Composite([ProxyConfig, T.Object({ hasPassword: T.Boolean() })]), T.Null()]),
    state: AccountState,
    status: EffectiveStatus,
    statusDetail: T.Union([T.String(), T.Null()]),
    unavailableReason: T.Union([T.String(), T.Null()]),
    recoversAt: T.Union([T.String(), T.Null()], { description: 'ISO time it recovers by itself' }),
    hasAccessToken: T.Boolean(),
    hasRefreshToken: T.Boolean(),
    hasApiKey: T.Boolean(),
    hasAwsCredentials: T.Boolean({ description: 'Bedrock: AWS credentials are stored' }),
    apiKeyCount: T.Integer({ description: 'Droid: Factory API keys stored' }),
    boundKeys: T.Integer({ description: 'live keys bound to it' }),
    groupInfos: T.Array(T.Object({ id: T.String(), name: T.String() })),
    usageWindows: T.Union([UsageWindows, T.Null()]),
    sessionWindow: T.Union([SessionWindowView, T.Null()]),
  }),
])
export type AccountView = Static<typeof AccountView>

/** What a view needs besides the account. */
export interface ViewContext {
  /** Live keys bound per account or group id. */
  counts: Record<string, number>
  groups: Map<string, AccountGroup>
  now: number
}

/** The admin view of one account. */
export function accountView(entry: PoolEntry, ctx: ViewContext): AccountView {
  const { account, secrets, state } = entry
  const { secret: _secret, proxy, ...rest } = account
  const now = ctx.now
  const down =
    state.status === 'active' &&
    (state.rateLimitedUntil > now ||
      state.overloadedUntil > now ||
      state.coolingUntil > now ||
      state.sessionStoppedUntil > now ||
      state.quotaStoppedUntil > now)
  const back = down ? recoversAt(state, now) : null
  const windows = account.extInfo?.usageWindows
  const usageWindows = Value.Check(UsageWindows, windows) ? windows : null
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
    hasAwsCredentials: !!secrets.awsSecretAccessKey,
    apiKeyCount: Object.entries(secrets).filter(([k, v]) => v && /^apiKey(_\d+)?$/.test(k)).length,
    boundKeys: ctx.counts[account.id] ?? 0,
    groupInfos: account.groupIds.map((id) => ({ id, name: ctx.groups.get(id)?.name ?? '' })),
    usageWindows,
    sessionWindow: sessionWindowView(entry, now),
  }
}

/** The 5-hour session window of a subscription account as the list shows it, or null. */
export function sessionWindowView(entry: PoolEntry, now: number) {
  const { account, state } = entry
  if (account.platform !== 'claude-oauth' || state.sessionWindowEnd === 0) return null
  const active = state.sessionWindowEnd > now
  const span = state.sessionWindowEnd - state.sessionWindowStart
  return {
    windowStart: new Date(state.sessionWindowStart).toISOString(),
    windowEnd: new Date(state.sessionWindowEnd).toISOString(),
    active,
    status: active ? state.sessionWindowStatus || null : null,
    progress: active && span > 0 ? Math.round(((now - state.sessionWindowStart) / span) * 100) : 0,
    remainingMinutes: active ? Math.ceil((state.sessionWindowEnd - now) / 60_000) : 0,
    fiveHourUtilization: state.fiveHourUtilization,
    sevenDayUtilization: state.sevenDayUtilization,
    stoppedUntil:
      state.sessionStoppedUntil > now ? new Date(state.sessionStoppedUntil).toISOString() : null,
    autoStopOnWarning: account.options.autoStopOnWarning === true,
  }
}
