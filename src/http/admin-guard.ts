/**
 * @module
 * The admin session guard: a named plugin (deduplicated by Elysia) that requires a valid,
 * unrevoked admin JWT in `Authorization: Bearer` and exposes the admin name as `admin`.
 */
import { jwt } from '@elysiajs/jwt'
import { Elysia } from 'elysia'
import type { AdminAuthService } from '../admin/auth-service.ts'
import { AuthenticationError } from '../core/errors.ts'

/** Guard plugin for every `/admin` controller. */
export function adminGuard(jwtSecret: string, auth: AdminAuthService) {
  return new Elysia({ name: 'crs.admin-guard', seed: jwtSecret })
    .use(jwt({ name: 'adminJwt', secret: jwtSecret, exp: '24h' }))
    .derive({ as: 'scoped' }, async ({ adminJwt, request }) => {
      const header = request.headers.get('authorization') ?? ''
      const token = /^bearer\s+(.+)$/i.exec(header)?.[1]?.trim()
      if (!token)
        throw new AuthenticationError('Admin session required: send Authorization: Bearer <token>')
      const claims = await adminJwt.verify(token)
      if (!claims || !(await auth.valid(claims as { sub?: unknown; epoch?: unknown }))) {
        throw new AuthenticationError('Admin session is invalid, expired or revoked')
      }
      return { admin: String((claims as { sub: string }).sub) }
    })
}
