/**
 * @module
 * One client identity per subscription account, as the seed keeps it. The headers of genuine
 * Claude Code requests (user agent `claude-cli/<version> (…)`, `x-stainless-*`, `x-app`, …) are
 * captured per account when their version is newer than the one kept (7 days, in the shared
 * store), and the newest Claude Code user agent overall is kept too. On OAuth accounts:
 *
 * - a client that is not Claude Code gets the account's captured headers for the ones it did not
 *   send (else the seed's defaults), so the subscription sees one consistent client;
 * - `useUnifiedUserAgent` sends the newest captured Claude Code user agent for every client;
 * - `useUnifiedClientId` replaces the client part of `metadata.user_id`
 *   (`user_<64 hex>_account_…`) with the account's `unifiedClientId` (derived from the account id
 *   when none is set).
 *
 * The hot path only reads an in-process copy; captures are written and the copy refreshed in the
 * background (at most every 30 s per account), never awaited by a request.
 */
import type { PoolEntry } from '../../accounts/service.ts'
import type { CoordRepository } from '../../coord/repository.ts'
import { sha256HexSync } from '../../core/crypto.ts'
import type { Clock, Logger } from '../../core/ports.ts'
import { STAINLESS_RUNTIME_HEADERS } from '../../relay/headers.ts'
import type { HeaderMap } from '../adapter.ts'

/** Headers captured from Claude Code and replayed for other clients. */
export const IDENTITY_HEADERS = [
  'user-agent',
  'x-stainless-retry-count',
  'x-stainless-timeout',
  ...STAINLESS_RUNTIME_HEADERS,
  'anthropic-dangerous-direct-browser-access',
  'x-app',
] as const

/** The seed's defaults when nothing was captured yet. */
export const DEFAULT_IDENTITY: Record<string, string> = {
  'x-stainless-retry-count': '0',
  'x-stainless-timeout': '60',
  'x-stainless-lang': 'js',
  'x-stainless-package-version': '0.55.1',
  'x-stainless-os': 'Windows',
  'x-stainless-arch': 'x64',
  'x-stainless-runtime': 'node',
  'x-stainless-runtime-version': 'v20.19.2',
  'anthropic-dangerous-direct-browser-access': 'true',
  'x-app': 'cli',
}

const TTL_MS = 7 * 86_400_000
const REFRESH_MS = 30_000
const CC_UA = /^claude-cli\/(\d+(?:\.\d+)*) \(/i
const USER_ID = /^user_[0-9a-f]{64}(_account_)/i

/** The Claude Code version of a user agent, or null when it is not Claude Code. */
export function claudeCodeVersion(ua: string | null | undefined): number[] | null {
  const m = CC_UA.exec(ua ?? '')
  return m ? m[1]!.split('.').map(Number) : null
}

/** Whether version `a` is newer than `b`. */
export function newer(a: number[], b: number[] | null): boolean {
  if (!b) return true
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d !== 0) return d > 0
  }
  return false
}

/** Captured headers of one account. */
export interface CapturedHeaders {
  accountId: string
  version: string
  headers: Record<string, string>
  capturedAt: string
}

/** Options of {@link createClientIdentity}. */
export interface ClientIdentityOptions {
  coord: CoordRepository
  clock: Clock
  logger: Logger
}

/** The identity keeper. */
export function createClientIdentity(options: ClientIdentityOptions) {
  const { coord, clock, logger } = options
  const cache = new Map<string, { value: CapturedHeaders | null; readAt: number; gen: number }>()
  let gen = 0
  let unifiedUa: { value: string | null; readAt: number } = { value: null, readAt: 0 }
  const nameOf = (accountId: string) => `claude-code-headers:${accountId}`
  const UA_NAME = 'claude-code-ua'

  function refresh(accountId: string): void {
    const now = clock.now()
    const c = cache.get(accountId)
    if (c && now - c.readAt < REFRESH_MS) return
    const mine = ++gen
    cache.set(accountId, { value: c?.value ?? null, readAt: now, gen: mine })
    void coord
      .getTemp(nameOf(accountId))
      .then((raw) => {
        // A capture made meanwhile is newer than what this read returns.
        if (cache.get(accountId)?.gen !== mine) return
        cache.set(accountId, { value: raw ? JSON.parse(raw) : null, readAt: now, gen: mine })
      })
      .catch((err) => logger.warn('cannot read captured Claude Code headers', { error: err }))
  }
  function refreshUa(): void {
    const now = clock.now()
    if (now - unifiedUa.readAt < REFRESH_MS) return
    unifiedUa = { ...unifiedUa, readAt: now }
    void coord
      .getTemp(UA_NAME)
      .then((v) => {
        const seen = claudeCodeVersion(v)
        if (seen && newer(seen, claudeCodeVersion(unifiedUa.value)))
          unifiedUa = { value: v, readAt: now }
      })
      .catch(() => {})
  }

  /** Keeps a genuine Claude Code request's headers when they are newer than the kept ones. */
  function capture(entry: PoolEntry, client: Headers): void {
    const version = claudeCodeVersion(client.get('user-agent'))
    if (!version) return
    const id = entry.account.id
    refresh(id)
    const kept = cache.get(id)?.value
    const ua = client.get('user-agent')!
    if (newer(version, claudeCodeVersion(unifiedUa.value))) {
      unifiedUa = { value: ua, readAt: clock.now() }
      void coord.setTemp(UA_NAME, ua, TTL_MS).catch(() => {})
    }
    if (kept && !newer(version, claudeCodeVersion(kept.headers['user-agent']))) return
    const headers: Record<string, string> = {}
    for (const name of IDENTITY_HEADERS) {
      const v = client.get(name)
      if (v) headers[name] = v
    }
    const value: CapturedHeaders = {
      accountId: id,
      version: version.join('.'),
      headers,
      capturedAt: new Date(clock.now()).toISOString(),
    }
    cache.set(id, { value, readAt: clock.now(), gen: ++gen })
    void coord
      .setTemp(nameOf(id), JSON.stringify(value), TTL_MS)
      .catch((err) => logger.warn('cannot store captured Claude Code headers', { error: err }))
  }

  /** Applies the identity rules to an OAuth request's headers (in place). */
  function applyHeaders(entry: PoolEntry, client: Headers, headers: HeaderMap): void {
    const isClaudeCode = claudeCodeVersion(client.get('user-agent')) !== null
    const opts = entry.account.options
    if (isClaudeCode) capture(entry, client)
    else {
      refresh(entry.account.id)
      const kept = cache.get(entry.account.id)?.value?.headers ?? {}
      for (const [name, value] of Object.entries({ ...DEFAULT_IDENTITY, ...kept }))
        if (!client.has(name) || name === 'user-agent') headers[name] = value
    }
    if (opts.useUnifiedUserAgent === true) {
      refreshUa()
      if (unifiedUa.value) headers['user-agent'] = unifiedUa.value
    }
  }

  /** The body with the account's unified client id in `metadata.user_id`, or null (unchanged). */
  function unifyClientId(
    entry: PoolEntry,
    body: Record<string, unknown>,
  ): Record<string, unknown> | null {
    if (entry.account.options.useUnifiedClientId !== true) return null
    const meta = body.metadata as { user_id?: unknown } | undefined
    const userId = typeof meta?.user_id === 'string' ? meta.user_id : null
    if (!userId || !USER_ID.test(userId)) return null
    const configured = entry.account.options.unifiedClientId
    const clientId =
      typeof configured === 'string' && /^[0-9a-f]{64}$/i.test(configured)
        ? configured.toLowerCase()
        : sha256HexSync(`unified-client:${entry.account.id}`)
    const next = userId.replace(USER_ID, `user_${clientId}$1`)
    if (next === userId) return null
    return { ...body, metadata: { ...meta, user_id: next } }
  }

  return {
    applyHeaders,
    unifyClientId,
    /** Captured headers of the given accounts (admin view). */
    async list(accountIds: string[]): Promise<CapturedHeaders[]> {
      const out: CapturedHeaders[] = []
      for (const id of accountIds) {
        const raw = await coord.getTemp(nameOf(id))
        if (raw) out.push(JSON.parse(raw) as CapturedHeaders)
      }
      return out
    },
    /** The newest captured Claude Code user agent. */
    unifiedUserAgent: () => coord.getTemp(UA_NAME),
    /** Forgets an account's captured headers. */
    async clear(accountId: string): Promise<void> {
      cache.delete(accountId)
      await coord.deleteTemp(nameOf(accountId))
    },
    /** Forgets the newest captured user agent. */
    async clearUserAgent(): Promise<void> {
      unifiedUa = { value: null, readAt: 0 }
      await coord.deleteTemp(UA_NAME)
    },
  }
}

/** The identity keeper's interface. */
export type ClientIdentity = ReturnType<typeof createClientIdentity>
