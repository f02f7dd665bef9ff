/**
 * @module
 * Claude subscription accounts (OAuth tokens of claude.ai). Requests go to the Anthropic API as
 * Claude Code sends them: Bearer access token (refreshed lazily, renewed once after a 401), the
 * OAuth beta flag, a Claude Code user agent, and the Claude Code system prompt first (subscription
 * tokens refuse requests without it). Free and Pro plans cannot use Opus.
 */

import { Type as T } from '@sinclair/typebox'
import type { Account } from '../../accounts/model.ts'
import type { TokenProvider } from '../../accounts/oauth.ts'
import type { Config } from '../../config/schema.ts'
import { upstreamJsonHeaders } from '../../relay/headers.ts'
import { isOpusModel } from '../../usage/model-class.ts'
import type { PlatformAdapter, UpstreamCall, UpstreamRequest } from '../adapter.ts'
import type { ClientIdentity } from './client-identity.ts'
import { applyFixups } from './fixups.ts'
import {
  CLAUDE_FORWARD_HEADERS,
  countTokensUrl,
  DEFAULT_CLAUDE_CLI_UA,
  hasClaudeCodeSystem,
  oauthBeta,
  withClaudeCodeSystem,
} from './protocol.ts'
import type { SessionTracker } from './session-window.ts'

/** Options of {@link createClaudeOAuthAdapter}. */
export interface ClaudeOAuthAdapterOptions {
  config: Pick<Config, 'CLAUDE_API_URL' | 'CLAUDE_API_VERSION'>
  tokens: TokenProvider
  /** The output maximum of a model (`max_tokens` is clamped to it), or null when unknown. */
  maxOutputTokens?: (model: string) => number | null
  /** One client identity per account (captured Claude Code headers, unified UA and client id). */
  identity?: Pick<ClientIdentity, 'applyHeaders' | 'unifyClientId'>
  /** Sees every answer's headers (the 5-hour session window). */
  session?: Pick<SessionTracker, 'observe'>
}

/** Whether a subscription's plan allows `model` (Claude models only; Opus needs Max or better). */
export function subscriptionAllows(account: Account, model: string): boolean {
  if (!/claude|sonnet|opus|haiku/i.test(model)) return false
  if (!isOpusModel(model)) return true
  const info = account.subscriptionInfo ?? {}
  const type = String(info.accountType ?? '')
  return !(
    (info.hasClaudePro === true && info.hasClaudeMax !== true) ||
    type === 'claude_pro' ||
    type === 'claude_free' ||
    type === 'free'
  )
}

/** The seed's per-account settings of a subscription account (`account.options`). */
export const CLAUDE_OAUTH_OPTIONS_SCHEMA = T.Object({
  /** Stop scheduling the account when its 5-hour window reports a warning, until it resets. */
  autoStopOnWarning: T.Optional(T.Boolean()),
  /** Send the newest captured Claude Code user agent for every client. */
  useUnifiedUserAgent: T.Optional(T.Boolean()),
  /** Replace the client part of `metadata.user_id` with this account's one client id. */
  useUnifiedClientId: T.Optional(T.Boolean()),
  unifiedClientId: T.Optional(T.String({ maxLength: 64 })),
  /** Keep `cache_control.ttl` (1-hour caching) instead of removing it. */
  keepCacheTtl: T.Optional(T.Boolean()),
  /** When the subscription ends (ISO), shown and warned about; null = unknown. */
  subscriptionExpiresAt: T.Optional(T.Union([T.String({ maxLength: 40 }), T.Null()])),
})

/** The Claude OAuth adapter. */
export function createClaudeOAuthAdapter(options: ClaudeOAuthAdapterOptions): PlatformAdapter {
  const { config, tokens } = options
  return {
    platform: 'claude-oauth',
    family: 'claude',
    dialects: ['anthropic'],
    probeModel: 'claude-haiku-4-5',
    options: CLAUDE_OAUTH_OPTIONS_SCHEMA,
    modelOk: subscriptionAllows,
    async prepare(call: UpstreamCall): Promise<UpstreamRequest> {
      const token = await tokens.accessToken(call.entry)
      const headers = upstreamJsonHeaders(call.clientHeaders, CLAUDE_FORWARD_HEADERS)
      headers.authorization = `Bearer ${token}`
      headers['anthropic-version'] ??= config.CLAUDE_API_VERSION
      headers['anthropic-beta'] = oauthBeta(call.clientHeaders.get('anthropic-beta'), call.model)
      if (!/^claude-cli\//i.test(headers['user-agent'] ?? ''))
        headers['user-agent'] = DEFAULT_CLAUDE_CLI_UA
      options.identity?.applyHeaders(call.entry, call.clientHeaders, headers)
      let body: Record<string, unknown> | null = hasClaudeCodeSystem(call.body)
        ? null
        : withClaudeCodeSystem(call.body)
      if (call.upstreamModel !== call.model)
        body = { ...(body ?? call.body), model: call.upstreamModel }
      body = options.identity?.unifyClientId(call.entry, body ?? call.body) ?? body
      const fixed =
        call.operation === 'messages'
          ? applyFixups(body ?? call.body, {
              model: call.upstreamModel,
              maxOutputTokens: options.maxOutputTokens?.(call.upstreamModel) ?? null,
              keepCacheTtl: call.entry.account.options.keepCacheTtl === true,
            })
          : null
      if (fixed) body = fixed.body
      return {
        fixups: fixed?.rules,
        url:
          call.operation === 'count_tokens'
            ? countTokensUrl(config.CLAUDE_API_URL)
            : config.CLAUDE_API_URL,
        headers,
        body: body ? JSON.stringify(body) : call.raw,
      }
    },
    observe: options.session
      ? (entry, headers) => options.session!.observe(entry, headers)
      : undefined,
    renewAfterUnauthorized: async (entry) => (await tokens.afterUnauthorized(entry)) !== null,
  }
}
