/**
 * @module
 * The Gemini family as the composition root wires it: the API-key adapter, and the Google-login
 * adapter with its own token provider (Google's refresh grant under the shared refresh lock, the
 * new token saved) and per-account project finder.
 */
import { createTokenProvider, type TokenProvider } from '../../accounts/oauth.ts'
import type { AccountService, PoolEntry } from '../../accounts/service.ts'
import type { Config } from '../../config/schema.ts'
import type { CoordRepository } from '../../coord/repository.ts'
import type { Clock, FetchFn, Logger } from '../../core/ports.ts'
import type { PlatformAdapter } from '../adapter.ts'
import { createGeminiApiAdapter } from './api-adapter.ts'
import { createProjectFinder } from './code-assist.ts'
import { googleRefreshGrant } from './google-oauth.ts'
import { createGeminiOAuthAdapter } from './oauth-adapter.ts'

/** The Gemini adapters and the Google-login token provider (for the admin routes). */
export function createGeminiPlatform(deps: {
  config: Pick<Config, 'GEMINI_CODE_ASSIST_URL' | 'GEMINI_OAUTH_TOKEN_URL'>
  accounts: AccountService
  coord: CoordRepository
  clock: Clock
  logger: Logger
  fetchFor: (entry: PoolEntry) => FetchFn
}): { adapters: PlatformAdapter[]; tokens: TokenProvider } {
  const { config, clock } = deps
  const grant = googleRefreshGrant(config.GEMINI_OAUTH_TOKEN_URL, () => clock.now())
  const tokens = createTokenProvider({
    accounts: deps.accounts,
    coord: deps.coord,
    clock,
    logger: deps.logger,
    tokenUrl: config.GEMINI_OAUTH_TOKEN_URL,
    fetchFor: deps.fetchFor,
    refreshGrant: (entry, refreshToken) => grant(deps.fetchFor(entry), refreshToken),
  })
  const projects = createProjectFinder({ accounts: deps.accounts })
  return {
    adapters: [
      createGeminiApiAdapter(),
      createGeminiOAuthAdapter({ config, tokens, projects, fetchFor: deps.fetchFor }),
    ],
    tokens,
  }
}
