/**
 * @module
 * Admin sessions (seed-compatible paths): sign-in with per-address and per-user+address attempt
 * limits and a growing per-user delay (see {@link LOGIN_LIMITS}), sign-out (revokes the token),
 * password change (limited; revokes every token), token refresh, current user.
 */
import { jwt } from '@elysiajs/jwt'
import { Elysia, t } from 'elysia'
import type { AdminAuthService } from '../admin/auth-service.ts'
import type { CoordRepository } from '../coord/repository.ts'
import { AuthenticationError, RateLimitError } from '../core/errors.ts'
import { newId } from '../core/ids.ts'
import type { Clock } from '../core/ports.ts'
import type { SystemNotice } from '../notify/model.ts'
import { type AdminGuardDeps, adminGuard } from './admin-guard.ts'
import { BODY_LIMITS, parseLimitedBody } from './body-limit.ts'

/** What the session routes need. */
export interface AdminSessionRouteDeps {
  jwtSecret: string
  auth: AdminAuthService
  guard: AdminGuardDeps
  coord: CoordRepository
  clock: Clock
  ipOf: (request: Request) => string
  /** Sends a `security_alert` (webhooks) when a limit below locks someone out. */
  alert?: (notice: SystemNotice) => void
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
/** Admin controller for sign-in and sessions. */
export function adminSessionRoutes(deps: AdminSessionRouteDeps) {
  const { coord, clock } = deps
  const minutes = LOGIN_LIMITS.windowMs / 60_000
  /**
   * A `security_alert` when a count first passes its limit: the increments are atomic, so exactly
   * one attempt sees `limit + 1`, on whichever instance, and the alert is sent once per lockout.
   */
  const alertAt = (
    count: number,
    limit: number,
    code: string,
    subject: string,
    message: string,
  ) => {
    if (count === limit + 1) deps.alert?.({ type: 'security_alert', code, subject, message })
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
        alertAt(
          ipCount,
          LOGIN_LIMITS.perIp,
          'admin_login_locked',
          ip,
          `${LOGIN_LIMITS.perIp} admin sign-in attempts from ${ip} within ${minutes} minutes; further attempts from it are refused for up to ${minutes} minutes`,
        )
        alertAt(
          pairCount,
          LOGIN_LIMITS.perUserAndIp,
          'admin_user_login_locked',
          `${user.slice(0, 100)} from ${ip}`,
          `${LOGIN_LIMITS.perUserAndIp} sign-in attempts as "${user.slice(0, 100)}" from ${ip} within ${minutes} minutes; further attempts are refused for up to ${minutes} minutes`,
        )
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
          alertAt(
            await coord.incrementTemp(userKey, LOGIN_LIMITS.windowMs),
            LOGIN_LIMITS.delayAfter - 1,
            'admin_login_failures',
            user.slice(0, 100),
            `${LOGIN_LIMITS.delayAfter} failed sign-ins as "${user.slice(0, 100)}" within ${minutes} minutes (last from ${ip}); its sign-ins are now slowed down`,
          )
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
        const attempts = await coord.incrementTemp(attemptsKey, LOGIN_LIMITS.windowMs)
        alertAt(
          attempts,
          LOGIN_LIMITS.passwordChanges,
          'admin_password_change_locked',
          admin,
          `${LOGIN_LIMITS.passwordChanges} password change attempts of "${admin}" with a wrong current password within ${minutes} minutes (a stolen session guessing?); further changes are refused for up to ${minutes} minutes`,
        )
        if (attempts > LOGIN_LIMITS.passwordChanges)
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

  return new Elysia({ name: 'crs.admin-sessions' }).use(web).use(session)
}
