/**
 * @module
 * Account selection within one family of accounts: the key's binding (an account or a group)
 * first, else the sticky session's account, else the shared pool by priority (lower first) then
 * least recently used. Only healthy, schedulable accounts that serve the model and were not
 * already tried for this request qualify.
 */
import { unavailabilityOf, unavailableReason } from '../accounts/health.ts'
import type { Account } from '../accounts/model.ts'
import { modelMapping, type PoolEntry } from '../accounts/service.ts'
import {
  RateLimitError,
  type RelayError,
  ServiceUnavailableError,
  UpstreamUnavailableError,
} from '../core/errors.ts'
import { isOpusModel } from '../usage/model-class.ts'

/** Input of {@link pickAccount}. */
export interface PickInput {
  /** The key's binding for this family: an account id, `group:<id>`, or '' (shared pool). */
  binding: string
  /**
   * Whether an account belongs to the family and its kind takes the (mapped) model: the adapter's
   * plan rules, applied to what would be sent upstream.
   */
  serves: (account: Account, model: string) => boolean
  model: string
  stickyAccountId: string | null
  /** Accounts already tried for this request. */
  exclude: ReadonlySet<string>
  now: number
}

/** A chosen account. */
export interface Pick {
  entry: PoolEntry
  upstreamModel: string
  via: 'binding' | 'group' | 'sticky' | 'pool'
}

/** Why nothing could be chosen. */
export interface NoPick {
  reason: string
  /** Whether any account would serve the model at all (false → configuration problem). */
  anyServes: boolean
  /**
   * When every account that would take the request is rate-limited by the upstream (accounts an
   * admin turned off aside): when the first of them is free again (epoch ms). Otherwise null.
   */
  rateLimitedUntil: number | null
}

/**
 * The error a request gets when no account can take it: 429 `rate_limit_error` with
 * `retry-after` until the first account is free again when every one is rate-limited (so clients
 * wait as long as needed instead of retrying a 529 every 30 s), 529 `overloaded_error` when
 * accounts are out for other reasons, 503 when none serves the model.
 */
export function noPickError(noPick: NoPick, model: string, now: number): RelayError {
  if (noPick.rateLimitedUntil !== null) {
    const retryAfter = Math.max(1, Math.ceil((noPick.rateLimitedUntil - now) / 1000))
    const at = new Date(noPick.rateLimitedUntil).toISOString()
    return new RateLimitError(
      `Every account for model "${model}" is rate-limited by the upstream; the first is available again at ${at}`,
      { retryAfter, details: { reset_at: at } },
    )
  }
  return noPick.anyServes
    ? new UpstreamUnavailableError(
        `No account is available for model "${model}": ${noPick.reason}`,
        { retryAfter: 30 },
      )
    : new ServiceUnavailableError(`No account can serve model "${model}": ${noPick.reason}`)
}

/** The earliest time one of `entries` is free again, when every one is out for a rate limit. */
function allRateLimitedUntil(entries: PoolEntry[], now: number, opus: boolean): number | null {
  let until: number | null = null
  for (const e of entries) {
    const u = unavailabilityOf(e.account, e.state, now, opus)
    if (u.kind === 'off') continue
    if (u.kind !== 'rate_limited') return null
    until = until === null ? u.until : Math.min(until, u.until)
  }
  return until
}

/** Chooses an account for a request, or explains why none qualifies. */
export function pickAccount(entries: PoolEntry[], input: PickInput): Pick | NoPick {
  const { binding, model, now, exclude } = input
  const opus = isOpusModel(model)
  let candidates: PoolEntry[]
  let via: Pick['via'] = 'pool'
  if (binding.startsWith('group:')) {
    const gid = binding.slice(6)
    candidates = entries.filter((e) => e.account.groupIds.includes(gid))
    via = 'group'
  } else if (binding) {
    candidates = entries.filter((e) => e.account.id === binding)
    via = 'binding'
    if (candidates.length === 0)
      return {
        reason: `the bound account ${binding} no longer exists`,
        anyServes: false,
        rateLimitedUntil: null,
      }
  } else {
    candidates = entries.filter((e) => e.account.accountType === 'shared')
  }

  const serving = candidates.filter((e) => {
    const m = modelMapping(e.account, model)
    return m.ok && input.serves(e.account, m.upstreamModel)
  })
  const eligible = serving.filter(
    (e) => !exclude.has(e.account.id) && unavailableReason(e.account, e.state, now, opus) === null,
  )
  if (eligible.length === 0) {
    if (serving.length === 0)
      return {
        reason: `no account serves model "${model}"`,
        anyServes: false,
        rateLimitedUntil: null,
      }
    const waiting = serving.filter((e) => !exclude.has(e.account.id))
    const reasons = waiting
      .map((e) => unavailableReason(e.account, e.state, now, opus))
      .filter(Boolean)
    return {
      reason: reasons.length
        ? `every account is unavailable (${reasons[0]})`
        : 'every account failed',
      anyServes: true,
      rateLimitedUntil: allRateLimitedUntil(waiting, now, opus),
    }
  }
  const pick = (entry: PoolEntry, how: Pick['via']): Pick => ({
    entry,
    upstreamModel: modelMapping(entry.account, model).upstreamModel,
    via: how,
  })
  if (input.stickyAccountId && via !== 'binding') {
    const sticky = eligible.find((e) => e.account.id === input.stickyAccountId)
    if (sticky) return pick(sticky, 'sticky')
  }
  let best = eligible[0]!
  for (const e of eligible) {
    if (
      e.account.priority < best.account.priority ||
      (e.account.priority === best.account.priority &&
        (e.state.lastUsedAt < best.state.lastUsedAt ||
          (e.state.lastUsedAt === best.state.lastUsedAt &&
            e.account.createdAt < best.account.createdAt)))
    ) {
      best = e
    }
  }
  return pick(best, via)
}
