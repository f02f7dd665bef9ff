/**
 * @module
 * The admin account: one user whose argon2id password hash lives in settings. The initial
 * password comes from ADMIN_PASSWORD or the generated secrets file; changing ADMIN_PASSWORD in
 * the environment later resets it (the digest of the applied value is remembered). Sessions are
 * JWTs carrying an epoch; bumping the epoch revokes every issued token.
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
}

/** Creates the admin credential service. */
export function createAdminAuthService(options: AdminAuthOptions) {
  const { settings, coord, hasher, clock, logger } = options
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

    /** True when a token's claims are still valid (not revoked one by one or all at once). */
    async valid(claims: { sub?: unknown; epoch?: unknown; jti?: unknown }): Promise<boolean> {
      const doc = await load()
      if (!doc || claims.sub !== doc.username || claims.epoch !== doc.sessionEpoch) return false
      if (typeof claims.jti === 'string' && (await coord.getTemp(`jwt-revoked:${claims.jti}`)))
        return false
      return true
    },

    /** Revokes one token until it would have expired anyway (logout). */
    async revoke(claims: { jti?: unknown; exp?: unknown }): Promise<void> {
      if (typeof claims.jti !== 'string') return
      const ttl = typeof claims.exp === 'number' ? claims.exp * 1000 - clock.now() : 86_400_000
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
