// Over 400 lines: one closure owns the pool snapshot, its broadcasts and the background health re-reads.
/**
 * @module
 * Upstream accounts: admin CRUD with secrets sealed at rest, and the in-process pool snapshot the
 * scheduler reads on the hot path. The snapshot holds config, decrypted secrets and health; config
 * changes and health marks are broadcast so every instance drops stale entries at once, and health
 * is re-read from storage at most once a second in the background (never on a request's path).
 */
import { Value } from '@sinclair/typebox/value'
import { type CoordRepository, RESYNC } from '../coord/repository.ts'
import type { SecretBox } from '../core/crypto.ts'
import { InvalidRequestError, NotFoundError } from '../core/errors.ts'
import { newId } from '../core/ids.ts'
import type { Clock, Logger } from '../core/ports.ts'
import {
  type AttemptResult,
  DEFAULT_HEALTH_POLICY,
  type HealthPolicy,
  healthPatch,
} from './health.ts'
import {
  Account,
  type AccountGroup,
  type AccountPlatform,
  type AccountSecrets,
  type AccountState,
  initialAccountState,
  type ProxyConfig,
} from './model.ts'
import type { AccountRepository } from './repository.ts'

/** Something that happened to an account (sent to webhooks). */
export interface AccountEvent {
  type:
    | 'rate_limited'
    | 'overloaded'
    | 'cooling_down'
    | 'recovered'
    | 'unauthorized'
    | 'blocked'
    | 'refresh_failed'
    | 'session_warning'
    | 'session_reset'
    | 'quota_exceeded'
    | 'subscription_expiring'
  accountId: string
  accountName: string
  platform: AccountPlatform
  message: string
  /** When the state ends by itself (epoch ms), or null. */
  until: number | null
  at: number
}

/** Broadcast channel: `config:<id>` or `state:<id>` when an account changes. */
export const ACCOUNT_CHANNEL = 'accounts'

/** One account as the scheduler sees it. */
export interface PoolEntry {
  account: Account
  secrets: AccountSecrets
  state: AccountState
}

/** Admin input for creating or editing an account (secrets in plaintext, sealed on save). */
export interface AccountInput {
  name?: string
  description?: string
  accessToken?: string
  refreshToken?: string
  tokenExpiresAt?: number
  scopes?: string[]
  apiKey?: string
  apiUrl?: string
  userAgent?: string
  priority?: number
  schedulable?: boolean
  isActive?: boolean
  accountType?: 'shared' | 'dedicated' | 'group'
  groupIds?: string[]
  proxy?: (ProxyConfig & { password?: string }) | null
  supportedModels?: string[] | Record<string, string>
  maxConcurrency?: number
  subscriptionInfo?: Record<string, unknown> | null
  extInfo?: Record<string, unknown> | null
  /** The kind's own settings; an edit replaces the fields it names and keeps the others. */
  options?: Record<string, unknown>
  /** The kind's own secrets (sealed; an edit replaces the ones it names). */
  secrets?: AccountSecrets
}

/** Options of {@link createAccountService}. */
export interface AccountServiceOptions {
  repo: AccountRepository
  coord: CoordRepository
  box: SecretBox
  clock: Clock
  logger: Logger
  policy?: HealthPolicy
  /** How old the health snapshot may get before a background refresh (ms). */
  stateRefreshMs?: number
}

/**
 * Whether an account's `supportedModels` takes `model`, and the model name to send upstream: a
 * list allows its entries, a mapping `{requested: upstream}` renames (exact name first, then
 * case-insensitive), an empty list or mapping takes every model. Plan limits of an account kind
 * are its adapter's `modelOk`.
 */
export function modelMapping(
  account: Account,
  model: string,
): { ok: boolean; upstreamModel: string } {
  const sm = account.supportedModels
  if (Array.isArray(sm)) {
    if (sm.length === 0 || sm.includes(model)) return { ok: true, upstreamModel: model }
    return { ok: false, upstreamModel: model }
  }
  const entries = Object.entries(sm)
  if (entries.length === 0) return { ok: true, upstreamModel: model }
  const exact = sm[model]
  if (exact) return { ok: true, upstreamModel: exact }
  const lower = model.toLowerCase()
  const hit = entries.find(([k]) => k.toLowerCase() === lower)
  return hit ? { ok: true, upstreamModel: hit[1] } : { ok: false, upstreamModel: model }
}

/**
 * The shortest time between two {@link AccountService.catchUp} reads asked for by one requester
 * (ms). Broadcasts normally arrive within milliseconds; this only bounds a key that keeps missing.
 */
const CATCH_UP_MIN_MS = 1000

/** Creates the account service. */
export function createAccountService(options: AccountServiceOptions) {
  const { repo, coord, box, clock, logger } = options
  const policy = options.policy ?? DEFAULT_HEALTH_POLICY
  const refreshMs = options.stateRefreshMs ?? 1000
  const pool = new Map<string, PoolEntry>()
  let loaded: Promise<void> | null = null
  /** A full reload after a RESYNC, while it runs. */
  let resyncing: Promise<void> | null = null
  let statesAt = 0
  let refreshing = false
  /** Accounts changed (config broadcast) while a full load was reading; reloaded after it. */
  let changedDuringLoad: Set<string> | null = null
  /** The latest reload of each account: an older one finishing later must not overwrite it. */
  const reloads = new Map<string, Promise<void>>()

  async function loadEntry(account: Account, state?: AccountState): Promise<PoolEntry> {
    let secrets: AccountSecrets = {}
    try {
      secrets = JSON.parse(await box.decrypt(account.secret)) as AccountSecrets
    } catch (err) {
      logger.error('cannot decrypt account secrets (was ENCRYPTION_KEY changed?)', {
        accountId: account.id,
        error: err,
      })
    }
    return { account, secrets, state: state ?? (await repo.getState(account.id)) }
  }

  async function loadAll(): Promise<void> {
    const changed = new Set<string>()
    changedDuringLoad = changed
    try {
      const accounts = await repo.list()
      const states = await repo.getStates(accounts.map((a) => a.id))
      const entries = await Promise.all(accounts.map((a) => loadEntry(a, states.get(a.id))))
      pool.clear()
      for (const e of entries) pool.set(e.account.id, e)
      statesAt = clock.now()
    } finally {
      changedDuringLoad = null
    }
    // What was read above may predate these changes (their own reloads were overwritten).
    await Promise.all([...changed].map((id) => reloadOne(id)))
  }

  function reloadOne(id: string): Promise<void> {
    const run: Promise<void> = readOne(id, () => reloads.get(id) === run).finally(() => {
      if (reloads.get(id) === run) reloads.delete(id)
    })
    reloads.set(id, run)
    return run
  }

  /** Reads one account into the pool unless a newer reload started meanwhile (then waits for it). */
  async function readOne(id: string, latest: () => boolean): Promise<void> {
    const account = await repo.get(id)
    if (!latest()) return reloads.get(id)
    if (!account) {
      pool.delete(id)
      return
    }
    const fresh = await loadEntry(account)
    if (!latest()) return reloads.get(id)
    const existing = pool.get(id)
    // Update in place: requests in flight hold the entry object and must see new tokens.
    if (existing) Object.assign(existing, fresh)
    else pool.set(id, fresh)
  }

  async function refreshStates(): Promise<void> {
    if (refreshing) return
    refreshing = true
    try {
      const ids = [...pool.keys()]
      const states = await repo.getStates(ids)
      for (const [id, st] of states) {
        const e = pool.get(id)
        // Keep the newer local lastUsedAt: it is written to storage lazily.
        if (e) e.state = { ...st, lastUsedAt: Math.max(st.lastUsedAt, e.state.lastUsedAt) }
      }
      statesAt = clock.now()
    } catch (err) {
      logger.warn('cannot refresh account health; using the last snapshot', { error: err })
    } finally {
      refreshing = false
    }
  }

  void coord
    .subscribe(ACCOUNT_CHANNEL, (msg) => {
      if (msg === RESYNC) {
        // Changes may have been missed while the broadcast connection was down: read all again.
        if (loaded && !resyncing)
          resyncing = loaded
            .then(() => loadAll())
            .catch((err) => logger.warn('cannot reload accounts after a resync', { error: err }))
            .finally(() => {
              resyncing = null
            })
        return
      }
      const [kind, id] = msg.split(':', 2) as [string, string]
      if (!loaded || !id) return
      if (kind === 'config') {
        changedDuringLoad?.add(id)
        void reloadOne(id).catch(() => {})
      } else if (kind === 'state')
        void repo
          .getState(id)
          .then((st) => {
            const e = pool.get(id)
            if (e) e.state = { ...st, lastUsedAt: Math.max(st.lastUsedAt, e.state.lastUsedAt) }
          })
          .catch(() => {})
    })
    .catch((err) =>
      logger.warn('cannot subscribe to account changes; relying on periodic refresh', {
        error: err,
      }),
    )

  /** The catch-up read in flight, and when each requester last asked for one. */
  let catchingUp: Promise<void> | null = null
  const caughtUpFor = new Map<string, number>()

  /**
   * Reads the account list and loads what this instance has not heard of yet: accounts created or
   * changed on another instance whose broadcast has not arrived (or was lost). Entries already
   * loaded are updated in place. Concurrent callers share one read, so at most one runs at a
   * time, and each `requester` (an API key) starts at most one every
   * {@link CATCH_UP_MIN_MS}: a key that keeps missing does not turn each of its requests into a
   * storage read. Never rejects.
   */
  function catchUp(requester: string): Promise<void> {
    if (catchingUp) return catchingUp
    const now = clock.now()
    const last = caughtUpFor.get(requester) ?? Number.NEGATIVE_INFINITY
    if (!loaded || now - last < CATCH_UP_MIN_MS) return Promise.resolve()
    if (caughtUpFor.size >= 10_000) {
      for (const [k, at] of caughtUpFor) if (now - at >= CATCH_UP_MIN_MS) caughtUpFor.delete(k)
      if (caughtUpFor.size >= 10_000) caughtUpFor.clear()
    }
    caughtUpFor.set(requester, now)
    const read = async () => {
      await loaded
      const stored = await repo.list()
      // Reloaded from storage, so an account changed again since the list was read is still read
      // as it is now. Removals are left to their broadcasts: an account created here after the
      // list was read would look removed.
      const stale = stored.filter((a) => {
        const e = pool.get(a.id)
        return !e || JSON.stringify(e.account) !== JSON.stringify(a)
      })
      await Promise.all(stale.map((a) => reloadOne(a.id)))
    }
    const run = read()
      .catch((err: unknown) => {
        logger.warn('cannot read the account list to catch up', { error: err })
      })
      .finally(() => {
        catchingUp = null
      })
    catchingUp = run
    return run
  }

  /** Every account with secrets and health; loads on first use, refreshes health in the background. */
  async function snapshot(): Promise<PoolEntry[]> {
    loaded ??= loadAll().catch((err) => {
      loaded = null
      throw err
    })
    await loaded
    if (clock.now() - statesAt > refreshMs) void refreshStates()
    return [...pool.values()]
  }

  async function seal(secrets: AccountSecrets): Promise<string> {
    return box.encrypt(JSON.stringify(secrets))
  }

  function validate(account: Account): Account {
    const errors = [...Value.Errors(Account, account)]
    if (errors.length > 0) {
      const e = errors[0]!
      throw new InvalidRequestError(
        `Invalid account field ${e.path.replace(/^\//, '') || '(body)'}: ${e.message}`,
      )
    }
    return account
  }

  async function publishConfig(id: string) {
    await coord.publish(ACCOUNT_CHANNEL, `config:${id}`).catch(() => {})
  }

  /** Creates an account of `platform` from admin input. */
  async function create(platform: AccountPlatform, input: AccountInput): Promise<Account> {
    if (!input.name) throw new InvalidRequestError('Invalid account: name is required')
    if (platform === 'claude-console' || platform === 'ccr') {
      if (!input.apiUrl || !/^https?:\/\//.test(input.apiUrl))
        throw new InvalidRequestError('Invalid account: apiUrl must be an http(s) URL')
      if (!input.apiKey) throw new InvalidRequestError('Invalid account: apiKey is required')
    } else if (platform === 'gemini-api' && !input.apiKey) {
      throw new InvalidRequestError('Invalid account: apiKey is required')
    } else if (
      (platform === 'claude-oauth' || platform === 'gemini-oauth') &&
      !input.accessToken &&
      !input.refreshToken
    ) {
      throw new InvalidRequestError('Invalid account: accessToken or refreshToken is required')
    }
    if (platform === 'bedrock' && !input.apiKey && !input.secrets?.awsSecretAccessKey)
      throw new InvalidRequestError('Invalid account: awsCredentials or apiKey is required')
    if (platform === 'droid' && !input.apiKey && !input.accessToken && !input.refreshToken)
      throw new InvalidRequestError(
        'Invalid account: apiKeys or an access/refresh token is required',
      )
    const now = new Date(clock.now()).toISOString()
    const secrets: AccountSecrets = {
      ...input.secrets,
      accessToken: input.accessToken,
      refreshToken: input.refreshToken,
      apiKey: input.apiKey,
      proxyPassword: input.proxy?.password,
    }
    const { password: _pw, ...proxy } = input.proxy ?? ({} as ProxyConfig & { password?: string })
    const defaults = Value.Default(Account, {
      id: newId(),
      platform,
      name: input.name,
      description: input.description ?? '',
      secret: await seal(secrets),
      tokenExpiresAt: input.tokenExpiresAt ?? 0,
      scopes: input.scopes ?? [],
      apiUrl: input.apiUrl ?? '',
      userAgent: input.userAgent ?? '',
      priority: input.priority ?? 50,
      schedulable: input.schedulable ?? true,
      isActive: input.isActive ?? true,
      accountType: input.accountType ?? 'shared',
      groupIds: input.groupIds ?? [],
      proxy: input.proxy ? proxy : null,
      supportedModels: input.supportedModels ?? [],
      maxConcurrency: input.maxConcurrency ?? 0,
      subscriptionInfo: input.subscriptionInfo ?? null,
      extInfo: input.extInfo ?? null,
      options: input.options ?? {},
      createdAt: now,
      updatedAt: now,
    }) as Account
    // Value.Default swaps a mapping object for the union's default ([]): set the given value again.
    const account = validate({ ...defaults, supportedModels: input.supportedModels ?? [] })
    await repo.put(account)
    await publishConfig(account.id)
    return account
  }

  /** Applies an admin edit; secrets given in plaintext replace the stored ones. */
  async function update(id: string, input: AccountInput): Promise<Account> {
    const current = await repo.get(id)
    if (!current) throw new NotFoundError(`Cannot find account "${id}"`)
    let secrets: AccountSecrets = {}
    try {
      secrets = JSON.parse(await box.decrypt(current.secret)) as AccountSecrets
    } catch {
      // unreadable secrets are replaced by whatever the admin sends
    }
    for (const k of ['accessToken', 'refreshToken', 'apiKey'] as const)
      if (input[k] !== undefined) secrets[k] = input[k]
    for (const [k, v] of Object.entries(input.secrets ?? {})) if (v !== undefined) secrets[k] = v
    let proxy = current.proxy
    if (input.proxy !== undefined) {
      if (input.proxy === null) {
        proxy = null
        secrets.proxyPassword = undefined
      } else {
        const { password, ...p } = input.proxy
        proxy = p
        if (password !== undefined) secrets.proxyPassword = password
      }
    }
    const {
      accessToken: _a,
      refreshToken: _r,
      apiKey: _k,
      secrets: _s,
      proxy: _p,
      options,
      ...plain
    } = input
    const next = validate({
      ...current,
      ...plain,
      options: options ? { ...current.options, ...options } : current.options,
      proxy,
      secret: await seal(secrets),
      updatedAt: new Date(clock.now()).toISOString(),
    })
    await repo.put(next)
    await publishConfig(id)
    return next
  }

  /** Deletes an account and its health state. */
  async function remove(id: string): Promise<void> {
    if (!(await repo.delete(id))) throw new NotFoundError(`Cannot find account "${id}"`)
    pool.delete(id)
    await publishConfig(id)
  }

  const listeners = new Set<(e: AccountEvent) => void>()
  /** Sends an account event to every listener (webhooks). */
  function emit(
    type: AccountEvent['type'],
    entry: PoolEntry,
    message: string,
    until?: number,
  ): void {
    const event: AccountEvent = {
      type,
      accountId: entry.account.id,
      accountName: entry.account.name,
      platform: entry.account.platform,
      message,
      until: until ?? null,
      at: clock.now(),
    }
    for (const l of listeners) {
      try {
        l(event)
      } catch (err) {
        logger.warn('account event listener failed', { error: err })
      }
    }
  }

  function eventsOf(
    before: AccountState,
    after: AccountState,
    entry: PoolEntry,
    now: number,
    message: string,
  ): void {
    if (after.status !== before.status && after.status === 'unauthorized')
      emit('unauthorized', entry, message)
    else if (after.status !== before.status && after.status === 'blocked')
      emit('blocked', entry, message)
    if (after.rateLimitedUntil > now && before.rateLimitedUntil <= now)
      emit('rate_limited', entry, message, after.rateLimitedUntil)
    if (after.opusRateLimitedUntil > now && before.opusRateLimitedUntil <= now)
      emit('rate_limited', entry, `Opus: ${message}`, after.opusRateLimitedUntil)
    if (after.overloadedUntil > now && before.overloadedUntil <= now)
      emit('overloaded', entry, message, after.overloadedUntil)
    if (after.coolingUntil > now && before.coolingUntil <= now)
      emit('cooling_down', entry, message, after.coolingUntil)
    const wasDown =
      before.rateLimitedUntil > now || before.overloadedUntil > now || before.coolingUntil > now
    const isDown =
      after.rateLimitedUntil > now || after.overloadedUntil > now || after.coolingUntil > now
    if (wasDown && !isDown && after.status === 'active')
      emit('recovered', entry, 'The account answered successfully again')
  }

  /** Applies the health effect of an attempt; writes and broadcasts only when something changed. */
  async function report(entry: PoolEntry, result: AttemptResult): Promise<void> {
    const now = clock.now()
    const patch = healthPatch(entry.state, result, now, policy)
    if (!patch) return
    const before = entry.state
    entry.state = { ...entry.state, ...patch }
    eventsOf(before, entry.state, entry, now, result.kind === 'ok' ? '' : result.message)
    if (patch.status && patch.status !== 'active')
      logger.warn('account marked', { accountId: entry.account.id, status: patch.status })
    await storeState(entry, patch, 'health')
  }

  /** Stores a patch already applied to the pool entry, then broadcasts it (failures are logged). */
  async function storeState(entry: PoolEntry, patch: Partial<AccountState>, what: string) {
    try {
      entry.state = {
        ...(await repo.patchState(entry.account.id, patch)),
        lastUsedAt: entry.state.lastUsedAt,
      }
      await coord.publish(ACCOUNT_CHANNEL, `state:${entry.account.id}`)
    } catch (err) {
      logger.warn(`cannot store account ${what}`, { accountId: entry.account.id, error: err })
    }
  }

  /**
   * Stores state an adapter or watcher observed (session window, quota), beside the health marks:
   * the pool entry at once, then storage and a broadcast (failures are logged, not thrown).
   */
  async function patchState(entry: PoolEntry, patch: Partial<AccountState>): Promise<void> {
    entry.state = { ...entry.state, ...patch }
    await storeState(entry, patch, 'state')
  }

  /** Marks an account as just used (local at once; stored lazily by {@link flushLastUsed}). */
  const dirtyLastUsed = new Set<string>()
  function touch(entry: PoolEntry): void {
    entry.state.lastUsedAt = clock.now()
    dirtyLastUsed.add(entry.account.id)
  }

  /** Stores pending lastUsedAt values (called periodically and on shutdown). */
  async function flushLastUsed(): Promise<void> {
    const ids = [...dirtyLastUsed]
    dirtyLastUsed.clear()
    await Promise.all(
      ids.map((id) => {
        const e = pool.get(id)
        return e
          ? repo.patchState(id, { lastUsedAt: e.state.lastUsedAt }).catch(() => {})
          : undefined
      }),
    )
  }

  /** Persists refreshed OAuth tokens (both tokens in one write) and broadcasts the change. */
  async function storeTokens(
    id: string,
    tokens: { accessToken: string; refreshToken?: string; expiresAt: number; scopes?: string[] },
  ) {
    const current = await repo.get(id)
    if (!current) throw new NotFoundError(`Cannot find account "${id}"`)
    const secrets = JSON.parse(await box.decrypt(current.secret)) as AccountSecrets
    secrets.accessToken = tokens.accessToken
    if (tokens.refreshToken) secrets.refreshToken = tokens.refreshToken
    const next: Account = {
      ...current,
      secret: await seal(secrets),
      tokenExpiresAt: tokens.expiresAt,
      scopes: tokens.scopes ?? current.scopes,
      updatedAt: new Date(clock.now()).toISOString(),
    }
    await repo.put(next)
    const entry = pool.get(id)
    if (entry) {
      entry.account = next
      entry.secrets = secrets
    }
    await publishConfig(id)
    return { account: next, secrets }
  }

  /** Clears every health mark of an account (admin reset). */
  async function resetState(id: string): Promise<AccountState> {
    const st = await repo.patchState(id, {
      ...initialAccountState(),
      lastUsedAt: pool.get(id)?.state.lastUsedAt ?? 0,
    })
    const e = pool.get(id)
    if (e) e.state = st
    await coord.publish(ACCOUNT_CHANNEL, `state:${id}`).catch(() => {})
    return st
  }

  /**
   * Every decrypted account key and token currently loaded (for redaction). Not proxy passwords:
   * they are chosen by people, and redacting them would confirm a key holder's guesses.
   */
  function knownSecrets(): string[] {
    const out: string[] = []
    for (const e of pool.values())
      for (const [name, v] of Object.entries(e.secrets))
        if (v && name !== 'proxyPassword') out.push(v)
    return out
  }

  return {
    snapshot,
    catchUp,
    knownSecrets,
    /** Subscribes to account events; returns an unsubscribe function. */
    onEvent(listener: (e: AccountEvent) => void): () => void {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    /** Emits an event observed elsewhere (token refresh failures). */
    emit,
    create,
    update,
    remove,
    report,
    patchState,
    touch,
    flushLastUsed,
    storeTokens,
    resetState,
    get: (id: string) => repo.get(id),
    getState: (id: string) => repo.getState(id),
    list: () => repo.list(),
    listGroups: (): Promise<AccountGroup[]> => repo.listGroups(),
    /** Fresh entries (config, decrypted secrets, health) read from storage, bypassing the pool. */
    readEntries: async (): Promise<PoolEntry[]> => {
      const list = await repo.list()
      const states = await repo.getStates(list.map((a) => a.id))
      return Promise.all(list.map((a) => loadEntry(a, states.get(a.id))))
    },
    /** One fresh entry read from storage (not cached), or null. */
    readEntry: async (id: string): Promise<PoolEntry | null> => {
      const a = await repo.get(id)
      return a ? loadEntry(a) : null
    },
    /** Re-reads one account now (used by token refresh waiters). */
    reload: async (id: string) => {
      await reloadOne(id)
      return pool.get(id) ?? null
    },
  }
}

/** The account service's interface. */
export type AccountService = ReturnType<typeof createAccountService>
