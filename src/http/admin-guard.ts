/**
 * @module
 * The admin session guard: a named plugin (deduplicated by Elysia) that requires a valid,
 * unrevoked admin JWT in `Authorization: Bearer` (checked before the request body is read; the
 * body is then bounded by `BODY_LIMITS.admin`) and gives each route `admin` (the user name),
 * `ip` and `audit(action, target, before, after)`. Every successful admin write is audited: a
 * route that records its own entry (with before/after) is left alone; for any other the guard
 * records a generic entry with the sanitised request body.
 */
import { jwt } from '@elysiajs/jwt'
import { Elysia } from 'elysia'
import type { AuditLog } from '../admin/audit.ts'
import type { AdminAuthService } from '../admin/auth-service.ts'
import { AuthenticationError } from '../core/errors.ts'
import { BODY_LIMITS, parseLimitedBody } from './body-limit.ts'

/** What the guard needs. */
export interface AdminGuardDeps {
  jwtSecret: string
  auth: AdminAuthService
  audit: AuditLog
  /** Client IP of a request. */
  ipOf: (request: Request) => string
}

const audited = new WeakSet<Request>()

/** The verified claims of an admin token. */
export type AdminClaims = {
  sub: string
  jti: string
  exp: number
  iat?: number
  epoch?: number
  auth_time: number
}

type Verifier = { verify(token: string): Promise<false | Record<string, unknown>> }

/** Guard plugin for every `/admin` controller. */
export function adminGuard(deps: AdminGuardDeps) {
  // One verification per request, shared by the parse hook and `derive`.
  const sessions = new WeakMap<Request, Promise<AdminClaims>>()
  const sessionOf = (request: Request, adminJwt: Verifier): Promise<AdminClaims> => {
    let session = sessions.get(request)
    if (!session) {
      session = verify(request, adminJwt)
      sessions.set(request, session)
    }
    return session
  }
  const verify = async (request: Request, adminJwt: Verifier): Promise<AdminClaims> => {
    const header = request.headers.get('authorization') ?? ''
    const token = /^bearer\s+(.+)$/i.exec(header)?.[1]?.trim()
    if (!token)
      throw new AuthenticationError('Admin session required: send Authorization: Bearer <token>')
    const claims = await adminJwt.verify(token)
    if (!claims || !(await deps.auth.valid(claims))) {
      throw new AuthenticationError('Admin session is invalid, expired or revoked')
    }
    return claims as AdminClaims
  }
  return (
    new Elysia({ name: 'crs.admin-guard', seed: deps.jwtSecret })
      .use(jwt({ name: 'adminJwt', secret: deps.jwtSecret, exp: '24h' }))
      // The session is checked before a byte of the body is read, and the body is bounded.
      .onParse({ as: 'scoped' }, async ({ request, contentType, adminJwt }) => {
        await sessionOf(request, adminJwt)
        return parseLimitedBody(request, contentType, BODY_LIMITS.admin)
      })
      .derive({ as: 'scoped' }, async ({ adminJwt, request }) => {
        const claims = await sessionOf(request, adminJwt)
        const admin = String(claims.sub)
        const ip = deps.ipOf(request)
        return {
          admin,
          ip,
          /** The verified token claims (jti, exp) of this session. */
          session: claims,
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
  )
}
