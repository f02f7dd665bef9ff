/**
 * @module
 * The admin session guard: a named plugin (deduplicated by Elysia) that requires a valid,
 * unrevoked admin JWT in `Authorization: Bearer` and gives each route `admin` (the user name),
 * `ip` and `audit(action, target, before, after)`. Every successful admin write is audited: a
 * route that records its own entry (with before/after) is left alone; for any other the guard
 * records a generic entry with the sanitised request body.
 */
import { jwt } from '@elysiajs/jwt'
import { Elysia } from 'elysia'
import type { AuditLog } from '../admin/audit.ts'
import type { AdminAuthService } from '../admin/auth-service.ts'
import { AuthenticationError } from '../core/errors.ts'

/** What the guard needs. */
export interface AdminGuardDeps {
  jwtSecret: string
  auth: AdminAuthService
  audit: AuditLog
  /** Client IP of a request. */
  ipOf: (request: Request) => string
}

const audited = new WeakSet<Request>()

/** Guard plugin for every `/admin` controller. */
export function adminGuard(deps: AdminGuardDeps) {
  return new Elysia({ name: 'crs.admin-guard', seed: deps.jwtSecret })
    .use(jwt({ name: 'adminJwt', secret: deps.jwtSecret, exp: '24h' }))
    .derive({ as: 'scoped' }, async ({ adminJwt, request }) => {
      const header = request.headers.get('authorization') ?? ''
      const token = /^bearer\s+(.+)$/i.exec(header)?.[1]?.trim()
      if (!token)
        throw new AuthenticationError('Admin session required: send Authorization: Bearer <token>')
      const claims = await adminJwt.verify(token)
      if (
        !claims ||
        !(await deps.auth.valid(claims as { sub?: unknown; epoch?: unknown; jti?: unknown }))
      ) {
        throw new AuthenticationError('Admin session is invalid, expired or revoked')
      }
      const admin = String((claims as { sub: string }).sub)
      const ip = deps.ipOf(request)
      return {
        admin,
        ip,
        /** The verified token claims (jti, exp) of this session. */
        session: claims as { sub: string; jti?: string; exp?: number; iat?: number },
        /** Records an audit entry for this request (before/after are sanitised). */
        audit: (action: string, target: string, before?: unknown, after?: unknown) => {
          audited.add(request)
          deps.audit.record({ actor: admin, ip, action, target, before, after })
        },
      }
    })
    .onAfterHandle({ as: 'scoped' }, ({ request, body, set, path, params, admin }) => {
      if (request.method === 'GET' || request.method === 'HEAD' || audited.has(request)) return
      const status = typeof set.status === 'number' ? set.status : 200
      if (status >= 400) return
      const target = (params as Record<string, string> | undefined)?.id ?? ''
      deps.audit.record({
        actor: admin,
        ip: deps.ipOf(request),
        action: `${request.method} ${path}`,
        target,
        before: null,
        after: body ?? null,
      })
    })
}
