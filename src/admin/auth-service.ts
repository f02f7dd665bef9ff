/**
 * @module
 * The admin account: one user whose argon2id password hash lives in settings. The initial
 * password comes from ADMIN_PASSWORD or the generated secrets file; changing ADMIN_PASSWORD in
 * the environment later resets it (the digest of the applied value is remembered). Sessions are
 * JWTs carrying an epoch (bumping it revokes every issued token), a `jti` (sign-out revokes that
 * one), an `exp` and the sign-in time `auth_time`: a token lives 24 hours, a session (refreshes
 * included) at most `sessionMaxAgeMs`. A token missing any of them is refused.
 */

import type { CoordRepository } from '../coord/repository.ts'
import { sha256Hex, timingSafeEqual } from '../core/crypto.ts'
import { AuthenticationError } from '../core/errors.ts'
import type { Clock, Logger, PasswordHasher } from '../core/ports.ts'
import type { SettingsRepository } from '../settings/repository.ts'

/** Stored admin credentials. */
export interface AdminDoc {
  username: string
  passwordHash: string
  /** Tokens with another epoch are refused. */
  sessionEpoch: number
  /** SHA-256 of the ADMIN_PASSWORD value last applied from the environment. */
  envDigest: string
  updatedAt: string
}

const SETTING = 'admin'

/** Options of {@link createAdminAuthService}. */
export interface AdminAuthOptions {
  settings: SettingsRepository
  coord: CoordRepository
  hasher: PasswordHasher
  clock: Clock
  logger: Logger
  /** Longest a session lasts from its sign-in, refreshes included (ms). @default 7 days */
  sessionMaxAgeMs?: number
}

/** Lifetime of one session token (refresh before it ends). */
export const TOKEN_TTL_MS = 86_400_000

/** The claims of an admin session token as the guard verified them. */
export interface SessionClaims {
  sub?: unknown
  epoch?: unknown
  jti?: unknown
  exp?: unknown
  iat?: unknown
  auth_time?: unknown
}

/** Creates the admin credential service. */
export function createAdminAuthService(options: AdminAuthOptions) {
  const { settings, coord, hasher, clock, logger } = options
  const maxAgeMs = options.sessionMaxAgeMs ?? 7 * 86_400_000
  let cached: { doc: AdminDoc; at: number } | null = null

  async function load(): Promise<AdminDoc | null> {
    if (cached && clock.now() - cached.at < 2000) return cached.doc
    const doc = (await settings.get(SETTING)) as AdminDoc | null
    if (doc) cached = { doc, at: clock.now() }
    return doc
  }

  async function save(doc: AdminDoc): Promise<void> {
    await settings.put(SETTING, doc)
    cached = { doc, at: clock.now() }
  }

  return {
    /** Creates the admin on first start, or applies a changed ADMIN_PASSWORD from the environment. */
    async ensure(input: { username: string; password: string; fromEnv: boolean }): Promise<void> {
      const existing = await load()
      const digest = input.fromEnv ? await sha256Hex(input.password) : ''
      if (!existing) {
        await save({
          username: input.username,
          passwordHash: await hasher.hash(input.password),
          sessionEpoch: 1,
          envDigest: digest,
          updatedAt: new Date(clock.now()).toISOString(),
        })
        return
      }
      if (input.fromEnv && existing.envDigest !== digest) {
        logger.warn(
          'ADMIN_PASSWORD changed in the environment: admin password reset, sessions revoked',
        )
        await save({
          ...existing,
          username: input.username,
          passwordHash: await hasher.hash(input.password),
          sessionEpoch: existing.sessionEpoch + 1,
          envDigest: digest,
          updatedAt: new Date(clock.now()).toISOString(),
        })
      }
    },

    /** Checks credentials; returns the session claims to sign. */
    async login(username: string, password: string): Promise<{ sub: string; epoch: number }> {
      const doc = await load()
      const nameOk = !!doc && timingSafeEqual(username, doc.username)
      // Verify even for a wrong name so timing does not reveal which part was wrong.
      const passOk = doc ? await hasher.verify(password, doc.passwordHash) : false
      if (!doc || !nameOk || !passOk) throw new AuthenticationError('Invalid username or password')
      return { sub: doc.username, epoch: doc.sessionEpoch }
    },

    /**
     * The claims of a new token for a session signed in at `authTime` (epoch seconds; now when
     * absent): expiring in 24 hours or at the session's end, whichever comes first. Null when the
     * session has reached its maximum age.
     */
    tokenClaims(authTime?: number): { auth_time: number; exp: number } | null {
      const now = clock.now()
      const signedIn = authTime ?? Math.floor(now / 1000)
      const end = signedIn * 1000 + maxAgeMs
      if (end <= now) return null
      return { auth_time: signedIn, exp: Math.floor(Math.min(now + TOKEN_TTL_MS, end) / 1000) }
    },

    /**
     * True when a token's claims are still valid: `exp` and `jti` present, the session within its
     * maximum age, and not revoked one by one or all at once.
     */
    async valid(claims: SessionClaims): Promise<boolean> {
      if (typeof claims.exp !== 'number' || typeof claims.jti !== 'string') return false
      if (typeof claims.auth_time !== 'number') return false
      if (claims.auth_time * 1000 + maxAgeMs <= clock.now()) return false
      const doc = await load()
      if (!doc || claims.sub !== doc.username || claims.epoch !== doc.sessionEpoch) return false
      if (await coord.getTemp(`jwt-revoked:${claims.jti}`)) return false
      return true
    },

    /** Revokes one token until it would have expired anyway (logout). */
    async revoke(claims: { jti?: unknown; exp?: unknown }): Promise<void> {
      if (typeof claims.jti !== 'string') return
      const ttl = typeof claims.exp === 'number' ? claims.exp * 1000 - clock.now() : TOKEN_TTL_MS
      if (ttl > 0) await coord.setTemp(`jwt-revoked:${claims.jti}`, '1', ttl)
    },

    /** Changes the password (and optionally the name) and revokes every session. */
    async changePassword(current: string, next: string, newUsername?: string): Promise<void> {
      const doc = await load()
      if (!doc || !(await hasher.verify(current, doc.passwordHash)))
        throw new AuthenticationError('Current password is wrong')
      await save({
        ...doc,
        username: newUsername || doc.username,
        passwordHash: await hasher.hash(next),
        sessionEpoch: doc.sessionEpoch + 1,
        updatedAt: new Date(clock.now()).toISOString(),
      })
    },

    /** Revokes every issued session token. */
    async revokeAll(): Promise<void> {
      const doc = await load()
      if (doc)
        await save({
          ...doc,
          sessionEpoch: doc.sessionEpoch + 1,
          updatedAt: new Date(clock.now()).toISOString(),
        })
    },

    username: async () => (await load())?.username ?? null,
  }
}

/** The admin auth service's interface. */
export type AdminAuthService = ReturnType<typeof createAdminAuthService>
