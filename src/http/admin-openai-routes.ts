/**
 * @module
 * Admin routes of ChatGPT-login ("Codex") accounts beyond their CRUD: OAuth onboarding with PKCE
 * (`generate-auth-url`, then `exchange-code` with the pasted callback URL or code, optionally
 * creating the account at once), a token refresh on demand, and the Codex usage windows of every
 * account (used percent and reset, from the upstream's `x-codex-*` headers).
 */
import { Elysia } from 'elysia'
import type { TokenProvider } from '../accounts/oauth.ts'
import { InvalidRequestError } from '../core/errors.ts'
import type { FetchFn } from '../core/ports.ts'
import type { CodexUsageStore } from '../platforms/openai/codex-usage.ts'
import { createOpenAIOnboarding } from '../platforms/openai/oauth.ts'
import { createProxyFetch } from '../relay/proxy-fetch.ts'
import { accountInputOf, type Body, proxyOf } from './account-input.ts'
import type { OnboardingRouteDeps } from './account-kinds.ts'
import { adminGuard } from './admin-guard.ts'
import { openaiOAuthFields } from './openai-account-input.ts'
import type { ProxyField } from './schemas/accounts.ts'

const str = (v: unknown) => (typeof v === 'string' ? v : undefined)

/** What the ChatGPT account routes need. */
export interface AdminOpenAIRouteDeps extends OnboardingRouteDeps {
  tokens?: TokenProvider
  codexUsage?: CodexUsageStore
}

/** ChatGPT-login onboarding, refresh and usage controller. */
export function adminOpenAIRoutes(deps: AdminOpenAIRouteDeps) {
  const { admin, accounts } = deps
  const onboarding = createOpenAIOnboarding({
    coord: deps.coord,
    clock: deps.clock,
    tokenUrl: deps.config.OPENAI_OAUTH_TOKEN_URL,
    fetchVia: (p) => {
      const proxy = p as ReturnType<typeof proxyOf>
      if (!proxy) return deps.fetch
      const f = createProxyFetch(proxy, { baseFetch: deps.fetch as typeof fetch }) as FetchFn
      return deps.urlPolicy ? deps.urlPolicy.guard(f, proxy) : f
    },
  })
  const doc = (summary: string) => ({ detail: { tags: ['accounts'], summary } })
  return new Elysia({ prefix: '/admin/openai-accounts', name: 'crs.admin-openai' })
    .use(adminGuard(deps.guard))
    .post(
      '/generate-auth-url',
      async ({ body, audit }) => {
        const proxy = proxyOf(((body ?? {}) as Body).proxy as ProxyField | undefined)
        await admin.checkUrls({ proxy })
        const data = await onboarding.start(proxy)
        audit('account.openai_oauth.start', data.sessionId, null, { sessionId: data.sessionId })
        return { success: true, data }
      },
      doc('Start ChatGPT (Codex) onboarding: the PKCE authorize URL and a session id'),
    )
    .post(
      '/exchange-code',
      async ({ body, audit }) => {
        const b = (body ?? {}) as Body
        const pasted = str(b.callbackUrl) ?? str(b.code) ?? str(b.authorizationCode) ?? ''
        const { tokens, accountInfo, proxy } = await onboarding.exchange(
          str(b.sessionId) ?? '',
          pasted,
        )
        let account = null
        if (b.createAccount === true) {
          const input = accountInputOf(
            { ...b, openaiOauth: tokens, accountInfo },
            openaiOAuthFields,
          )
          input.name ||= accountInfo.email ? `ChatGPT ${accountInfo.email}` : 'ChatGPT account'
          if (input.proxy === undefined && proxy) input.proxy = proxy as never
          account = await admin.create('openai', input)
        }
        audit('account.openai_oauth.exchange', account?.id ?? str(b.sessionId) ?? '', null, {
          accountInfo,
          account,
        })
        return { success: true, data: { tokens, accountInfo, ...(account ? { account } : {}) } }
      },
      doc('Exchange the pasted callback URL (or code) for ChatGPT tokens; createAccount adds it'),
    )
    .get(
      '/usage',
      async () => {
        const list = (await accounts.readEntries()).filter((e) => e.account.platform === 'openai')
        const data: Record<string, unknown> = {}
        await Promise.all(
          list.map(async (e) => {
            data[e.account.id] = {
              codexUsage: (await deps.codexUsage?.get(e.account.id)) ?? null,
              rateLimitedUntil:
                e.state.rateLimitedUntil > deps.clock.now()
                  ? new Date(e.state.rateLimitedUntil).toISOString()
                  : null,
            }
          }),
        )
        return { success: true, data }
      },
      doc('Codex usage windows (used percent, reset) and rate-limit end of every ChatGPT account'),
    )
    .post(
      '/:id/refresh-token',
      async ({ params, audit }) => {
        const e = await admin.entryOf(params.id, 'openai')
        if (!deps.tokens) throw new InvalidRequestError('Token refresh is not available')
        try {
          await deps.tokens.refreshNow(e)
        } catch (err) {
          throw new InvalidRequestError(err instanceof Error ? err.message : String(err))
        }
        const view = await admin.viewOf(params.id)
        audit('account.refresh_token', params.id, null, { tokenExpiresAt: view.tokenExpiresAt })
        return { success: true, data: view }
      },
      doc('Refresh the OAuth access token of a ChatGPT account now'),
    )
}
