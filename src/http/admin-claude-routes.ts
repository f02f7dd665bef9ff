/**
 * @module
 * Admin routes only Claude subscription (OAuth) accounts have, in the seed's paths: PKCE
 * onboarding (authorize URL, then the code or callback URL exchanged for tokens, optionally
 * creating the account), setup-token onboarding, usage windows and profile snapshots from the
 * Anthropic API, and a forced token refresh. Their CRUD is the shared account-kind controller.
 */
import { Elysia, t } from 'elysia'
import {
  apiBaseOf,
  createClaudeProfiles,
  SubscriptionInfo,
  SyncOutcome,
} from '../accounts/claude-profile.ts'
import type { TokenProvider } from '../accounts/oauth.ts'
import { createOnboarding, type OnboardingKind } from '../accounts/onboarding.ts'
import type { PoolEntry } from '../accounts/service.ts'
import { AccountView } from '../accounts/views.ts'
import { InvalidRequestError } from '../core/errors.ts'
import type { FetchFn } from '../core/ports.ts'
import { createProxyFetch } from '../relay/proxy-fetch.ts'
import { accountInputOf, claudeOAuthFields, proxyOf } from './account-input.ts'
import type { OnboardingRouteDeps } from './account-kinds.ts'
import { adminGuard } from './admin-guard.ts'
import {
  AuthUrl,
  OnboardingExchangeBody,
  OnboardingResult,
  OnboardingStartBody,
} from './schemas/accounts.ts'
import { IdParams, ok, strictBody } from './schemas/common.ts'

/** What the Claude account routes need. */
export interface AdminClaudeRouteDeps extends OnboardingRouteDeps {
  tokens: TokenProvider
  fetchFor: (entry: PoolEntry) => FetchFn
}

/** Claude OAuth onboarding and profile controller. */
export function adminClaudeRoutes(deps: AdminClaudeRouteDeps) {
  const { admin, accounts, config, clock } = deps
  const profiles = createClaudeProfiles({
    accounts,
    tokens: deps.tokens,
    fetchFor: deps.fetchFor,
    apiBase: apiBaseOf(config.CLAUDE_API_URL),
    clock,
  })
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
          const proxy = proxyOf(body?.proxy)
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
          ...strictBody(t.Optional(OnboardingStartBody)),
          response: ok(AuthUrl),
          detail: { tags: ['accounts'], summary: `Start ${label} onboarding (PKCE authorize URL)` },
        },
      )
      .post(
        `/claude-accounts/${exPath}`,
        async ({ body, audit }) => {
          const b = body ?? {}
          const sessionId = b.sessionId ?? ''
          const { claudeAiOauth, proxy } = await onboarding.exchange(kind, sessionId, {
            authorizationCode: b.authorizationCode ?? b.code,
            callbackUrl: b.callbackUrl,
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
            if (!profiles.skipReason(entry))
              await profiles.updateProfile(entry).catch(() => undefined)
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
          ...strictBody(t.Optional(OnboardingExchangeBody)),
          response: ok(OnboardingResult),
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
        const data = await profiles.syncUsage()
        audit('account.usage.sync', '', null, {
          updated: Object.values(data).filter((d) => d.status === 'updated').length,
        })
        return { success: true, data }
      },
      {
        response: ok(t.Record(t.String(), SyncOutcome)),
        detail: {
          tags: ['accounts'],
          summary: 'Fetch 5h / 7d usage windows of every OAuth account into extInfo.usageWindows',
        },
      },
    )
    .post(
      '/claude-accounts/update-all-profiles',
      async ({ audit }) => {
        const data = await profiles.syncProfiles()
        audit('account.profile.update_all', '', null, data)
        return { success: true, data }
      },
      {
        response: ok(t.Record(t.String(), SyncOutcome)),
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
        const skip = profiles.skipReason(e)
        if (skip) throw new InvalidRequestError(`Cannot update profile: ${skip}`)
        const before = e.account.subscriptionInfo
        const subscriptionInfo = await profiles.updateProfile(e)
        audit(
          'account.profile.update',
          params.id,
          { subscriptionInfo: before },
          { subscriptionInfo },
        )
        return { success: true, data: { subscriptionInfo } }
      },
      {
        params: IdParams,
        response: ok(t.Object({ subscriptionInfo: SubscriptionInfo })),
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
        const before = { tokenExpiresAt: e.account.tokenExpiresAt, scopes: e.account.scopes }
        await profiles.refreshNow(e)
        const view = await admin.viewOf(params.id)
        audit('account.refresh', params.id, before, {
          tokenExpiresAt: view.tokenExpiresAt,
          scopes: view.scopes,
        })
        return { success: true, data: view }
      },
      {
        params: IdParams,
        response: ok(AccountView),
        detail: {
          tags: ['accounts'],
          summary: 'Force an OAuth token refresh (rotates the refresh token)',
        },
      },
    )
}
