/**
 * @module
 * Claude Console accounts: an Anthropic-compatible API (api.anthropic.com or a gateway) reached
 * with an API key at the account's `apiUrl`. The key goes in `x-api-key` when it is an Anthropic
 * key (`sk-ant-…`) and as a Bearer token otherwise; the account's `userAgent`, when set, replaces
 * the client's.
 */
import { Type as T } from '@sinclair/typebox'
import type { Config } from '../../config/schema.ts'
import { upstreamJsonHeaders } from '../../relay/headers.ts'
import type { PlatformAdapter, UpstreamCall, UpstreamRequest } from '../adapter.ts'
import {
  apiKeyHeader,
  CLAUDE_FORWARD_HEADERS,
  consoleMessagesUrl,
  DEFAULT_CLAUDE_CLI_UA,
} from './protocol.ts'

/** The seed's per-account settings of a console account (`account.options`). */
export const CLAUDE_CONSOLE_OPTIONS_SCHEMA = T.Object({
  /** USD per quota day; 0 = no quota. */
  dailyQuota: T.Optional(T.Number({ minimum: 0 })),
  /** When the quota day starts, `HH:mm` at TIMEZONE_OFFSET (default 00:00). */
  quotaResetTime: T.Optional(T.String({ pattern: '^(([01]\\d|2[0-3]):[0-5]\\d)?$' })),
  /** Minutes a 429 without a reset time keeps the account out; 0 = the default (5 minutes). */
  rateLimitDuration: T.Optional(T.Number({ minimum: 0, maximum: 10_080 })),
  /** When the subscription behind the key ends (ISO); null = unknown. */
  subscriptionExpiresAt: T.Optional(T.Union([T.String({ maxLength: 40 }), T.Null()])),
})

/** The Claude Console adapter. */
export function createClaudeConsoleAdapter(options: {
  config: Pick<Config, 'CLAUDE_API_VERSION'>
}): PlatformAdapter {
  const { config } = options
  return {
    platform: 'claude-console',
    family: 'claude',
    dialects: ['anthropic'],
    probeModel: 'claude-haiku-4-5',
    options: CLAUDE_CONSOLE_OPTIONS_SCHEMA,
    classify(refusal, entry) {
      const result = {
        kind: 'http' as const,
        status: refusal.status,
        headers: refusal.headers,
        message: refusal.message,
        model: refusal.model,
      }
      // `rateLimitDuration` (minutes) sets how long a 429 keeps the account out when the
      // upstream names no reset time; 0 keeps the default.
      const minutes = Number(entry.account.options.rateLimitDuration ?? 0)
      if (
        refusal.status !== 429 ||
        !(minutes > 0) ||
        refusal.headers.has('anthropic-ratelimit-unified-reset') ||
        refusal.headers.has('retry-after')
      )
        return result
      const headers = new Headers(refusal.headers)
      headers.set('retry-after', String(Math.round(minutes * 60)))
      return { ...result, headers }
    },
    async prepare(call: UpstreamCall): Promise<UpstreamRequest> {
      const a = call.entry.account
      const headers = upstreamJsonHeaders(call.clientHeaders, CLAUDE_FORWARD_HEADERS)
      const [name, value] = apiKeyHeader(call.entry.secrets.apiKey ?? '')
      headers[name] = value
      headers['anthropic-version'] ??= config.CLAUDE_API_VERSION
      if (a.userAgent) headers['user-agent'] = a.userAgent
      else headers['user-agent'] ??= DEFAULT_CLAUDE_CLI_UA
      return {
        url: consoleMessagesUrl(a.apiUrl, call.operation === 'count_tokens'),
        headers,
        body:
          call.upstreamModel !== call.model
            ? JSON.stringify({ ...call.body, model: call.upstreamModel })
            : call.raw,
      }
    },
  }
}
