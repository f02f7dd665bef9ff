/**
 * @module
 * OAuth access tokens of Claude subscription accounts. Tokens are refreshed lazily, a minute
 * before expiry, under a lock shared by every instance (CoordRepository), so 20 concurrent
 * requests on 5 instances cause one refresh. The rotated refresh token is stored together with the
 * new access token in one write. Waiters re-read the account instead of refreshing again.
 */
import type { CoordRepository } from '../coord/repository.ts'
import { newId } from '../core/ids.ts'
import type { Clock, FetchFn, Logger } from '../core/ports.ts'
import type { AccountService, PoolEntry } from './service.ts'

/** The public Claude Code OAuth client id. */
export const CLAUDE_OAUTH_CLIENT_ID = '9d1c250a-e61b-44d9-88ed-5944d1962f5e'
const REFRESH_MARGIN_MS = 60_000

/** Options of {@link createTokenProvider}. */
export interface TokenProviderOptions {
  accounts: AccountService
  coord: CoordRepository
  clock: Clock
  logger: Logger
  tokenUrl: string
  /** The fetch to use for an account (its proxy applied). */
  fetchFor: (entry: PoolEntry) => FetchFn
  /** How long a waiter polls for another instance's refresh (ms). */
  waitMs?: number
  /** The refresh grant of another OAuth provider (default: Claude's JSON grant at `tokenUrl`). */
  refreshGrant?: (fetchFn: FetchFn, refreshToken: string) => Promise<RefreshedTokens>
}

/** What a refresh grant returns. */
export interface RefreshedTokens {
  accessToken: string
  refreshToken?: string
  expiresAt: number
  scopes?: string[]
}

/** Error raised when a token cannot be refreshed. */
export class TokenRefreshError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TokenRefreshError'
  }
}

/** Creates the token provider. */
export function createTokenProvider(options: TokenProviderOptions) {
  const { accounts, coord, clock, logger, tokenUrl } = options
  const waitMs = options.waitMs ?? 10_000
  const inflight = new Map<string, Promise<string>>()

  const fresh = (entry: PoolEntry) =>
    !!entry.secrets.accessToken &&
    (entry.account.tokenExpiresAt === 0 ||
      entry.account.tokenExpiresAt - REFRESH_MARGIN_MS > clock.now())

  async function callTokenEndpoint(entry: PoolEntry, refreshToken: string) {
    const res = await options.fetchFor(entry)(tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/plain, */*',
        'user-agent': 'claude-cli/1.0.56 (external, cli)',
        origin: 'https://claude.ai',
        referer: 'https://claude.ai/',
      },
      body: JSON.stringify({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: CLAUDE_OAUTH_CLIENT_ID,
      }),
      signal: AbortSignal.timeout(30_000),
    })
    const text = await res.text()
    if (!res.ok)
      throw new TokenRefreshError(`Cannot refresh token: token endpoint answered ${res.status}`)
    const data = JSON.parse(text) as {
      access_token?: string
      refresh_token?: string
      expires_in?: number
      scope?: string
    }
    if (!data.access_token)
      throw new TokenRefreshError('Cannot refresh token: response has no access_token')
    return {
      accessToken: data.access_token,
      refreshToken: data.refresh_token,
      expiresAt: clock.now() + (data.expires_in ?? 3600) * 1000,
      scopes: data.scope ? data.scope.split(' ').filter(Boolean) : undefined,
    }
  }

  async function refresh(entry: PoolEntry, force: boolean): Promise<string> {
    const id = entry.account.id
    const owner = newId()
    const lock = `oauth-refresh:${id}`
    const startedAt = entry.account.tokenExpiresAt
    if (await coord.acquireLock(lock, owner, 60_000)) {
      try {
        // Someone may have refreshed between our check and the lock.
        const latest = (await accounts.reload(id)) ?? entry
        if (!force && fresh(latest)) return latest.secrets.accessToken!
        if (force && latest.account.tokenExpiresAt !== startedAt && latest.secrets.accessToken)
          return latest.secrets.accessToken
        const refreshToken = latest.secrets.refreshToken
        if (!refreshToken)
          throw new TokenRefreshError('Cannot refresh token: account has no refresh token')
        const tokens = options.refreshGrant
          ? await options.refreshGrant(options.fetchFor(latest), refreshToken)
          : await callTokenEndpoint(latest, refreshToken)
        const stored = await accounts.storeTokens(id, tokens)
        entry.account = stored.account
        entry.secrets = stored.secrets
        logger.info('oauth token refreshed', {
          accountId: id,
          expiresAt: new Date(tokens.expiresAt).toISOString(),
        })
        return stored.secrets.accessToken!
      } finally {
        await coord.releaseLock(lock, owner).catch(() => {})
      }
    }
    // Another instance is refreshing: wait for the stored expiry to change.
    const deadline = clock.now() + waitMs
    while (clock.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200))
      const latest = await accounts.reload(id)
      if (latest && latest.account.tokenExpiresAt !== startedAt && latest.secrets.accessToken)
        return latest.secrets.accessToken
    }
    throw new TokenRefreshError('Cannot refresh token: another instance holds the refresh lock')
  }

  function dedupe(entry: PoolEntry, force: boolean): Promise<string> {
    const id = entry.account.id
    let p = inflight.get(id)
    if (!p) {
      p = refresh(entry, force)
        .catch((err: unknown) => {
          accounts.emit('refresh_failed', entry, err instanceof Error ? err.message : String(err))
          throw err
        })
        .finally(() => inflight.delete(id))
      inflight.set(id, p)
    }
    return p
  }

  return {
    /** A valid access token, refreshing first when it expires within a minute. */
    async accessToken(entry: PoolEntry): Promise<string> {
      if (fresh(entry)) return entry.secrets.accessToken!
      if (!entry.secrets.refreshToken) {
        if (entry.secrets.accessToken) return entry.secrets.accessToken
        throw new TokenRefreshError(
          'Cannot use account: it has neither a valid access token nor a refresh token',
        )
      }
      return dedupe(entry, false)
    },
    /** Refreshes now (admin request); throws {@link TokenRefreshError} when it cannot. */
    async refreshNow(entry: PoolEntry): Promise<string> {
      if (!entry.secrets.refreshToken)
        throw new TokenRefreshError('Cannot refresh token: account has no refresh token')
      return dedupe(entry, true)
    },
    /** Refreshes after an upstream 401; null when the account cannot refresh. */
    async afterUnauthorized(entry: PoolEntry): Promise<string | null> {
      if (!entry.secrets.refreshToken) return null
      try {
        return await dedupe(entry, true)
      } catch (err) {
        logger.warn('oauth refresh after 401 failed', { accountId: entry.account.id, error: err })
        return null
      }
    },
  }
}

/** The token provider's interface. */
export type TokenProvider = ReturnType<typeof createTokenProvider>
