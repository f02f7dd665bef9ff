/**
 * @module
 * Admin API for upstream accounts (seed-compatible paths and `{ success, data }` envelopes):
 * CRUD of Claude OAuth accounts (`/admin/claude-accounts`) and Claude Console accounts
 * (`/admin/claude-console-accounts`), OAuth onboarding (PKCE and setup token), token refresh,
 * schedulable toggle, status reset, a live streamed test request, profile and usage snapshots,
 * account groups (`/admin/account-groups`) and key binding counts. Deleting an account unbinds
 * its keys. Every write is audited with secret-free before/after views.
 */
import { Elysia } from 'elysia'
import { createGroupService } from '../accounts/groups.ts'
import { recoversAt, unavailableReason } from '../accounts/health.ts'
import type { AccountGroup } from '../accounts/model.ts'
import { type TokenProvider, TokenRefreshError } from '../accounts/oauth.ts'
import {
  apiBaseOf,
  createOnboarding,
  fetchProfile,
  fetchUsage,
  type OnboardingKind,
  type OnboardingProxy,
} from '../accounts/onboarding.ts'
import type { AccountRepository } from '../accounts/repository.ts'
import type { AccountInput, AccountService, PoolEntry } from '../accounts/service.ts'
import type { AdminAuthService } from '../admin/auth-service.ts'
import type { Config } from '../config/schema.ts'
import type { CoordRepository } from '../coord/repository.ts'
import { InvalidRequestError, NotFoundError, RelayError } from '../core/errors.ts'
import type { Clock, FetchFn } from '../core/ports.ts'
import { dialectOf } from '../dialects/registry.ts'
import type { ApiKey } from '../keys/model.ts'
import type { KeyService } from '../keys/service.ts'
import type { PlatformRegistry } from '../platforms/adapter.ts'
import { probeAccount } from '../platforms/probe.ts'
import { createProxyFetch } from '../relay/proxy-fetch.ts'
import type { UrlPolicy } from '../security/url-policy.ts'
import { type AdminGuardDeps, adminGuard } from './admin-guard.ts'

/** Upstream access the account operations need (wired in bootstrap). */
export interface AccountOps {
  tokens: TokenProvider
  /** The proxy-aware fetch of an account. */
  fetchFor: (entry: PoolEntry) => FetchFn
  /** The plain upstream fetch (wrapped by a proxy for onboarding sessions). */
  fetch: FetchFn
  /** Outbound URL policy: checks admin-entered URLs and proxies (absent = no checks). */
  urlPolicy?: UrlPolicy
  /** The platform adapters (the account test builds its request through them). */
  registry: PlatformRegistry
}

/** What the account admin routes need. */
export interface AdminAccountRouteDeps {
  jwtSecret: string
  auth: AdminAuthService
  guard: AdminGuardDeps
  keys: KeyService
  accounts: AccountService
  config: Config
  coord: CoordRepository
  groupRepo: Pick<AccountRepository, 'putGroup' | 'getGroup' | 'listGroups' | 'deleteGroup'>
  clock: Clock
  ops: AccountOps
}

type Body = Record<string, unknown>
type Platform = 'claude-oauth' | 'claude-console'

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

function obj(v: unknown): Body | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Body) : undefined
}

/** Maps the old system's account payload to {@link AccountInput}. */
export function accountInput(body: Body, platform: Platform): AccountInput {
  const oauth = (body.claudeAiOauth ?? {}) as Body
  const proxyRaw = typeof body.proxy === 'string' ? safeJson(body.proxy) : body.proxy
  const input: AccountInput = {
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
  if (platform === 'claude-oauth') {
    input.accessToken = str(oauth.accessToken) ?? str(body.accessToken)
    input.refreshToken = str(oauth.refreshToken) ?? str(body.refreshToken)
    const exp = oauth.expiresAt ?? body.expiresAt
    if (exp !== undefined) input.tokenExpiresAt = Number(exp) || 0
    const scopes = oauth.scopes ?? body.scopes
    if (Array.isArray(scopes)) input.scopes = scopes as string[]
    if (body.subscriptionInfo && typeof body.subscriptionInfo === 'object')
      input.subscriptionInfo = body.subscriptionInfo as Body
  } else {
    input.apiUrl = str(body.apiUrl)
    input.apiKey = str(body.apiKey)
  }
  for (const k of Object.keys(input) as (keyof AccountInput)[])
    if (input[k] === undefined) delete input[k]
  return input
}

function safeJson(text: string): unknown {
  if (!text.trim()) return null
  try {
    return JSON.parse(text)
  } catch {
    throw new InvalidRequestError('proxy: expected a JSON object')
  }
}

/** Keys bound per account or group id (`group:<id>` counted under `<id>`); deleted keys excluded. */
export function bindingCounts(keys: ApiKey[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const k of keys) {
    if (k.isDeleted) continue
    for (const b of new Set([k.claudeAccountId, k.claudeConsoleAccountId])) {
      if (!b) continue
      const id = b.startsWith('group:') ? b.slice(6) : b
      out[id] = (out[id] ?? 0) + 1
    }
  }
  return out
}

interface ViewContext {
  counts: Record<string, number>
  groups: Map<string, AccountGroup>
  now: number
}

/** An account as the admin API shows it: health, bindings, groups; never a secret. */
export function accountView(entry: PoolEntry, ctx: ViewContext) {
  const { account, secrets, state } = entry
  const { secret: _secret, proxy, ...rest } = account
  const now = ctx.now
  const down =
    state.status === 'active' &&
    (state.rateLimitedUntil > now || state.overloadedUntil > now || state.coolingUntil > now)
  const back = down ? recoversAt(state, now) : null
  const usageWindows = obj(account.extInfo?.usageWindows) ?? null
  return {
    ...rest,
    proxy: proxy ? { ...proxy, hasPassword: !!secrets.proxyPassword } : null,
    state,
    status: state.status,
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

function proxyOf(v: unknown): OnboardingProxy | null {
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

/** Account admin controller. */
export function adminAccountRoutes(deps: AdminAccountRouteDeps) {
  const { keys, accounts, config, clock, ops } = deps
  const apiBase = apiBaseOf(config.CLAUDE_API_URL)
  const onboarding = createOnboarding({
    coord: deps.coord,
    clock,
    fetchVia: (proxy) => {
      if (!proxy) return ops.fetch
      const f = createProxyFetch(proxy, { baseFetch: ops.fetch as typeof fetch }) as FetchFn
      return ops.urlPolicy ? ops.urlPolicy.guard(f, proxy.host) : f
    },
    authorizeUrl: config.CLAUDE_OAUTH_AUTHORIZE_URL,
    redirectUri: config.CLAUDE_OAUTH_REDIRECT_URI,
    tokenUrl: config.CLAUDE_OAUTH_TOKEN_URL,
    scopes: config.CLAUDE_OAUTH_SCOPES,
  })
  const groups = createGroupService({
    repo: deps.groupRepo,
    accounts,
    clock,
    keyBindings: () => keys.list(),
    unbindKey: async (id, field) => {
      await keys.update(id, { [field]: '' })
    },
  })

  async function context(): Promise<ViewContext> {
    const [keyList, groupList] = await Promise.all([keys.list(), deps.groupRepo.listGroups()])
    return {
      counts: bindingCounts(keyList),
      groups: new Map(groupList.map((g) => [g.id, g])),
      now: clock.now(),
    }
  }

  async function entryOf(id: string, platform?: Platform): Promise<PoolEntry> {
    const e = await accounts.readEntry(id)
    if (!e || (platform && e.account.platform !== platform))
      throw new NotFoundError(`Cannot find account "${id}"`)
    return e
  }

  async function viewOf(id: string) {
    return accountView(await entryOf(id), await context())
  }

  async function checkGroups(input: AccountInput): Promise<void> {
    if (input.groupIds) await groups.assertExist(input.groupIds)
    await checkUrls(input)
  }

  /** The outbound URL policy for what the admin entered (apiUrl, proxy host): a 400 if refused. */
  async function checkUrls(input: { apiUrl?: string; proxy?: { host?: unknown } | null }) {
    const policy = ops.urlPolicy
    if (!policy) return
    if (typeof input.apiUrl === 'string' && /^https?:\/\//i.test(input.apiUrl))
      await policy.assertUrl('apiUrl', input.apiUrl)
    if (input.proxy && typeof input.proxy.host === 'string' && input.proxy.host.trim())
      await policy.assertProxyHost('proxy.host', input.proxy.host)
  }

  async function oauthToken(entry: PoolEntry): Promise<string> {
    try {
      return await ops.tokens.accessToken(entry)
    } catch (err) {
      throw new InvalidRequestError(err instanceof Error ? err.message : String(err))
    }
  }

  function profileSkip(entry: PoolEntry): string | null {
    if (entry.account.platform !== 'claude-oauth') return 'not a Claude OAuth account'
    if (!entry.account.scopes.includes('user:profile'))
      return 'the token lacks the user:profile scope (setup tokens cannot read profile or usage)'
    return null
  }

  async function updateProfile(entry: PoolEntry) {
    const token = await oauthToken(entry)
    const info = await fetchProfile(ops.fetchFor(entry), apiBase, token, clock.now())
    await accounts.update(entry.account.id, { subscriptionInfo: info })
    return info
  }

  async function updateUsage(entry: PoolEntry) {
    const token = await oauthToken(entry)
    const usageWindows = await fetchUsage(ops.fetchFor(entry), apiBase, token, clock.now())
    const latest = (await accounts.get(entry.account.id)) ?? entry.account
    await accounts.update(entry.account.id, {
      extInfo: { ...(latest.extInfo ?? {}), usageWindows },
    })
    return usageWindows
  }

  const admin = new Elysia({ prefix: '/admin', name: 'crs.admin-accounts' }).use(
    adminGuard(deps.guard),
  )

  // OAuth onboarding (Claude subscription accounts).
  const flows: [string, string, OnboardingKind, string][] = [
    ['generate-auth-url', 'exchange-code', 'oauth', 'OAuth'],
    ['generate-setup-token-url', 'exchange-setup-token-code', 'setup-token', 'setup-token'],
  ]
  for (const [genPath, exPath, kind, label] of flows) {
    const act = kind === 'setup-token' ? 'setup_token' : 'oauth'
    admin
      .post(
        `/claude-accounts/${genPath}`,
        async ({ body, audit }) => {
          const b = (body ?? {}) as Body
          const proxy = proxyOf(b.proxy)
          await checkUrls({ proxy })
          const data = await onboarding.start(kind, proxy)
          const { password: _pw, ...shownProxy } = proxy ?? { password: undefined }
          audit(`account.${act}.start`, data.sessionId, null, {
            sessionId: data.sessionId,
            proxy: proxy ? shownProxy : null,
          })
          return { success: true, data }
        },
        {
          detail: { tags: ['accounts'], summary: `Start ${label} onboarding (PKCE authorize URL)` },
        },
      )
      .post(
        `/claude-accounts/${exPath}`,
        async ({ body, audit }) => {
          const b = (body ?? {}) as Body
          const sessionId = str(b.sessionId) ?? ''
          const { claudeAiOauth, proxy } = await onboarding.exchange(kind, sessionId, {
            authorizationCode: str(b.authorizationCode) ?? str(b.code),
            callbackUrl: str(b.callbackUrl),
          })
          let created: ReturnType<typeof accountView> | null = null
          if (b.createAccount === true) {
            const input = accountInput({ ...b, claudeAiOauth }, 'claude-oauth')
            if (!input.name)
              input.name = `Claude ${kind === 'setup-token' ? 'setup token' : 'OAuth'} account`
            if (input.proxy === undefined && proxy) input.proxy = proxy
            if (claudeAiOauth.extInfo)
              input.extInfo = { ...claudeAiOauth.extInfo, ...(input.extInfo ?? {}) }
            await checkGroups(input)
            const account = await accounts.create('claude-oauth', input)
            const entry = await entryOf(account.id)
            if (!profileSkip(entry)) await updateProfile(entry).catch(() => undefined)
            created = await viewOf(account.id)
          }
          audit(`account.${act}.exchange`, created?.id ?? sessionId, null, {
            sessionId,
            scopes: claudeAiOauth.scopes,
            expiresAt: claudeAiOauth.expiresAt,
            account: created,
          })
          return {
            success: true,
            data: { claudeAiOauth, ...(created ? { account: created } : {}) },
          }
        },
        {
          detail: {
            tags: ['accounts'],
            summary: `Exchange a ${label} authorization code (or callback URL) for tokens`,
          },
        },
      )
  }

  admin
    .get(
      '/claude-accounts/usage',
      async ({ audit }) => {
        const list = (await accounts.readEntries()).filter(
          (e) => e.account.platform === 'claude-oauth',
        )
        const data: Record<string, Body> = {}
        await Promise.all(
          list.map(async (e) => {
            const skip = profileSkip(e)
            if (skip) {
              data[e.account.id] = { name: e.account.name, status: 'skipped', reason: skip }
              return
            }
            try {
              const usageWindows = await updateUsage(e)
              data[e.account.id] = { name: e.account.name, status: 'updated', usageWindows }
            } catch (err) {
              const error = err instanceof Error ? err.message : String(err)
              data[e.account.id] = { name: e.account.name, status: 'failed', error }
            }
          }),
        )
        audit('account.usage.sync', '', null, {
          updated: Object.values(data).filter((d) => d.status === 'updated').length,
        })
        return { success: true, data }
      },
      {
        detail: {
          tags: ['accounts'],
          summary: 'Fetch 5h / 7d usage windows of every OAuth account into extInfo.usageWindows',
        },
      },
    )
    .post(
      '/claude-accounts/update-all-profiles',
      async ({ audit }) => {
        const list = (await accounts.readEntries()).filter(
          (e) => e.account.platform === 'claude-oauth',
        )
        const data: Record<string, Body> = {}
        for (const e of list) {
          const skip = profileSkip(e)
          if (skip) {
            data[e.account.id] = { name: e.account.name, status: 'skipped', reason: skip }
            continue
          }
          try {
            const subscriptionInfo = await updateProfile(e)
            data[e.account.id] = { name: e.account.name, status: 'updated', subscriptionInfo }
          } catch (err) {
            const error = err instanceof Error ? err.message : String(err)
            data[e.account.id] = { name: e.account.name, status: 'failed', error }
          }
        }
        audit('account.profile.update_all', '', null, data)
        return { success: true, data }
      },
      {
        detail: {
          tags: ['accounts'],
          summary: 'Refresh the subscription profile of every OAuth account',
        },
      },
    )
    .post(
      '/claude-accounts/:id/update-profile',
      async ({ params, audit }) => {
        const e = await entryOf(params.id, 'claude-oauth')
        const skip = profileSkip(e)
        if (skip) throw new InvalidRequestError(`Cannot update profile: ${skip}`)
        const before = e.account.subscriptionInfo
        const subscriptionInfo = await updateProfile(e)
        audit(
          'account.profile.update',
          params.id,
          { subscriptionInfo: before },
          { subscriptionInfo },
        )
        return { success: true, data: { subscriptionInfo } }
      },
      {
        detail: {
          tags: ['accounts'],
          summary: 'Fetch the subscription profile of an OAuth account',
        },
      },
    )
    .post(
      '/claude-accounts/:id/refresh',
      async ({ params, audit }) => {
        const e = await entryOf(params.id, 'claude-oauth')
        if (!e.secrets.refreshToken)
          throw new InvalidRequestError(
            'Cannot refresh token: the account has no refresh token (setup-token accounts cannot refresh; re-authorize instead)',
          )
        const before = { tokenExpiresAt: e.account.tokenExpiresAt, scopes: e.account.scopes }
        try {
          await ops.tokens.refreshNow(e)
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err)
          throw err instanceof TokenRefreshError
            ? new RelayError(502, 'api_error', message)
            : new RelayError(502, 'api_error', `Cannot refresh token: ${message}`)
        }
        const view = await viewOf(params.id)
        audit('account.refresh', params.id, before, {
          tokenExpiresAt: view.tokenExpiresAt,
          scopes: view.scopes,
        })
        return { success: true, data: view }
      },
      {
        detail: {
          tags: ['accounts'],
          summary: 'Force an OAuth token refresh (rotates the refresh token)',
        },
      },
    )
    .get(
      '/accounts/binding-counts',
      async () => ({ success: true, data: bindingCounts(await keys.list()) }),
      {
        detail: {
          tags: ['accounts'],
          summary: 'Number of live API keys bound to each account or group id',
        },
      },
    )

  for (const [path, platform, label] of [
    ['/claude-accounts', 'claude-oauth', 'Claude OAuth'],
    ['/claude-console-accounts', 'claude-console', 'Claude Console'],
  ] as const) {
    admin
      .get(
        path,
        async ({ query }) => {
          const ctx = await context()
          const groupId = str((query as Record<string, unknown>).groupId)
          const list = (await accounts.readEntries()).filter(
            (e) =>
              e.account.platform === platform && (!groupId || e.account.groupIds.includes(groupId)),
          )
          return { success: true, data: list.map((e) => accountView(e, ctx)) }
        },
        {
          detail: {
            tags: ['accounts'],
            summary: `List ${label} accounts with health and bindings`,
          },
        },
      )
      .post(
        path,
        async ({ body, audit }) => {
          const input = accountInput((body ?? {}) as Body, platform)
          await checkGroups(input)
          const account = await accounts.create(platform, input)
          const view = await viewOf(account.id)
          audit('account.create', account.id, null, view)
          return { success: true, data: view }
        },
        { detail: { tags: ['accounts'], summary: `Create a ${label} account` } },
      )
      .get(
        `${path}/:id`,
        async ({ params }) => ({
          success: true,
          data: accountView(await entryOf(params.id, platform), await context()),
        }),
        { detail: { tags: ['accounts'], summary: `Get one ${label} account` } },
      )
      .put(
        `${path}/:id`,
        async ({ params, body, audit }) => {
          const before = accountView(await entryOf(params.id, platform), await context())
          const input = accountInput((body ?? {}) as Body, platform)
          await checkGroups(input)
          await accounts.update(params.id, input)
          const view = await viewOf(params.id)
          audit('account.update', params.id, before, view)
          return { success: true, data: view }
        },
        { detail: { tags: ['accounts'], summary: `Edit a ${label} account` } },
      )
      .delete(
        `${path}/:id`,
        async ({ params, audit }) => {
          const before = accountView(await entryOf(params.id, platform), await context())
          await accounts.remove(params.id)
          let unbound = 0
          for (const k of await keys.list()) {
            if (k.claudeAccountId === params.id || k.claudeConsoleAccountId === params.id) {
              unbound++
              await keys.update(k.id, {
                claudeAccountId: k.claudeAccountId === params.id ? '' : k.claudeAccountId,
                claudeConsoleAccountId:
                  k.claudeConsoleAccountId === params.id ? '' : k.claudeConsoleAccountId,
              })
            }
          }
          audit('account.delete', params.id, before, { unboundKeys: unbound })
          return { success: true, message: 'Account deleted' }
        },
        { detail: { tags: ['accounts'], summary: `Delete a ${label} account (unbinds its keys)` } },
      )
      .post(
        `${path}/:id/reset-status`,
        async ({ params, audit }) => {
          const e = await entryOf(params.id, platform)
          const state = await accounts.resetState(params.id)
          audit('account.reset_status', params.id, e.state, state)
          return { success: true, data: state }
        },
        {
          detail: { tags: ['accounts'], summary: `Clear every health mark of a ${label} account` },
        },
      )
      .put(
        `${path}/:id/toggle`,
        async ({ params, audit }) => {
          const e = await entryOf(params.id, platform)
          const schedulable = !e.account.schedulable
          await accounts.update(params.id, { schedulable })
          audit('account.toggle', params.id, { schedulable: !schedulable }, { schedulable })
          return { success: true, data: { id: params.id, schedulable } }
        },
        { detail: { tags: ['accounts'], summary: `Flip whether a ${label} account is scheduled` } },
      )
      .post(
        `${path}/:id/test`,
        async ({ params, body, audit }) => {
          const e = await entryOf(params.id, platform)
          const adapter = ops.registry.adapter(e.account.platform)
          const model = str(((body ?? {}) as Body).model) || adapter.probeModel
          audit('account.test', params.id, null, { model })
          const dialect = dialectOf(adapter.dialects[0] ?? 'anthropic')
          if (!dialect) throw new InvalidRequestError(`Cannot test a ${label} account: no dialect`)
          return probeAccount({ adapter, dialect, fetch: ops.fetchFor(e) }, e, model)
        },
        {
          detail: {
            tags: ['accounts'],
            summary: `Send a tiny streaming request to a ${label} account (SSE, ends with test_complete)`,
          },
        },
      )
  }

  // Account groups.
  admin
    .get(
      '/account-groups',
      async ({ query }) => {
        const ctx = await context()
        const all = await accounts.list()
        const list = await groups.list(str((query as Record<string, unknown>).platform))
        return {
          success: true,
          data: list.map((g) => ({
            ...g,
            memberCount: all.filter((a) => a.groupIds.includes(g.id)).length,
            boundKeys: ctx.counts[g.id] ?? 0,
          })),
        }
      },
      {
        detail: { tags: ['accounts'], summary: 'List account groups (optionally of one platform)' },
      },
    )
    .post(
      '/account-groups',
      async ({ body, audit }) => {
        const b = (body ?? {}) as Body
        const group = await groups.create({
          name: str(b.name),
          platform: str(b.platform),
          description: str(b.description),
        })
        audit('group.create', group.id, null, group)
        return { success: true, data: group }
      },
      { detail: { tags: ['accounts'], summary: 'Create an account group' } },
    )
    .get(
      '/account-groups/:groupId',
      async ({ params }) => {
        const group = await groups.get(params.groupId)
        const members = await groups.members(params.groupId)
        return {
          success: true,
          data: { ...group, memberCount: members.length, memberIds: members.map((a) => a.id) },
        }
      },
      { detail: { tags: ['accounts'], summary: 'Get one account group' } },
    )
    .put(
      '/account-groups/:groupId',
      async ({ params, body, audit }) => {
        const b = (body ?? {}) as Body
        const before = await groups.get(params.groupId)
        const group = await groups.update(params.groupId, {
          name: str(b.name),
          platform: str(b.platform),
          description: str(b.description),
        })
        audit('group.update', params.groupId, before, group)
        return { success: true, data: group }
      },
      { detail: { tags: ['accounts'], summary: 'Edit an account group' } },
    )
    .delete(
      '/account-groups/:groupId',
      async ({ params, audit }) => {
        const group = await groups.remove(params.groupId)
        audit('group.delete', params.groupId, group, null)
        return { success: true, message: 'Group deleted' }
      },
      {
        detail: {
          tags: ['accounts'],
          summary: 'Delete an account group (409 while it has members or bound keys)',
        },
      },
    )
    .get(
      '/account-groups/:groupId/members',
      async ({ params }) => {
        await groups.get(params.groupId)
        const ctx = await context()
        const ids = new Set((await groups.members(params.groupId)).map((a) => a.id))
        const entries = (await accounts.readEntries()).filter((e) => ids.has(e.account.id))
        return { success: true, data: entries.map((e) => accountView(e, ctx)) }
      },
      { detail: { tags: ['accounts'], summary: 'Accounts that belong to a group' } },
    )
    .put(
      '/account-groups/:groupId/members',
      async ({ params, body, audit }) => {
        const ids = ((body ?? {}) as Body).accountIds
        if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'string'))
          throw new InvalidRequestError('Invalid body: accountIds must be an array of account ids')
        const before = (await groups.members(params.groupId)).map((a) => a.id)
        const members = await groups.setMembers(params.groupId, ids as string[])
        const after = members.map((a) => a.id)
        audit('group.members', params.groupId, { accountIds: before }, { accountIds: after })
        return { success: true, data: { groupId: params.groupId, accountIds: after } }
      },
      { detail: { tags: ['accounts'], summary: 'Set the member accounts of a group' } },
    )
  return admin
}
