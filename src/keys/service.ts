/**
 * @module
 * API keys: generation (`cr_` + 64 hex), hashing (SHA-256 of key + ENCRYPTION_KEY, as the system
 * we replace does, so imported keys keep working), authentication with an in-process cache that
 * other instances invalidate over the broadcast channel, and admin create/update/delete.
 */
import { Value } from '@sinclair/typebox/value'
import { type CoordRepository, RESYNC } from '../coord/repository.ts'
import { randomHex, sha256Hex } from '../core/crypto.ts'
import {
  AuthenticationError,
  ConflictError,
  InvalidRequestError,
  NotFoundError,
  ServiceUnavailableError,
} from '../core/errors.ts'
import { newId } from '../core/ids.ts'
import type { Clock, Logger } from '../core/ports.ts'
import { nextTurn } from '../core/serial-flush.ts'
import { ApiKey } from './model.ts'
import type { KeyRepository } from './repository.ts'

/** Broadcast channel carrying ids of changed keys. */
export const KEY_CHANNEL = 'keys'

/** Options of {@link createKeyService}. */
export interface KeyServiceOptions {
  repo: KeyRepository
  coord: CoordRepository
  clock: Clock
  logger: Logger
  encryptionKey: string
  prefix: string
  /** How long a cached key stays valid without an invalidation message (ms). */
  cacheTtlMs?: number
}

interface CacheEntry {
  key: ApiKey | null
  until: number
  expiresAtMs: number
}

/** Hashes a plaintext key the way the old system did: hex SHA-256 of key + ENCRYPTION_KEY. */
export function hashApiKey(plain: string, encryptionKey: string): Promise<string> {
  return sha256Hex(plain + encryptionKey)
}

/**
 * Takes the client key as the old system did, from the first of: `x-api-key`, `x-goog-api-key`,
 * `Authorization` (a `Bearer ` prefix removed), `api-key`, then the `key` query parameter of
 * `url` (Gemini clients send it there). The URL is only parsed when nothing else carries a key.
 */
export function extractApiKey(headers: Headers, url?: string): string | null {
  const x = headers.get('x-api-key')?.trim() || headers.get('x-goog-api-key')?.trim()
  if (x) return x
  const auth = headers.get('authorization')?.trim()
  if (auth) {
    const m = /^bearer\s+(.+)$/i.exec(auth)
    const v = (m ? m[1]! : auth).trim()
    if (v) return v
  }
  const a = headers.get('api-key')?.trim()
  if (a) return a
  if (url) {
    const q = url.indexOf('?')
    if (q >= 0 && url.includes('key=', q)) {
      const hash = url.indexOf('#', q)
      const v = new URLSearchParams(url.slice(q + 1, hash < 0 ? undefined : hash)).get('key')
      if (v?.trim()) return v.trim()
    }
  }
  return null
}

/** Fields of a key only the relay sets. */
export const KEY_READ_ONLY_FIELDS = [
  'id',
  'hash',
  'hint',
  'createdAt',
  'updatedAt',
  'lastUsedAt',
  'isDeleted',
  'deletedAt',
] as const
const READ_ONLY = new Set<string>(KEY_READ_ONLY_FIELDS)
/** Fields an admin may set. */
const EDITABLE = new Set(Object.keys(ApiKey.properties).filter((k) => !READ_ONLY.has(k)))

/** Fields an admin may set when creating or editing a key. */
export type KeyInput = Partial<Omit<ApiKey, (typeof KEY_READ_ONLY_FIELDS)[number]>>

/** Creates the key service. */
export function createKeyService(options: KeyServiceOptions) {
  const { repo, coord, clock, logger, encryptionKey, prefix } = options
  const ttl = options.cacheTtlMs ?? 30_000
  const cache = new Map<string, CacheEntry>()
  const idToHash = new Map<string, string>()
  const hashes = new Map<string, string>()
  const lastUsed = new Map<string, number>()
  let touched = new Map<string, number>()
  /**
   * Bumped by every invalidation. A lookup that overlapped one may have read the record before the
   * change, so its result serves that request but is not cached (else it would stay for `ttl`).
   */
  let generation = 0

  /**
   * Stores the pending last-use times with writes that touch nothing else of the keys (a
   * read-modify-write here could undo an admin's edit made in between), 100 keys per write with
   * a turn of the event loop between writes: thousands of keys first used in the same 5 s made
   * one write long enough to hold up requests (500 keys took 27–39 ms on SQLite under load).
   * Times not written (a failure) are kept for the next flush.
   */
  async function flushTouches(): Promise<void> {
    if (touched.size === 0) return
    const all = [...touched]
    touched = new Map()
    for (let i = 0; i < all.length; i += TOUCH_SLICE) {
      if (i > 0) await nextTurn()
      try {
        await repo.recordUse(new Map(all.slice(i, i + TOUCH_SLICE)))
      } catch (err) {
        for (const [id, at] of all.slice(i)) if ((touched.get(id) ?? 0) < at) touched.set(id, at)
        throw err
      }
    }
  }

  void coord
    .subscribe(KEY_CHANNEL, (id) => {
      generation++
      const hash = idToHash.get(id)
      if (hash) cache.delete(hash)
      // Invalidations may have been missed: every entry is read again on its next use, but stays
      // as the last read to fall back on should storage not answer.
      if (id === RESYNC) for (const entry of cache.values()) entry.until = 0
    })
    .catch((err) =>
      logger.warn('cannot subscribe to key invalidations; relying on cache expiry', { error: err }),
    )

  const remember = (hash: string, key: ApiKey | null, now: number) => {
    if (cache.size > 50_000) cache.clear()
    // Unknown keys are remembered briefly so a flood of wrong keys does not reach storage.
    cache.set(hash, {
      key,
      until: now + (key ? ttl : 5_000),
      expiresAtMs: key?.expiresAt ? Date.parse(key.expiresAt) : 0,
    })
    if (key) idToHash.set(key.id, hash)
  }

  const changed = async (key: ApiKey, oldHash?: string) => {
    if (oldHash) cache.delete(oldHash)
    cache.delete(key.hash)
    await coord.publish(KEY_CHANNEL, key.id).catch(() => {})
  }

  /**
   * Reads a key by hash into the cache. When storage is down, a key seen before keeps working on
   * its last read (`stale`, left as it is so the next request asks storage again; admission still
   * needs storage for a key with limits); an unknown one gets a 503 rather than a 500.
   */
  async function lookUp(
    hash: string,
    stale: CacheEntry | undefined,
    now: number,
  ): Promise<CacheEntry> {
    const seen = generation
    let found: ApiKey | null
    try {
      found = await repo.findByHash(hash)
    } catch (err) {
      logger.warn('cannot look up an API key: storage unavailable', { error: err })
      if (stale) return stale
      throw new ServiceUnavailableError('Storage is unavailable; try again shortly', {
        retryAfter: 2,
      })
    }
    if (seen === generation) {
      remember(hash, found, now)
      return cache.get(hash)!
    }
    const expiresAtMs = found?.expiresAt ? Date.parse(found.expiresAt) : 0
    return { key: found, until: 0, expiresAtMs }
  }

  /**
   * Resolves a plaintext key to its record or throws a 401 naming the reason. A key in activation
   * mode is activated by its first use unless `activate` is false (read-only lookups).
   */
  async function authenticate(
    plain: string | null,
    options: { activate?: boolean } = {},
  ): Promise<ApiKey> {
    if (!plain)
      throw new AuthenticationError(
        'Missing API key: send it in x-api-key or Authorization: Bearer',
      )
    if (plain.length < 10 || plain.length > 512 || !plain.startsWith(prefix)) {
      throw new AuthenticationError('Invalid API key format')
    }
    const now = clock.now()
    // The hash of a recently seen key is remembered (the process already holds the salt).
    let hash = hashes.get(plain)
    if (!hash) {
      hash = await hashApiKey(plain, encryptionKey)
      if (hashes.size >= 20_000) hashes.clear()
      hashes.set(plain, hash)
    }
    let entry = cache.get(hash)
    if (!entry || entry.until <= now) entry = await lookUp(hash, entry, now)
    const key = entry.key
    if (!key || key.isDeleted) throw new AuthenticationError('Invalid API key: API key not found')
    if (!key.isActive) throw new AuthenticationError('Invalid API key: API key is disabled')
    if (entry.expiresAtMs && entry.expiresAtMs <= now)
      throw new AuthenticationError('Invalid API key: API key has expired')
    if (key.expirationMode === 'activation' && !key.isActivated && options.activate !== false)
      return activate(key, hash, now)
    return key
  }

  async function activate(key: ApiKey, hash: string, now: number): Promise<ApiKey> {
    const unitMs = key.activationUnit === 'hours' ? 3_600_000 : 86_400_000
    const fresh = (await repo.get(key.id)) ?? key
    if (fresh.isActivated) {
      remember(hash, fresh, now)
      return fresh
    }
    const activated: ApiKey = {
      ...fresh,
      isActivated: true,
      activatedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + Math.max(1, fresh.activationDays) * unitMs).toISOString(),
      updatedAt: new Date(now).toISOString(),
    }
    await repo.put(activated)
    remember(hash, activated, now)
    await changed(activated)
    return activated
  }

  function validateInput(input: KeyInput, base: ApiKey): ApiKey {
    for (const field of Object.keys(input)) {
      if (!EDITABLE.has(field))
        throw new InvalidRequestError(
          `Invalid API key field ${field}: it cannot be set (unknown or read-only)`,
        )
    }
    const merged = Value.Default(ApiKey, { ...base, ...input }) as ApiKey
    const errors = [...Value.Errors(ApiKey, merged)]
    if (errors.length > 0) {
      const e = errors[0]!
      throw new InvalidRequestError(
        `Invalid API key field ${e.path.replace(/^\//, '') || '(body)'}: ${e.message}`,
      )
    }
    if (merged.expiresAt && Number.isNaN(Date.parse(merged.expiresAt))) {
      throw new InvalidRequestError('Invalid API key field expiresAt: expected an ISO date')
    }
    return Value.Clean(ApiKey, merged) as ApiKey
  }

  /** Creates a key; the plaintext is returned once and never stored. */
  async function create(
    input: KeyInput & { name: string },
  ): Promise<{ key: ApiKey; plaintext: string }> {
    const now = new Date(clock.now()).toISOString()
    const plaintext = `${prefix}${randomHex(32)}`
    const hash = await hashApiKey(plaintext, encryptionKey)
    const base = Value.Default(ApiKey, {
      id: newId(),
      name: input.name,
      hash,
      createdAt: now,
      updatedAt: now,
    }) as ApiKey
    const key = validateInput(input, {
      ...base,
      hint: `${plaintext.slice(0, prefix.length + 4)}…${plaintext.slice(-4)}`,
    })
    await repo.put(key)
    await changed(key)
    return { key, plaintext }
  }

  /** Applies an admin edit. */
  async function update(id: string, input: KeyInput): Promise<ApiKey> {
    const current = await repo.get(id)
    if (!current) throw new NotFoundError(`Cannot find API key "${id}"`)
    const next = validateInput(input, {
      ...current,
      updatedAt: new Date(clock.now()).toISOString(),
    })
    await repo.put(next)
    await changed(next)
    return next
  }

  /** Soft delete: the key stops working, its usage stays. */
  async function softDelete(id: string): Promise<ApiKey> {
    const current = await repo.get(id)
    if (!current || current.isDeleted) throw new NotFoundError(`Cannot find API key "${id}"`)
    const now = new Date(clock.now()).toISOString()
    const next: ApiKey = {
      ...current,
      isDeleted: true,
      deletedAt: now,
      isActive: false,
      updatedAt: now,
    }
    await repo.put(next)
    await changed(next)
    return next
  }

  /** Brings a soft-deleted key back, enabled again. */
  async function restore(id: string): Promise<ApiKey> {
    const current = await repo.get(id)
    if (!current?.isDeleted) throw new NotFoundError(`Cannot find deleted API key "${id}"`)
    const next: ApiKey = {
      ...current,
      isDeleted: false,
      deletedAt: null,
      isActive: true,
      updatedAt: new Date(clock.now()).toISOString(),
    }
    await repo.put(next)
    await changed(next)
    return next
  }

  /** Removes a soft-deleted key for good (its usage counters are purged by the caller). */
  async function purge(id: string): Promise<ApiKey> {
    const current = await repo.get(id)
    if (!current) throw new NotFoundError(`Cannot find API key "${id}"`)
    if (!current.isDeleted)
      throw new ConflictError(
        `Cannot delete API key "${id}" permanently: move it to the trash first`,
      )
    await repo.delete(id)
    await changed(current)
    return current
  }

  /** Issues a new secret for a key (the old one stops working at once); returns it once. */
  async function regenerate(id: string): Promise<{ key: ApiKey; plaintext: string }> {
    const current = await repo.get(id)
    if (!current || current.isDeleted) throw new NotFoundError(`Cannot find API key "${id}"`)
    const plaintext = `${prefix}${randomHex(32)}`
    const next: ApiKey = {
      ...current,
      hash: await hashApiKey(plaintext, encryptionKey),
      hint: `${plaintext.slice(0, prefix.length + 4)}…${plaintext.slice(-4)}`,
      updatedAt: new Date(clock.now()).toISOString(),
    }
    await repo.put(next)
    await changed(next, current.hash)
    return { key: next, plaintext }
  }

  return {
    authenticate,
    create,
    update,
    softDelete,
    restore,
    purge,
    regenerate,
    get: (id: string) => repo.get(id),
    list: () => repo.list(),
    /** Records the last use (off the hot path; callers do not await). */
    touch: async (key: ApiKey) => {
      const now = clock.now()
      if (now - (lastUsed.get(key.id) ?? 0) < TOUCH_EVERY_MS) return
      lastUsed.set(key.id, now)
      key.lastUsedAt = new Date(now).toISOString()
      touched.set(key.id, now)
    },
    /** Stores the pending lastUsedAt values (periodically and on shutdown). */
    flushTouches,
  }
}

/** Keys per last-use write. */
const TOUCH_SLICE = 100

/** A key's lastUsedAt is recorded at most this often (per process). */
const TOUCH_EVERY_MS = 5 * 60_000

/** The key service's interface. */
export type KeyService = ReturnType<typeof createKeyService>
