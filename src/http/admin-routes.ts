/**
 * @module
 * Admin API (seed-compatible paths and `{ success, data }` envelopes): sign-in, and CRUD of API
 * keys. Every `/admin` route requires a valid,
 * unrevoked admin JWT in `Authorization: Bearer`.
 */
import { jwt } from '@elysiajs/jwt'
import { Elysia, t } from 'elysia'
import type { AdminAuthService } from '../admin/auth-service.ts'
import { InvalidRequestError } from '../core/errors.ts'
import type { ApiKey } from '../keys/model.ts'
import type { KeyInput, KeyService } from '../keys/service.ts'
import { type AdminGuardDeps, adminGuard } from './admin-guard.ts'

/** What the admin routes need. */
export interface AdminRouteDeps {
  jwtSecret: string
  auth: AdminAuthService
  guard: AdminGuardDeps
  keys: KeyService
}

/** An API key as the admin API shows it (never the hash). */
export function keyView(key: ApiKey) {
  const { hash: _hash, ...rest } = key
  return rest
}

const LoginBody = t.Object({
  username: t.String({ minLength: 1 }),
  password: t.String({ minLength: 1 }),
})

/** Admin controller. */
export function adminRoutes(deps: AdminRouteDeps) {
  const { keys } = deps
  const guard = adminGuard(deps.guard)

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

  return new Elysia({ name: 'crs.admin-all' }).use(web).use(admin)
}
