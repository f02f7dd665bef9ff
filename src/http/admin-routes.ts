/**
 * @module
 * Admin sessions and API keys (seed-compatible paths and `{ success, data }` envelopes).
 * Sessions: sign-in with per-address and per-user+address attempt limits and a growing per-user
 * delay (see {@link LOGIN_LIMITS}), sign-out (revokes the token), password change (limited;
 * revokes every token), token refresh, current user. Keys: server-side paging,
 * search, tag and status filters, sorting by any column including cost over a period, batch
 * create (up to 500) and batch edit, trash (soft delete, restore, permanent delete), expiry
 * changes, secret regeneration, per-key model statistics.
 */
import { jwt } from '@elysiajs/jwt'
import { Elysia, t } from 'elysia'
import type { AdminAuthService } from '../admin/auth-service.ts'
import type { Config } from '../config/schema.ts'
import type { CoordRepository } from '../coord/repository.ts'
import {
  AuthenticationError,
  InvalidRequestError,
  NotFoundError,
  RateLimitError,
} from '../core/errors.ts'
import { newId } from '../core/ids.ts'
import type { Clock } from '../core/ports.ts'
import type { ApiKey } from '../keys/model.ts'
import type { KeyInput, KeyService } from '../keys/service.ts'
import { type Counters, emptyCounters } from '../usage/model.ts'
import { periodRange, type UsageService } from '../usage/service.ts'
import { type AdminGuardDeps, adminGuard } from './admin-guard.ts'
import { BODY_LIMITS, parseLimitedBody } from './body-limit.ts'
import { usageView } from './key-routes.ts'

/** What the admin routes need. */
export interface AdminRouteDeps {
  config: Config
  jwtSecret: string
  auth: AdminAuthService
  guard: AdminGuardDeps
  keys: KeyService
  usage: UsageService
  coord: CoordRepository
  clock: Clock
  ipOf: (request: Request) => string
}

/** An API key as the admin API shows it (never the hash). */
export function keyView(key: ApiKey) {
  const { hash: _hash, ...rest } = key
  return rest
}

/**
 * Sign-in attempt limits. Attempts are counted before the password is checked (atomically, so
 * concurrent guesses cannot all pass) per client address and per user name + address; a success
 * clears that address's counts. Failures from one address never block another: a user name's
 * failures from every address only slow each of its sign-ins down, by a delay that doubles per
 * failure up to `delayMaxMs`, which a stranger can make the admin wait but never lock them out.
 */
export const LOGIN_LIMITS = {
  /** Attempts per client address (any user name) within the window. */
  perIp: 20,
  /** Attempts per user name from one address within the window. */
  perUserAndIp: 5,
  windowMs: 15 * 60_000,
  /** Failures of a user name (from any address) before its sign-ins are slowed down. */
  delayAfter: 5,
  delayBaseMs: 250,
  delayMaxMs: 8000,
  /** Wrong current passwords per admin within the window (change-password). */
  passwordChanges: 5,
}

/** How long a sign-in for a user name with `failures` recent failures waits first (ms). */
export function loginDelayMs(failures: number): number {
  if (failures < LOGIN_LIMITS.delayAfter) return 0
  const doublings = Math.min(failures - LOGIN_LIMITS.delayAfter, 16)
  return Math.min(LOGIN_LIMITS.delayMaxMs, LOGIN_LIMITS.delayBaseMs * 2 ** doublings)
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const LoginBody = t.Object({
  username: t.String({ minLength: 1, maxLength: 200 }),
  password: t.String({ minLength: 1, maxLength: 500 }),
})
const DAY = 86_400_000
const SORTABLE = new Set([
  'name',
  'createdAt',
  'expiresAt',
  'lastUsedAt',
  'isActive',
  'status',
  'cost',
  'requests',
  'tokens',
])

/** Status of a key as the list filters see it. */
export function keyStatus(
  k: ApiKey,
  now: number,
): 'active' | 'disabled' | 'expired' | 'deleted' | 'pending' {
  if (k.isDeleted) return 'deleted'
  if (!k.isActive) return 'disabled'
  if (k.expiresAt && Date.parse(k.expiresAt) <= now) return 'expired'
  if (k.expirationMode === 'activation' && !k.isActivated) return 'pending'
  return 'active'
}

/** Admin controller for sessions and keys. */
export function adminRoutes(deps: AdminRouteDeps) {
  const { keys, usage, coord, clock, config } = deps
  const tz = config.TIMEZONE_OFFSET

  /** Day periods of a named range (today, 7days, 30days, monthly, custom, all). */
  function rangePeriods(q: Record<string, string | undefined>): string[] {
    const now = clock.now()
    const range = q.costTimeRange ?? q.timeRange ?? q.range ?? 'all'
    if (range === 'all') return ['total']
    let from: number
    let to = now + 1
    if (range === 'today') from = now
    else if (range === '7days') from = now - 6 * DAY
    else if (range === '30days') from = now - 29 * DAY
    else if (range === 'monthly')
      return [`m:${new Date(now + tz * 3_600_000).toISOString().slice(0, 7)}`]
    else if (range === 'custom') {
      from = Date.parse(q.costStartDate ?? q.startDate ?? '')
      to = Date.parse(q.costEndDate ?? q.endDate ?? '') + DAY
      if (Number.isNaN(from) || Number.isNaN(to) || from >= to)
        throw new InvalidRequestError('startDate/endDate: expected two dates, start before end')
      if (to - from > 400 * DAY)
        throw new InvalidRequestError('startDate/endDate: at most 400 days')
    } else
      throw new InvalidRequestError(
        'costTimeRange: expected today, 7days, 30days, monthly, custom or all',
      )
    return periodRange(from, to, 'day', tz).map((p) => p.period)
  }

  const web = new Elysia({ name: 'crs.web-auth' })
    .use(jwt({ name: 'adminJwt', secret: deps.jwtSecret, exp: '24h' }))
    .post(
      '/web/auth/login',
      async ({ body, adminJwt, request }) => {
        const ip = deps.ipOf(request)
        const user = body.username.toLowerCase()
        const ipKey = `login-attempt:ip:${ip}`
        const pairKey = `login-attempt:user-ip:${user}\n${ip}`
        const userKey = `login-fail:user:${user}`
        // Count the attempt before checking it: an increment returns the new count atomically.
        const [ipCount, pairCount] = await Promise.all([
          coord.incrementTemp(ipKey, LOGIN_LIMITS.windowMs),
          coord.incrementTemp(pairKey, LOGIN_LIMITS.windowMs),
        ])
        if (ipCount > LOGIN_LIMITS.perIp || pairCount > LOGIN_LIMITS.perUserAndIp) {
          throw new RateLimitError('Too many sign-in attempts from this address; try again later', {
            retryAfter: LOGIN_LIMITS.windowMs / 1000,
            details: { limit_type: 'login_attempts' },
          })
        }
        const delay = loginDelayMs(Number((await coord.getTemp(userKey)) ?? 0))
        if (delay > 0) await sleep(delay)
        let claims: { sub: string; epoch: number }
        try {
          claims = await deps.auth.login(body.username, body.password)
        } catch (err) {
          await coord.incrementTemp(userKey, LOGIN_LIMITS.windowMs)
          deps.guard.audit.record({
            actor: body.username.slice(0, 100),
            ip,
            action: 'auth.login_failed',
            target: '',
          })
          throw err
        }
        await Promise.all([coord.deleteTemp(pairKey), coord.deleteTemp(ipKey)])
        deps.guard.audit.record({ actor: claims.sub, ip, action: 'auth.login', target: '' })
        const lifetime = deps.auth.tokenClaims()!
        const token = await adminJwt.sign({ ...claims, jti: newId(), ...lifetime })
        const expiresIn = lifetime.exp * 1000 - clock.now()
        return { success: true, token, expiresIn, username: claims.sub }
      },
      {
        parse: ({ request, contentType }) =>
          parseLimitedBody(request, contentType, BODY_LIMITS.signIn),
        body: LoginBody,
        detail: {
          tags: ['admin sessions'],
          summary:
            'Sign in; returns a JWT (24 h). Attempts are limited per address and per user name + address; a user name with recent failures is answered more slowly.',
        },
      },
    )

  const session = new Elysia({ name: 'crs.web-session' })
    .use(adminGuard(deps.guard))
    .use(jwt({ name: 'adminJwt', secret: deps.jwtSecret, exp: '24h' }))
    .post(
      '/web/auth/logout',
      async ({ session: s, audit }) => {
        await deps.auth.revoke(s)
        audit('auth.logout', '')
        return { success: true, message: 'Signed out' }
      },
      { detail: { tags: ['admin sessions'], summary: 'Sign out: this token stops working' } },
    )
    .post(
      '/web/auth/refresh',
      async ({ session: s, adminJwt, admin, audit }) => {
        // The new token keeps the sign-in time: refreshing never extends the session's life.
        const lifetime = deps.auth.tokenClaims(s.auth_time)
        if (!lifetime)
          throw new AuthenticationError('The session reached its maximum age; sign in again')
        await deps.auth.revoke(s)
        const token = await adminJwt.sign({
          sub: admin,
          epoch: s.epoch ?? 1,
          jti: newId(),
          ...lifetime,
        })
        audit('auth.refresh', '')
        return {
          success: true,
          token,
          expiresIn: lifetime.exp * 1000 - clock.now(),
          username: admin,
        }
      },
      {
        detail: {
          tags: ['admin sessions'],
          summary:
            'Exchange a valid token for a fresh one (the old one is revoked); a session ends ADMIN_SESSION_MAX_AGE after its sign-in whatever the refreshes',
        },
      },
    )
    .get(
      '/web/auth/user',
      ({ admin, session: s }) => ({
        success: true,
        user: {
          username: admin,
          loginTime: s.iat ? new Date(s.iat * 1000).toISOString() : null,
          expiresAt: s.exp ? new Date(s.exp * 1000).toISOString() : null,
        },
      }),
      { detail: { tags: ['admin sessions'], summary: 'The signed-in admin' } },
    )
    .post(
      '/web/auth/change-password',
      async ({ body, audit, admin }) => {
        // A stolen session must not be able to guess the current password at full speed.
        const attemptsKey = `password-change-attempt:${admin.toLowerCase()}`
        if (
          (await coord.incrementTemp(attemptsKey, LOGIN_LIMITS.windowMs)) >
          LOGIN_LIMITS.passwordChanges
        )
          throw new RateLimitError('Too many password change attempts; try again later', {
            retryAfter: LOGIN_LIMITS.windowMs / 1000,
            details: { limit_type: 'password_change_attempts' },
          })
        await deps.auth.changePassword(body.currentPassword, body.newPassword, body.newUsername)
        await coord.deleteTemp(attemptsKey)
        audit(
          'auth.change_password',
          admin,
          { username: admin },
          { username: body.newUsername ?? admin },
        )
        return { success: true, message: 'Password changed; sign in again' }
      },
      {
        body: t.Object({
          currentPassword: t.String({ minLength: 1 }),
          newPassword: t.String({ minLength: 8, maxLength: 256 }),
          newUsername: t.Optional(t.String({ minLength: 1, maxLength: 64 })),
        }),
        detail: {
          tags: ['admin sessions'],
          summary: 'Change the admin password (and name); every session is revoked',
        },
      },
    )

  const admin = new Elysia({ prefix: '/admin', name: 'crs.admin-keys' })
    .use(adminGuard(deps.guard))
    .get(
      '/api-keys',
      async ({ query }) => {
        const now = clock.now()
        const pageSize = Number(query.pageSize ?? 20)
        const pageNo = Number(query.page ?? 1)
        if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500)
          throw new InvalidRequestError('pageSize: expected 1 to 500')
        if (!Number.isInteger(pageNo) || pageNo < 1)
          throw new InvalidRequestError('page: expected a positive integer')
        const sortBy = query.sortBy ?? 'createdAt'
        if (!SORTABLE.has(sortBy))
          throw new InvalidRequestError(`sortBy: expected one of ${[...SORTABLE].join(', ')}`)
        const order = query.sortOrder === 'asc' ? 1 : -1
        const all = await keys.list()
        const availableTags = [
          ...new Set(all.filter((k) => !k.isDeleted).flatMap((k) => k.tags)),
        ].sort()
        const search = (query.search ?? '').trim().toLowerCase()
        let items = all.filter((k) => (query.status === 'deleted' ? k.isDeleted : !k.isDeleted))
        if (search) {
          items = items.filter((k) =>
            query.searchMode === 'bindingAccount'
              ? `${k.claudeAccountId} ${k.claudeConsoleAccountId}`.toLowerCase().includes(search)
              : `${k.name} ${k.description} ${k.id} ${k.hint}`.toLowerCase().includes(search),
          )
        }
        if (query.tag) items = items.filter((k) => k.tags.includes(query.tag!))
        if (query.isActive === 'true' || query.isActive === 'false')
          items = items.filter((k) => k.isActive === (query.isActive === 'true'))
        if (query.status && query.status !== 'deleted')
          items = items.filter((k) => keyStatus(k, now) === query.status)
        const totals = await usage.sumBy('key', rangePeriods(query))
        const u = (k: ApiKey): Counters => totals.get(k.id) ?? emptyCounters()
        const val = (k: ApiKey): string | number => {
          switch (sortBy) {
            case 'cost':
              return u(k).costNanos
            case 'requests':
              return u(k).requests
            case 'tokens':
              return u(k).inputTokens + u(k).outputTokens
            case 'isActive':
              return k.isActive ? 1 : 0
            case 'status':
              return keyStatus(k, now)
            default:
              return (k[sortBy as keyof ApiKey] as string | null) ?? ''
          }
        }
        items.sort((a, b) => {
          const x = val(a)
          const y = val(b)
          return (x < y ? -1 : x > y ? 1 : 0) * order || a.id.localeCompare(b.id)
        })
        const total = items.length
        const pageItems = items.slice((pageNo - 1) * pageSize, pageNo * pageSize).map((k) => ({
          ...keyView(k),
          status: keyStatus(k, now),
          usage: usageView(u(k)),
        }))
        return {
          success: true,
          data: {
            items: pageItems,
            pagination: { page: pageNo, pageSize, total, totalPages: Math.ceil(total / pageSize) },
            availableTags,
          },
        }
      },
      {
        detail: {
          tags: ['api keys'],
          summary:
            'List keys: page, pageSize, search, searchMode, tag, isActive, status, sortBy (incl. cost), sortOrder, costTimeRange',
        },
      },
    )
    .get(
      '/api-keys/tags',
      async () => ({
        success: true,
        data: [
          ...new Set((await keys.list()).filter((k) => !k.isDeleted).flatMap((k) => k.tags)),
        ].sort(),
      }),
      {
        detail: { tags: ['api keys'], summary: 'Every tag in use' },
      },
    )
    .get(
      '/api-keys/deleted',
      async () => ({
        success: true,
        data: (await keys.list()).filter((k) => k.isDeleted).map(keyView),
      }),
      {
        detail: { tags: ['api keys'], summary: 'Keys in the trash' },
      },
    )
    .get(
      '/supported-clients',
      () => ({
        success: true,
        data: [
          { id: 'claude_code', name: 'Claude Code', description: 'User agent claude-cli/x.y.z' },
          { id: 'gemini_cli', name: 'Gemini CLI', description: 'User agent GeminiCLI/x' },
          {
            id: 'codex_cli',
            name: 'Codex CLI',
            description: 'User agent codex_cli_rs/x or codex_vscode/x',
          },
          { id: 'droid_cli', name: 'Droid CLI', description: 'User agent factory-cli/x' },
        ],
      }),
      { detail: { tags: ['api keys'], summary: 'Clients a key can be restricted to' } },
    )
    .post(
      '/api-keys',
      async ({ body, audit }) => {
        const b = (body ?? {}) as KeyInput & { name?: string }
        if (!b.name) throw new InvalidRequestError('name: field required')
        const { key, plaintext } = await keys.create({ ...b, name: b.name })
        audit('api_key.create', key.id, null, keyView(key))
        return { success: true, data: { ...keyView(key), apiKey: plaintext } }
      },
      {
        detail: {
          tags: ['api keys'],
          summary: 'Create a key; data.apiKey is the plaintext, shown only here',
        },
      },
    )
    .post(
      '/api-keys/batch',
      async ({ body, audit }) => {
        const b = (body ?? {}) as KeyInput & { baseName?: string; count?: number }
        const { baseName, count, ...fields } = b
        if (!baseName) throw new InvalidRequestError('baseName: field required')
        if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > 500)
          throw new InvalidRequestError('count: expected an integer from 1 to 500')
        const created: { id: string; name: string; apiKey: string }[] = []
        for (let i = 1; i <= (count as number); i++) {
          const { key, plaintext } = await keys.create({ ...fields, name: `${baseName}_${i}` })
          created.push({ id: key.id, name: key.name, apiKey: plaintext })
        }
        audit('api_key.batch_create', created.map((c) => c.id).join(','), null, {
          baseName,
          count,
          fields,
        })
        return { success: true, data: created }
      },
      {
        detail: {
          tags: ['api keys'],
          summary: 'Create up to 500 keys named baseName_1…n; every plaintext is returned once',
        },
      },
    )
    .put(
      '/api-keys/batch',
      async ({ body, audit }) => {
        const b = (body ?? {}) as {
          keyIds?: unknown
          updates?: KeyInput & { tagOperation?: string; tags?: string[] }
        }
        if (!Array.isArray(b.keyIds) || b.keyIds.length === 0 || b.keyIds.length > 500)
          throw new InvalidRequestError('keyIds: expected 1 to 500 ids')
        const { tagOperation, ...updates } = b.updates ?? {}
        const results: { id: string; ok: boolean; error?: string }[] = []
        for (const id of b.keyIds as string[]) {
          try {
            const current = await keys.get(id)
            if (!current) throw new NotFoundError(`Cannot find API key "${id}"`)
            const patch: KeyInput = { ...updates }
            if (updates.tags && tagOperation === 'add')
              patch.tags = [...new Set([...current.tags, ...updates.tags])]
            else if (updates.tags && tagOperation === 'remove')
              patch.tags = current.tags.filter((x) => !updates.tags!.includes(x))
            const next = await keys.update(id, patch)
            audit('api_key.update', id, keyView(current), keyView(next))
            results.push({ id, ok: true })
          } catch (err) {
            if (err instanceof InvalidRequestError) throw err
            results.push({ id, ok: false, error: err instanceof Error ? err.message : String(err) })
          }
        }
        return { success: true, data: { updated: results.filter((r) => r.ok).length, results } }
      },
      {
        detail: {
          tags: ['api keys'],
          summary: 'Edit many keys; tagOperation add, remove or set applies to tags',
        },
      },
    )
    .delete(
      '/api-keys/batch',
      async ({ body, audit }) => {
        const b = (body ?? {}) as { keyIds?: unknown }
        if (!Array.isArray(b.keyIds) || b.keyIds.length === 0)
          throw new InvalidRequestError('keyIds: expected a non-empty array')
        let deleted = 0
        for (const id of b.keyIds as string[]) {
          try {
            const k = await keys.softDelete(id)
            audit('api_key.delete', id, null, keyView(k))
            deleted++
          } catch {}
        }
        return { success: true, data: { deleted } }
      },
      { detail: { tags: ['api keys'], summary: 'Move many keys to the trash' } },
    )
    .delete(
      '/api-keys/deleted/clear-all',
      async ({ audit }) => {
        let purged = 0
        for (const k of (await keys.list()).filter((x) => x.isDeleted)) {
          await keys.purge(k.id)
          await usage.purgeKey(k.id)
          purged++
        }
        audit('api_key.clear_trash', '', null, { purged })
        return { success: true, data: { purged } }
      },
      {
        detail: {
          tags: ['api keys'],
          summary: 'Delete every key in the trash permanently, with its usage',
        },
      },
    )
    .get(
      '/api-keys/:id',
      async ({ params }) => {
        const key = await keys.get(params.id)
        if (!key) throw new NotFoundError(`Cannot find API key "${params.id}"`)
        return { success: true, data: { ...keyView(key), status: keyStatus(key, clock.now()) } }
      },
      { detail: { tags: ['api keys'], summary: 'One key' } },
    )
    .put(
      '/api-keys/:id',
      async ({ params, body, audit }) => {
        const before = await keys.get(params.id)
        const next = await keys.update(params.id, (body ?? {}) as KeyInput)
        audit('api_key.update', params.id, before && keyView(before), keyView(next))
        return { success: true, data: keyView(next) }
      },
      {
        detail: {
          tags: ['api keys'],
          summary: 'Edit a key (any limit, restriction, binding or tag)',
        },
      },
    )
    .patch(
      '/api-keys/:id/expiration',
      async ({ params, body, audit }) => {
        const b = (body ?? {}) as { expiresAt?: unknown; activateNow?: unknown }
        const before = await keys.get(params.id)
        if (!before) throw new NotFoundError(`Cannot find API key "${params.id}"`)
        let patch: KeyInput
        if (b.activateNow === true) {
          const now = clock.now()
          const unit = before.activationUnit === 'hours' ? 3_600_000 : DAY
          patch = {
            isActivated: true,
            activatedAt: new Date(now).toISOString(),
            expiresAt: new Date(now + Math.max(1, before.activationDays) * unit).toISOString(),
          }
        } else if (b.expiresAt === null || typeof b.expiresAt === 'string') {
          if (typeof b.expiresAt === 'string' && Number.isNaN(Date.parse(b.expiresAt)))
            throw new InvalidRequestError('expiresAt: expected an ISO date or null')
          patch = { expiresAt: b.expiresAt, expirationMode: 'fixed' }
        } else throw new InvalidRequestError('expiresAt or activateNow: one is required')
        const next = await keys.update(params.id, patch)
        audit(
          'api_key.expiration',
          params.id,
          { expiresAt: before.expiresAt },
          { expiresAt: next.expiresAt },
        )
        return { success: true, data: keyView(next) }
      },
      {
        detail: {
          tags: ['api keys'],
          summary: 'Renew or change the expiry (expiresAt, null = never) or activate now',
        },
      },
    )
    .post(
      '/api-keys/:id/regenerate',
      async ({ params, audit }) => {
        const { key, plaintext } = await keys.regenerate(params.id)
        audit('api_key.regenerate', params.id, null, { hint: key.hint })
        return { success: true, data: { ...keyView(key), apiKey: plaintext } }
      },
      {
        detail: {
          tags: ['api keys'],
          summary:
            'Replace the secret of a key (the old one stops working); the new one is shown once',
        },
      },
    )
    .delete(
      '/api-keys/:id',
      async ({ params, audit }) => {
        const k = await keys.softDelete(params.id)
        audit('api_key.delete', params.id, null, keyView(k))
        return { success: true, message: 'API key moved to the trash' }
      },
      {
        detail: {
          tags: ['api keys'],
          summary: 'Move a key to the trash (it stops working; usage is kept)',
        },
      },
    )
    .post(
      '/api-keys/:id/restore',
      async ({ params, audit }) => {
        const k = await keys.restore(params.id)
        audit('api_key.restore', params.id, null, keyView(k))
        return { success: true, data: keyView(k) }
      },
      { detail: { tags: ['api keys'], summary: 'Restore a key from the trash' } },
    )
    .delete(
      '/api-keys/:id/permanent',
      async ({ params, audit }) => {
        const k = await keys.purge(params.id)
        const counters = await usage.purgeKey(params.id)
        audit('api_key.purge', params.id, keyView(k), null)
        return { success: true, data: { counters } }
      },
      {
        detail: {
          tags: ['api keys'],
          summary: 'Delete a trashed key for good, with its usage counters',
        },
      },
    )
    .get(
      '/api-keys/:id/model-stats',
      async ({ params, query }) => {
        if (!(await keys.get(params.id)))
          throw new NotFoundError(`Cannot find API key "${params.id}"`)
        const range =
          query.period === 'monthly'
            ? 'monthly'
            : query.period === 'daily'
              ? 'today'
              : (query.costTimeRange ?? query.timeRange ?? 'monthly')
        const periods = rangePeriods({ ...query, costTimeRange: range })
        const rows = await usage.keyModelsOver(params.id, periods)
        const data = [...rows]
          .map(([model, c]) => ({ model, ...usageView(c) }))
          .sort((a, b) => b.cost - a.cost || b.requests - a.requests)
        return { success: true, data }
      },
      {
        detail: {
          tags: ['api keys'],
          summary:
            'Per-model usage of a key: period daily|monthly, or costTimeRange with startDate/endDate',
        },
      },
    )

  return new Elysia({ name: 'crs.admin-all' }).use(web).use(session).use(admin)
}
