/**
 * @module
 * Admin routes only Claude subscription (OAuth) accounts have, in the seed's paths: PKCE
 * onboarding (authorize URL, then the code or callback URL exchanged for tokens, optionally
 * creating the account), setup-token onboarding, usage windows and profile snapshots from the
 * Anthropic API, and a forced token refresh. Their CRUD is the shared account-kind controller.
 */
import { Elysia } from 'elysia'
import type { AccountAdmin } from '../accounts/admin.ts'
import { type TokenProvider, TokenRefreshError } from '../accounts/oauth.ts'
import {
  apiBaseOf,
  createOnboarding,
  fetchProfile,
  fetchUsage,
  type OnboardingKind,
} from '../accounts/onboarding.ts'
import type { AccountService, PoolEntry } from '../accounts/service.ts'
import type { AccountView } from '../accounts/views.ts'
import type { Config } from '../config/schema.ts'
import type { CoordRepository } from '../coord/repository.ts'
import { InvalidRequestError, RelayError } from '../core/errors.ts'
import type { Clock, FetchFn } from '../core/ports.ts'
import { createProxyFetch } from '../relay/proxy-fetch.ts'
import type { UrlPolicy } from '../security/url-policy.ts'
import { accountInputOf, type Body, claudeOAuthFields, proxyOf, str } from './account-input.ts'
import { type AdminGuardDeps, adminGuard } from './admin-guard.ts'

/** What the Claude account routes need. */
export interface AdminClaudeRouteDeps {
  guard: AdminGuardDeps
  admin: AccountAdmin
  accounts: AccountService
  config: Config
  coord: CoordRepository
  clock: Clock
  tokens: TokenProvider
  fetchFor: (entry: PoolEntry) => FetchFn
  /** The plain upstream fetch (wrapped by a proxy for onboarding sessions). */
  fetch: FetchFn
  urlPolicy?: UrlPolicy
}

/** Claude OAuth onboarding and profile controller. */
export function adminClaudeRoutes(deps: AdminClaudeRouteDeps) {
  const { admin, accounts, config, clock } = deps
  const ops = { tokens: deps.tokens, fetchFor: deps.fetchFor }
  const apiBase = apiBaseOf(config.CLAUDE_API_URL)
  const onboarding = createOnboarding({
    coord: deps.coord,
    clock,
    fetchVia: (proxy) => {
      if (!proxy) return deps.fetch
      const f = createProxyFetch(proxy, { baseFetch: deps.fetch as typeof fetch }) as FetchFn
      return deps.urlPolicy ? deps.urlPolicy.guard(f, proxy) : f
    },
    authorizeUrl: config.CLAUDE_OAUTH_AUTHORIZE_URL,
    redirectUri: config.CLAUDE_OAUTH_REDIRECT_URI,
    tokenUrl: config.CLAUDE_OAUTH_TOKEN_URL,
    scopes: config.CLAUDE_OAUTH_SCOPES,
  })

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

  const app = new Elysia({ prefix: '/admin', name: 'crs.admin-claude' }).use(adminGuard(deps.guard))

  const flows: [string, string, OnboardingKind, string][] = [
    ['generate-auth-url', 'exchange-code', 'oauth', 'OAuth'],
    ['generate-setup-token-url', 'exchange-setup-token-code', 'setup-token', 'setup-token'],
  ]
  for (const [genPath, exPath, kind, label] of flows) {
    const act = kind === 'setup-token' ? 'setup_token' : 'oauth'
    app
      .post(
        `/claude-accounts/${genPath}`,
        async ({ body, audit }) => {
          const b = (body ?? {}) as Body
          const proxy = proxyOf(b.proxy)
          await admin.checkUrls({ proxy })
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
          let created: AccountView | null = null
          if (b.createAccount === true) {
            const input = accountInputOf({ ...b, claudeAiOauth }, claudeOAuthFields)
            if (!input.name)
              input.name = `Claude ${kind === 'setup-token' ? 'setup token' : 'OAuth'} account`
            if (input.proxy === undefined && proxy) input.proxy = proxy
            if (claudeAiOauth.extInfo)
              input.extInfo = { ...claudeAiOauth.extInfo, ...(input.extInfo ?? {}) }
            const view = await admin.create('claude-oauth', input)
            const entry = await admin.entryOf(view.id)
            if (!profileSkip(entry)) await updateProfile(entry).catch(() => undefined)
            created = await admin.viewOf(view.id)
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

  return app
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
        const e = await admin.entryOf(params.id, 'claude-oauth')
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
        const e = await admin.entryOf(params.id, 'claude-oauth')
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
        const view = await admin.viewOf(params.id)
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
}
