/**
 * @module
 * How upstream results change an account's health. Every unhealthy state is time-based (an
 * `…Until` timestamp) or explicit (`unauthorized`, `blocked`), so no sweeper is needed to bring an
 * account back: it becomes eligible again when its time passes.
 */
import { isOpusModel } from '../usage/model-class.ts'
import type { Account, AccountState } from './model.ts'

/** Tunables of health marking. */
export interface HealthPolicy {
  /** Rate-limit length when upstream gives no reset time (ms). */
  defaultRateLimitMs: number
  /** How long a 529 keeps the account out (ms). */
  overloadMs: number
  /** Consecutive 5xx/network failures before cooling down. */
  errorThreshold: number
  /** Cool-down after the threshold (ms). */
  coolDownMs: number
}

/** Defaults matching the protocol reference. */
export const DEFAULT_HEALTH_POLICY: HealthPolicy = {
  defaultRateLimitMs: 5 * 60_000,
  overloadMs: 5 * 60_000,
  errorThreshold: 3,
  coolDownMs: 2 * 60_000,
}

/** What happened on one upstream attempt. */
export type AttemptResult =
  | { kind: 'ok' }
  | { kind: 'http'; status: number; headers: Headers; message: string; model: string }
  | { kind: 'network'; message: string }

const BLOCKED_RE =
  /organization has been disabled|oauth authentication is currently not allowed|account has been disabled/i
const RATE_LIMIT_RE = /exceed your account's rate limit/i

/** True when this failure should move the request to another account. */
export function isFailover(result: AttemptResult): boolean {
  if (result.kind === 'network') return true
  if (result.kind !== 'http') return false
  const s = result.status
  return (
    s === 401 ||
    s === 403 ||
    s === 408 ||
    s === 429 ||
    s === 529 ||
    s >= 500 ||
    (s === 400 && BLOCKED_RE.test(result.message))
  )
}

/** Reset time from `anthropic-ratelimit-unified-reset` (epoch s) or `retry-after` (s or date). */
export function rateLimitResetAt(headers: Headers, now: number): number | null {
  const unified = headers.get('anthropic-ratelimit-unified-reset')
  if (unified && /^\d+$/.test(unified.trim())) {
    const ms = Number(unified) * 1000
    if (ms > now) return ms
  }
  const retry = headers.get('retry-after')
  if (retry) {
    if (/^\d+(\.\d+)?$/.test(retry.trim())) return now + Math.ceil(Number(retry) * 1000)
    const d = Date.parse(retry)
    if (!Number.isNaN(d) && d > now) return d
  }
  return null
}

/** The state patch for an attempt's result, or null when nothing changes. */
export function healthPatch(
  state: AccountState,
  result: AttemptResult,
  now: number,
  policy: HealthPolicy = DEFAULT_HEALTH_POLICY,
): Partial<AccountState> | null {
  if (result.kind === 'ok') {
    const dirty =
      state.consecutiveErrors !== 0 ||
      state.coolingUntil > now ||
      state.rateLimitedUntil > now ||
      state.overloadedUntil > now
    return dirty
      ? { consecutiveErrors: 0, coolingUntil: 0, rateLimitedUntil: 0, overloadedUntil: 0 }
      : null
  }
  const error = (message: string) => ({ lastError: message.slice(0, 500), lastErrorAt: now })
  if (result.kind === 'network') return coolOrCount(state, now, policy, error(result.message))
  const { status, headers, message } = result
  if (status === 429 || RATE_LIMIT_RE.test(message)) {
    const until = rateLimitResetAt(headers, now) ?? now + policy.defaultRateLimitMs
    if (isOpusModel(result.model) && headers.has('anthropic-ratelimit-unified-reset'))
      return { opusRateLimitedUntil: until, ...error(message) }
    return { rateLimitedUntil: until, ...error(message) }
  }
  if (status === 529) return { overloadedUntil: now + policy.overloadMs, ...error(message) }
  if (status === 401) return { status: 'unauthorized', ...error(message) }
  if (status === 403 || (status === 400 && BLOCKED_RE.test(message)))
    return { status: 'blocked', ...error(message) }
  if (status >= 500 || status === 408) return coolOrCount(state, now, policy, error(message))
  return null
}

function coolOrCount(
  state: AccountState,
  now: number,
  policy: HealthPolicy,
  err: Partial<AccountState>,
): Partial<AccountState> {
  const n = state.consecutiveErrors + 1
  if (n >= policy.errorThreshold)
    return { consecutiveErrors: 0, coolingUntil: now + policy.coolDownMs, ...err }
  return { consecutiveErrors: n, ...err }
}

/** Why an account cannot take a request now, or null when it can. */
export function unavailableReason(
  account: Account,
  state: AccountState,
  now: number,
  opus: boolean,
): string | null {
  if (!account.isActive) return 'inactive'
  if (!account.schedulable) return 'not schedulable'
  if (state.status !== 'active') return state.status
  const ends = account.options.subscriptionExpiresAt
  if (typeof ends === 'string' && Date.parse(ends) <= now) return 'subscription expired'
  if (state.rateLimitedUntil > now)
    return `rate-limited until ${new Date(state.rateLimitedUntil).toISOString()}`
  if (opus && state.opusRateLimitedUntil > now)
    return `Opus rate-limited until ${new Date(state.opusRateLimitedUntil).toISOString()}`
  if (state.overloadedUntil > now)
    return `overloaded until ${new Date(state.overloadedUntil).toISOString()}`
  if (state.coolingUntil > now)
    return `cooling down until ${new Date(state.coolingUntil).toISOString()}`
  if (state.sessionStoppedUntil > now)
    return `5-hour window warned; stopped until ${new Date(state.sessionStoppedUntil).toISOString()}`
  if (state.quotaStoppedUntil > now)
    return `daily quota used up until ${new Date(state.quotaStoppedUntil).toISOString()}`
  return null
}

/**
 * Why an account cannot take a request, by how it ends: `off` until an admin acts (inactive, not
 * schedulable, unauthorized, blocked, error), `rate_limited` by the upstream until a time, `busy`
 * (overloaded or cooling down) until a time. `until` covers every mark the account has.
 */
export type Unavailability =
  | { kind: 'available' }
  | { kind: 'off' }
  | { kind: 'rate_limited' | 'busy'; until: number }

/** The {@link Unavailability} of an account for a request (Opus or not) at `now`. */
export function unavailabilityOf(
  account: Account,
  state: AccountState,
  now: number,
  opus: boolean,
): Unavailability {
  if (unavailableReason(account, state, now, opus) === null) return { kind: 'available' }
  if (!account.isActive || !account.schedulable || state.status !== 'active') return { kind: 'off' }
  const ends = account.options.subscriptionExpiresAt
  if (typeof ends === 'string' && Date.parse(ends) <= now) return { kind: 'off' }
  const rate = Math.max(
    state.rateLimitedUntil,
    opus ? state.opusRateLimitedUntil : 0,
    state.sessionStoppedUntil,
    state.quotaStoppedUntil,
  )
  const until = Math.max(rate, state.overloadedUntil, state.coolingUntil)
  return { kind: rate > now ? 'rate_limited' : 'busy', until }
}

/** Effective status words of the account list (`status`). */
export type EffectiveStatus =
  | 'active'
  | 'inactive'
  | 'paused'
  | Exclude<AccountState['status'], 'active'>
  | 'rate_limited'
  | 'overloaded'
  | 'cooling_down'

/**
 * Where an account stands now, every health mark applied: the list shows this as `status` (with
 * the sentence and the time it ends), not the stored `active` beside a rate limit an hour long.
 * An Opus-only limit leaves the account `active` for other models and is told in `detail`.
 */
export function effectiveStatus(
  account: Account,
  state: AccountState,
  now: number,
): { status: EffectiveStatus; detail: string | null; until: number | null } {
  const at = (t: number) => new Date(t).toISOString()
  if (!account.isActive) return { status: 'inactive', detail: 'inactive', until: null }
  if (state.status !== 'active') return { status: state.status, detail: state.status, until: null }
  const marks: [EffectiveStatus, number, string][] = [
    ['rate_limited', state.rateLimitedUntil, 'rate-limited'],
    ['overloaded', state.overloadedUntil, 'overloaded'],
    ['cooling_down', state.coolingUntil, 'cooling down'],
    ['rate_limited', state.sessionStoppedUntil, '5-hour window warned: stopped'],
    ['rate_limited', state.quotaStoppedUntil, 'daily quota used up'],
  ]
  for (const [status, t, words] of marks)
    if (t > now)
      return {
        status,
        detail: `${words} until ${at(recoversAt(state, now) ?? t)}`,
        until: recoversAt(state, now),
      }
  if (!account.schedulable) return { status: 'paused', detail: 'not schedulable', until: null }
  if (state.opusRateLimitedUntil > now)
    return {
      status: 'active',
      detail: `Opus rate-limited until ${at(state.opusRateLimitedUntil)}`,
      until: state.opusRateLimitedUntil,
    }
  return { status: 'active', detail: null, until: null }
}

/** One word for where an account stands right now (metrics labels, dashboard counts). */
export type HealthBucket =
  | 'available'
  | Exclude<AccountState['status'], 'active'>
  | 'rate_limited'
  | 'overloaded'
  | 'cooling_down'
  | 'paused'

/** The {@link HealthBucket} of an account at `now` (the scheduler's view, Opus limits aside). */
export function healthBucket(account: Account, state: AccountState, now: number): HealthBucket {
  if (unavailableReason(account, state, now, false) === null) return 'available'
  if (state.status !== 'active') return state.status
  if (state.rateLimitedUntil > now) return 'rate_limited'
  if (state.sessionStoppedUntil > now || state.quotaStoppedUntil > now) return 'rate_limited'
  if (state.overloadedUntil > now) return 'overloaded'
  if (state.coolingUntil > now) return 'cooling_down'
  return 'paused'
}

/** Earliest time an unavailable account comes back by itself, or null (needs an admin). */
export function recoversAt(state: AccountState, now: number): number | null {
  if (state.status !== 'active') return null
  const t = [
    state.rateLimitedUntil,
    state.overloadedUntil,
    state.coolingUntil,
    state.sessionStoppedUntil,
    state.quotaStoppedUntil,
  ].filter((x) => x > now)
  return t.length ? Math.max(...t) : now
}
