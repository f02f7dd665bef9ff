/**
 * @module
 * Outbound and inbound header rules. Client headers reach upstream only through a whitelist, so
 * the client's credentials (`x-api-key`, `authorization`, `api-key`, cookies…) never leave; the
 * upstream is asked for identity encoding; hop-by-hop and framing headers are dropped both ways.
 */

/** Client headers that may be forwarded upstream (lower case). */
const FORWARD = [
  'accept',
  'anthropic-version',
  'anthropic-beta',
  'anthropic-dangerous-direct-browser-access',
  'x-app',
  'x-stainless-retry-count',
  'x-stainless-timeout',
  'x-stainless-lang',
  'x-stainless-package-version',
  'x-stainless-os',
  'x-stainless-arch',
  'x-stainless-runtime',
  'x-stainless-runtime-version',
  'x-stainless-helper-method',
  'user-agent',
]

/** Upstream response headers that are not passed back. */
const DROP_BACK = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-encoding',
  'content-length',
  'set-cookie',
  'request-id',
])

/** The Claude Code system prompt that OAuth (subscription) tokens require. */
export const CLAUDE_CODE_SYSTEM = "You are Claude Code, Anthropic's official CLI for Claude."
/** User agent sent when the client is not Claude Code. */
export const DEFAULT_CLAUDE_CLI_UA = 'claude-cli/2.0.52 (external, cli)'
const OAUTH_BETA = 'oauth-2025-04-20'

/** Header values by lower-case name: built as a plain object, which costs less than `Headers`. */
export type HeaderMap = Record<string, string>

/** Every header of `h` by name (one native call on Bun; iteration elsewhere). */
function entriesOf(h: Headers): Record<string, string | string[]> {
  const toJSON = (h as { toJSON?: () => Record<string, string | string[]> }).toJSON
  if (toJSON) return toJSON.call(h)
  const out: Record<string, string> = Object.create(null)
  for (const [k, v] of h) out[k] = v
  return out
}

/** Whitelisted client headers (one lookup per name: about 1 µs less than reading them all). */
export function forwardableHeaders(client: Headers): HeaderMap {
  const out: HeaderMap = Object.create(null)
  for (const name of FORWARD) {
    const v = client.get(name)
    if (v !== null) out[name] = v
  }
  return out
}

/** Upstream response headers safe to send to the client. */
export function responseHeaders(upstream: Headers, requestId: string): HeaderMap {
  const all = entriesOf(upstream)
  const out: HeaderMap = Object.create(null)
  for (const k in all) if (!DROP_BACK.has(k)) out[k] = String(all[k])
  const upstreamId = all['request-id']
  if (upstreamId) out['upstream-request-id'] = String(upstreamId)
  out['request-id'] = requestId
  return out
}

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
