/**
 * @module
 * Admin API (seed-compatible paths and `{ success, data }` envelopes): sign-in, and CRUD of API
 * keys, Claude OAuth accounts and Claude Console accounts. Every `/admin` route requires a valid,
 * unrevoked admin JWT in `Authorization: Bearer`.
 */
import { jwt } from '@elysiajs/jwt'
import { Elysia, t } from 'elysia'
import type { Account } from '../accounts/model.ts'
import type { AccountInput, AccountService } from '../accounts/service.ts'
import type { AdminAuthService } from '../admin/auth-service.ts'
import { InvalidRequestError } from '../core/errors.ts'
import type { ApiKey } from '../keys/model.ts'
import type { KeyInput, KeyService } from '../keys/service.ts'
import { adminGuard } from './admin-guard.ts'

/** What the admin routes need. */
export interface AdminRouteDeps {
  jwtSecret: string
  auth: AdminAuthService
  keys: KeyService
  accounts: AccountService
}

/** An API key as the admin API shows it (never the hash). */
export function keyView(key: ApiKey) {
  const { hash: _hash, ...rest } = key
  return rest
}

/** An account as the admin API shows it (never the secret). */
export async function accountView(accounts: AccountService, account: Account) {
  const { secret: _secret, ...rest } = account
  const state = await accounts.getState(account.id)
  return { ...rest, state, status: state.status }
}

type Body = Record<string, unknown>

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

/** Maps the old system's account payload to {@link AccountInput}. */
export function accountInput(
  body: Body,
  platform: 'claude-oauth' | 'claude-console',
): AccountInput {
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

const LoginBody = t.Object({
  username: t.String({ minLength: 1 }),
  password: t.String({ minLength: 1 }),
})

/** Admin controller. */
export function adminRoutes(deps: AdminRouteDeps) {
  const { keys, accounts } = deps
  const guard = adminGuard(deps.jwtSecret, deps.auth)

  const web = new Elysia({ name: 'crs.web-auth' })
    .use(jwt({ name: 'adminJwt', secret: deps.jwtSecret, exp: '24h' }))
    .post(
      '/web/auth/login',
      async ({ body, adminJwt }) => {
        const claims = await deps.auth.login(body.username, body.password)
        const token = await adminJwt.sign(claims)
        return { success: true, token, expiresIn: 86_400_000, username: claims.sub }
      },
      { body: LoginBody, detail: { tags: ['admin'], summary: 'Admin sign-in; returns a JWT' } },
    )

  const admin = new Elysia({ prefix: '/admin', name: 'crs.admin' })
    .use(guard)
    .get('/api-keys', async () => {
      const items = (await keys.list()).filter((k) => !k.isDeleted).map(keyView)
      return {
        success: true,
        data: { items, pagination: { page: 1, pageSize: items.length, total: items.length } },
      }
    })
    .post('/api-keys', async ({ body }) => {
      const b = (body ?? {}) as KeyInput & { name?: string }
      if (!b.name) throw new InvalidRequestError('name: field required')
      const { key, plaintext } = await keys.create({ ...b, name: b.name })
      return { success: true, data: { ...keyView(key), apiKey: plaintext } }
    })
    .get('/api-keys/:id', async ({ params }) => {
      const key = await keys.get(params.id)
      if (!key) throw new InvalidRequestError(`Cannot find API key "${params.id}"`)
      return { success: true, data: keyView(key) }
    })
    .put('/api-keys/:id', async ({ params, body }) => ({
      success: true,
      data: keyView(await keys.update(params.id, (body ?? {}) as KeyInput)),
    }))
    .delete('/api-keys/:id', async ({ params }) => {
      await keys.softDelete(params.id)
      return { success: true, message: 'API key deleted' }
    })

  for (const [path, platform] of [
    ['/claude-accounts', 'claude-oauth'],
    ['/claude-console-accounts', 'claude-console'],
  ] as const) {
    admin
      .get(path, async () => {
        const list = (await accounts.list()).filter((a) => a.platform === platform)
        return { success: true, data: await Promise.all(list.map((a) => accountView(accounts, a))) }
      })
      .post(path, async ({ body }) => {
        const account = await accounts.create(
          platform,
          accountInput((body ?? {}) as Body, platform),
        )
        return { success: true, data: await accountView(accounts, account) }
      })
      .get(`${path}/:id`, async ({ params }) => {
        const a = await accounts.get(params.id)
        if (!a || a.platform !== platform)
          throw new InvalidRequestError(`Cannot find account "${params.id}"`)
        return { success: true, data: await accountView(accounts, a) }
      })
      .put(`${path}/:id`, async ({ params, body }) => {
        const a = await accounts.update(params.id, accountInput((body ?? {}) as Body, platform))
        return { success: true, data: await accountView(accounts, a) }
      })
      .delete(`${path}/:id`, async ({ params }) => {
        await accounts.remove(params.id)
        for (const k of await keys.list()) {
          if (k.claudeAccountId === params.id || k.claudeConsoleAccountId === params.id) {
            await keys.update(k.id, {
              claudeAccountId: k.claudeAccountId === params.id ? '' : k.claudeAccountId,
              claudeConsoleAccountId:
                k.claudeConsoleAccountId === params.id ? '' : k.claudeConsoleAccountId,
            })
          }
        }
        return { success: true, message: 'Account deleted' }
      })
      .post(`${path}/:id/reset-status`, async ({ params }) => ({
        success: true,
        data: await accounts.resetState(params.id),
      }))
  }
  return new Elysia({ name: 'crs.admin-all' }).use(web).use(admin)
}
