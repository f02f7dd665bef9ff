/**
 * @module
 * Admin API for upstream accounts (seed-compatible paths and `{ success, data }` envelopes):
 * CRUD of Claude OAuth accounts (`/admin/claude-accounts`) and Claude Console accounts
 * (`/admin/claude-console-accounts`), and status reset. Deleting an account unbinds its keys.
 */
import { Elysia } from 'elysia'
import type { Account } from '../accounts/model.ts'
import type { AccountInput, AccountService } from '../accounts/service.ts'
import type { AdminAuthService } from '../admin/auth-service.ts'
import { InvalidRequestError } from '../core/errors.ts'
import type { KeyService } from '../keys/service.ts'
import { type AdminGuardDeps, adminGuard } from './admin-guard.ts'

/** What the account admin routes need. */
export interface AdminAccountRouteDeps {
  jwtSecret: string
  auth: AdminAuthService
  guard: AdminGuardDeps
  keys: KeyService
  accounts: AccountService
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

/** Account admin controller. */
export function adminAccountRoutes(deps: AdminAccountRouteDeps) {
  const { keys, accounts } = deps
  const admin = new Elysia({ prefix: '/admin', name: 'crs.admin-accounts' }).use(
    adminGuard(deps.guard),
  )
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
  return admin
}
