/**
 * @module
 * What every Claude upstream (OAuth subscriptions, Console API keys) expects beyond the body:
 * the client headers it may see, the Claude Code identity that subscription tokens require, the
 * OAuth beta flag, and where the Messages and count_tokens endpoints live under a base URL.
 */
import { STAINLESS_RUNTIME_HEADERS } from '../../relay/headers.ts'

/** Client headers that may be forwarded to a Claude upstream (lower case). */
export const CLAUDE_FORWARD_HEADERS = [
  'accept',
  'anthropic-version',
  'anthropic-beta',
  'anthropic-dangerous-direct-browser-access',
  'x-app',
  'x-stainless-retry-count',
  'x-stainless-timeout',
  ...STAINLESS_RUNTIME_HEADERS,
  'x-stainless-helper-method',
  'user-agent',
] as const

/** The Claude Code system prompt that OAuth (subscription) tokens require. */
export const CLAUDE_CODE_SYSTEM = "You are Claude Code, Anthropic's official CLI for Claude."
/** User agent sent when the client is not Claude Code. */
export const DEFAULT_CLAUDE_CLI_UA = 'claude-cli/2.0.52 (external, cli)'
/** The beta flag OAuth tokens need on the Messages API. */
export const OAUTH_BETA = 'oauth-2025-04-20'

/** The anthropic-beta value for an OAuth account (the OAuth beta is always present). */
export function oauthBeta(clientBeta: string | null, model: string): string {
  if (clientBeta) {
    const parts = clientBeta
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    if (parts.includes(OAUTH_BETA)) return parts.join(',')
    const cc = parts.indexOf('claude-code-20250219')
    if (cc >= 0) parts.splice(cc + 1, 0, OAUTH_BETA)
    else parts.unshift(OAUTH_BETA)
    return parts.join(',')
  }
  return model.toLowerCase().includes('haiku')
    ? `${OAUTH_BETA},interleaved-thinking-2025-05-14`
    : `claude-code-20250219,${OAUTH_BETA},interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14`
}

/** True when the body already carries the Claude Code system prompt. */
export function hasClaudeCodeSystem(body: Record<string, unknown>): boolean {
  const s = body.system
  if (typeof s === 'string') return s.trim().startsWith(CLAUDE_CODE_SYSTEM)
  if (!Array.isArray(s)) return false
  return s.some(
    (b) =>
      typeof (b as { text?: unknown })?.text === 'string' &&
      (b as { text: string }).text.trim().startsWith(CLAUDE_CODE_SYSTEM),
  )
}

/** Puts the Claude Code system prompt first, keeping the caller's own system text after it. */
export function withClaudeCodeSystem(body: Record<string, unknown>): Record<string, unknown> {
  const block = { type: 'text', text: CLAUDE_CODE_SYSTEM, cache_control: { type: 'ephemeral' } }
  const s = body.system
  let system: unknown[]
  if (typeof s === 'string' && s.trim()) system = [block, { type: 'text', text: s }]
  else if (Array.isArray(s)) system = [block, ...s]
  else system = [block]
  return { ...body, system }
}

/** Messages URL of a console account's base URL. */
export function consoleMessagesUrl(apiUrl: string, countTokens: boolean): string {
  let base = apiUrl.replace(/\/+$/, '')
  if (base.endsWith('/v1/messages')) base = base.slice(0, -'/v1/messages'.length)
  return `${base}/v1/messages${countTokens ? '/count_tokens' : ''}`
}

/** count_tokens URL derived from the Messages URL. */
export function countTokensUrl(messagesUrl: string): string {
  const u = new URL(messagesUrl)
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/count_tokens`
  return u.toString()
}

/** The credential header of a Claude API key: `x-api-key` for `sk-ant-` keys, else Bearer. */
export function apiKeyHeader(apiKey: string): [name: string, value: string] {
  return apiKey.startsWith('sk-ant-')
    ? ['x-api-key', apiKey]
    : ['authorization', `Bearer ${apiKey}`]
}
