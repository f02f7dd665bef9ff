/**
 * @module
 * Failover as a sequence of candidate accounts. Each `next()` picks the best account not tried
 * yet (`scheduler.ts`) and gets it ready: a first miss reads the account list once (an account
 * created on another instance whose broadcast has not arrived), a new sticky session is claimed
 * atomically (instances that see a session's first requests at once all follow the winner), and
 * an account with its own concurrency limit is leased (a full one is skipped, not counted). At
 * most `maxTries` accounts are handed out; each is handed out once.
 */

import type { Account, AccountPlatform } from '../accounts/model.ts'
import type { AccountService, PoolEntry } from '../accounts/service.ts'
import type { Clock } from '../core/ports.ts'
import type { DialectName } from '../dialects/dialect.ts'
import type { ApiKey } from '../keys/model.ts'
import type { LimitsRepository } from '../limits/repository.ts'
import type { FamilyName, PlatformRegistry } from '../platforms/adapter.ts'
import { type NoPick, type Pick, pickAccount } from './scheduler.ts'

/** An account to try. */
export interface Candidate {
  entry: PoolEntry
  pick: Pick
  /** Gives the account's concurrency lease back (once; a no-op without one). */
  releaseAccount: () => void
}

/** What the sequence needs. */
export interface CandidateDeps {
  accounts: AccountService
  limits: LimitsRepository
  registry: PlatformRegistry
  clock: Clock
  maxTries: number
  stickyTtlMs: number
}

/** One request's sequence of candidates. */
export interface Candidates {
  /** The next account to try, or why there is none (`noPick` only before the first try). */
  next(): Promise<Candidate | { done: true; noPick: NoPick | null }>
  /** Accounts handed out so far. */
  readonly tries: number
}

/** Starts the sequence for one request. */
export function candidatesFor(
  deps: CandidateDeps,
  request: {
    key: ApiKey
    family: FamilyName
    model: string
    requestId: string
    /** The route's dialect (some accounts serve only some endpoints). */
    dialect?: DialectName
    /** The account the session is pinned to (from admission), or null. */
    sticky: string | null
    sessionHash: string | null
    /** Only these account kinds (the route's restriction), else every kind of the family. */
    platforms?: readonly AccountPlatform[]
    /** The resource the client's path named (`RelayRoute.target`). */
    target?: string
  },
): Candidates {
  const { accounts, limits, registry, clock } = deps
  const { key, model, requestId, sessionHash } = request
  const family = registry.family(request.family)
  const platforms = new Set(request.platforms ?? registry.platformsOf(request.family))
  const binding = family.bindingOf(key)
  const { target } = request
  const serves = (account: Account, m: string) => {
    if (!platforms.has(account.platform)) return false
    const adapter = registry.adapter(account.platform)
    if (target !== undefined && !adapter.targetOk?.(account, target, model)) return false
    return adapter.modelOk ? adapter.modelOk(account, m, request.dialect) : true
  }
  const tried = new Set<string>()
  let sticky = request.sticky
  let stickyFixed = false
  let caughtUp = false
  let tries = 0

  async function next(): Promise<Candidate | { done: true; noPick: NoPick | null }> {
    while (tries < deps.maxTries) {
      const pool = await accounts.snapshot()
      const now = clock.now()
      const picked = pickAccount(pool, {
        binding,
        serves,
        model,
        stickyAccountId: sticky,
        exclude: tried,
        now,
      })
      if (!('entry' in picked)) {
        // Nothing here serves the key: an account created or regrouped on another instance may not
        // have been broadcast to this one yet. Catch up with storage and pick once more (also when
        // this key's catch-up is paced: another request's may have landed since our snapshot).
        if (tries === 0 && !picked.anyServes && !caughtUp) {
          caughtUp = true
          await accounts.catchUp(key.id)
          continue
        }
        return { done: true, noPick: tries === 0 ? picked : null }
      }
      const { entry } = picked
      // Marked used before any await, so concurrent picks spread over the pool.
      accounts.touch(entry)
      if (sessionHash && !stickyFixed && picked.via !== 'sticky' && picked.via !== 'binding') {
        stickyFixed = true
        if (sticky === null) {
          // A new session: claim it atomically, so first requests of one session arriving at
          // several instances at once all follow the same account.
          const owner = await limits
            .claimSticky(key.id, sessionHash, entry.account.id, deps.stickyTtlMs)
            .catch(() => entry.account.id)
          if (owner !== entry.account.id && !tried.has(owner)) {
            sticky = owner
            continue
          }
        } else {
          // The pinned account cannot serve now: pin the session to this one.
          void limits
            .setSticky(key.id, sessionHash, entry.account.id, deps.stickyTtlMs)
            .catch(() => {})
        }
      }
      tried.add(entry.account.id)
      let accountLease = false
      if (entry.account.maxConcurrency > 0) {
        accountLease = await limits
          .acquireAccountLease(
            entry.account.id,
            requestId,
            entry.account.maxConcurrency,
            600_000,
            now,
          )
          .catch(() => false)
        // Full: skipped without counting as a try.
        if (!accountLease) continue
      }
      tries++
      return {
        entry,
        pick: picked,
        releaseAccount: () => {
          if (!accountLease) return
          accountLease = false
          void limits.releaseAccountLease(entry.account.id, requestId).catch(() => {})
        },
      }
    }
    return { done: true, noPick: null }
  }

  return {
    next,
    get tries() {
      return tries
    },
  }
}
