/**
 * @module
 * Admin API for upstream accounts (seed-compatible paths and `{ success, data }` envelopes). One
 * controller serves every account kind's CRUD under its own path — list (with health and
 * bindings), create, get, edit, delete (unbinds its keys), reset the health state, toggle
 * scheduling, and a live streamed test through the kind's adapter — from an
 * {@link AccountKindRoute} that names the path and maps the kind's own body fields. Claude OAuth
 * onboarding lives in `admin-claude-routes.ts`, groups in `admin-groups-routes.ts`. Every write is
 * audited with secret-free before/after views.
 */
import { Elysia, t } from 'elysia'
import { type AccountAdmin, createAccountAdmin } from '../accounts/admin.ts'
import { AccountState } from '../accounts/model.ts'
import type { TokenProvider } from '../accounts/oauth.ts'
import type { AccountRepository } from '../accounts/repository.ts'
import type { AccountService, PoolEntry } from '../accounts/service.ts'
import { AccountView } from '../accounts/views.ts'
import type { Config } from '../config/schema.ts'
import type { CoordRepository } from '../coord/repository.ts'
import { InvalidRequestError } from '../core/errors.ts'
import type { Clock, FetchFn } from '../core/ports.ts'
import { dialectOf } from '../dialects/registry.ts'
import { bindingCounts } from '../keys/bindings.ts'
import type { KeyService } from '../keys/service.ts'
import type { PlatformRegistry } from '../platforms/adapter.ts'
import type { CodexUsageStore } from '../platforms/openai/codex-usage.ts'
import { probeAccount } from '../platforms/probe.ts'
import type { UrlPolicy } from '../security/url-policy.ts'
import { ACCOUNT_KINDS, type AccountKindRoute, kindBody, kindInput } from './account-kinds.ts'
import { adminClaudeRoutes } from './admin-claude-routes.ts'
import { adminDroidRoutes } from './admin-droid-routes.ts'
import { adminGeminiRoutes } from './admin-gemini-routes.ts'
import { adminGroupRoutes } from './admin-groups-routes.ts'
import { type AdminGuardDeps, adminGuard } from './admin-guard.ts'
import { adminOpenAIRoutes } from './admin-openai-routes.ts'
import { AccountListQuery, AccountTestBody, Schedulable } from './schemas/accounts.ts'
import { IdParams, OkMessage, ok, strictBody } from './schemas/common.ts'

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
  /** Token refresh of ChatGPT-login accounts. */
  openaiTokens?: TokenProvider
  /** Codex usage windows of ChatGPT-login accounts. */
  codexUsage?: CodexUsageStore
  /** Token refresh of Gemini Google-login accounts. */
  geminiTokens?: TokenProvider
}

/** What the account admin routes need. */
export interface AdminAccountRouteDeps {
  guard: AdminGuardDeps
  keys: KeyService
  accounts: AccountService
  config: Config
  coord: CoordRepository
  groupRepo: Pick<AccountRepository, 'putGroup' | 'getGroup' | 'listGroups' | 'deleteGroup'>
  clock: Clock
  ops: AccountOps
}

/** The CRUD, health and test routes of one account kind. */
export function accountKindRoutes(
  deps: { guard: AdminGuardDeps; admin: AccountAdmin; ops: AccountOps },
  kind: AccountKindRoute,
) {
  const { admin, ops } = deps
  const { path, platform, label } = kind
  const body = kindBody(kind)
  const doc = (summary: string) => ({ detail: { tags: ['accounts'], summary } })
  return new Elysia({ prefix: '/admin', name: `crs.admin-accounts:${platform}` })
    .use(adminGuard(deps.guard))
    .get(
      path,
      async ({ query }) => ({ success: true, data: await admin.list(platform, query.groupId) }),
      {
        query: AccountListQuery,
        response: ok(t.Array(AccountView)),
        ...doc(`List ${label} accounts with health and bindings`),
      },
    )
    .post(
      path,
      async ({ body, audit }) => {
        const view = await admin.create(platform, kindInput(kind, body ?? {}))
        audit('account.create', view.id, null, view)
        return { success: true, data: view }
      },
      {
        ...strictBody(t.Optional(body)),
        response: ok(AccountView),
        ...doc(`Create a ${label} account`),
      },
    )
    .get(
      `${path}/:id`,
      async ({ params }) => ({ success: true, data: await admin.get(params.id, platform) }),
      { params: IdParams, response: ok(AccountView), ...doc(`Get one ${label} account`) },
    )
    .put(
      `${path}/:id`,
      async ({ params, body, audit }) => {
        const input = kindInput(kind, body ?? {})
        const { before, after } = await admin.update(params.id, platform, input)
        audit('account.update', params.id, before, after)
        return { success: true, data: after }
      },
      {
        params: IdParams,
        ...strictBody(t.Optional(body)),
        response: ok(AccountView),
        ...doc(`Edit a ${label} account`),
      },
    )
    .delete(
      `${path}/:id`,
      async ({ params, audit }) => {
        const { before, unboundKeys } = await admin.remove(params.id, platform)
        audit('account.delete', params.id, before, { unboundKeys })
        return { success: true, message: 'Account deleted' }
      },
      {
        params: IdParams,
        response: OkMessage,
        ...doc(`Delete a ${label} account (unbinds its keys)`),
      },
    )
    .post(
      `${path}/:id/reset-status`,
      async ({ params, audit }) => {
        const { before, after } = await admin.resetState(params.id, platform)
        audit('account.reset_status', params.id, before, after)
        return { success: true, data: after }
      },
      {
        params: IdParams,
        response: ok(AccountState),
        ...doc(`Clear every health mark of a ${label} account`),
      },
    )
    .put(
      `${path}/:id/toggle`,
      async ({ params, audit }) => {
        const schedulable = await admin.toggleSchedulable(params.id, platform)
        audit('account.toggle', params.id, { schedulable: !schedulable }, { schedulable })
        return { success: true, data: { id: params.id, schedulable } }
      },
      {
        params: IdParams,
        response: ok(Schedulable),
        ...doc(`Flip whether a ${label} account is scheduled`),
      },
    )
    .post(
      `${path}/:id/test`,
      async ({ params, body, audit }) => {
        const e = await admin.entryOf(params.id, platform)
        const adapter = ops.registry.adapter(e.account.platform)
        const model = body?.model || adapter.probeModel
        audit('account.test', params.id, null, { model })
        const dialect = dialectOf(adapter.dialects[0] ?? '')
        if (!dialect) throw new InvalidRequestError(`Cannot test a ${label} account: no dialect`)
        return probeAccount({ adapter, dialect, fetch: ops.fetchFor(e) }, e, model)
      },
      {
        params: IdParams,
        ...strictBody(t.Optional(AccountTestBody)),
        ...doc(
          `Send a tiny streaming request to a ${label} account (SSE, ends with test_complete)`,
        ),
      },
    )
}

/** Account admin controller: every kind's CRUD, Claude onboarding, groups, binding counts. */
export function adminAccountRoutes(deps: AdminAccountRouteDeps) {
  const { keys, accounts, ops } = deps
  const admin = createAccountAdmin({
    accounts,
    keys,
    groupRepo: deps.groupRepo,
    clock: deps.clock,
    urlPolicy: ops.urlPolicy,
    optionsSchema: (platform) => ops.registry.adapter(platform).options,
  })
  const onboarding = {
    guard: deps.guard,
    admin,
    accounts,
    config: deps.config,
    coord: deps.coord,
    clock: deps.clock,
    fetch: ops.fetch,
    urlPolicy: ops.urlPolicy,
  }
  const app = new Elysia({ name: 'crs.admin-accounts' })
    .use(
      new Elysia({ prefix: '/admin', name: 'crs.admin-binding-counts' })
        .use(adminGuard(deps.guard))
        .get(
          '/accounts/binding-counts',
          async () => ({ success: true, data: bindingCounts(await keys.list()) }),
          {
            response: ok(t.Record(t.String(), t.Integer())),
            detail: {
              tags: ['accounts'],
              summary: 'Number of live API keys bound to each account or group id',
            },
          },
        ),
    )
    .use(adminClaudeRoutes({ ...onboarding, tokens: ops.tokens, fetchFor: ops.fetchFor }))
  app.use(adminDroidRoutes(onboarding))
  app.use(
    adminOpenAIRoutes({ ...onboarding, tokens: ops.openaiTokens, codexUsage: ops.codexUsage }),
  )
  app.use(adminGeminiRoutes({ ...onboarding, tokens: ops.geminiTokens }))
  for (const kind of ACCOUNT_KINDS)
    app.use(accountKindRoutes({ guard: deps.guard, admin, ops }, kind))
  return app.use(adminGroupRoutes({ guard: deps.guard, admin }))
}
