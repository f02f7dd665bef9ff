/**
 * @module
 * Droid (Factory.ai) accounts. Factory's LLM gateway answers the Droid CLI's three endpoints:
 * Anthropic Messages (`/a/v1/messages`), OpenAI Responses (`/o/v1/responses`) and Chat
 * Completions (`/o/v1/chat/completions`, "comm"). Requests are sent as the Factory CLI sends them:
 * a Bearer Factory API key (or an access token), the CLI's user agent and client header, a session
 * id, the provider header of the endpoint, and the Droid system prompt first (kept beside the
 * client's own system text: the seed replaced a string one). An account's `endpointType` limits
 * what it serves as the seed did: `anthropic` and `openai` accounts take both of those, `comm`
 * requests take any account, a `comm` account takes only comm requests. Refusals count as for
 * every platform (a 400 is the client's, a 429 ends by itself); the seed disabled the account on
 * any 4xx.
 */
import { type Static, Type as T } from '@sinclair/typebox'
import type { Account } from '../../accounts/model.ts'
import type { TokenProvider } from '../../accounts/oauth.ts'
import type { DialectName } from '../../dialects/dialect.ts'
import type { PlatformAdapter, UpstreamCall, UpstreamRequest } from '../adapter.ts'

/** Factory's LLM gateway. */
export const FACTORY_API_URL = 'https://api.factory.ai/api/llm'
/** The user agent of the Factory CLI the requests present. */
export const FACTORY_CLI_UA = 'factory-cli/0.19.12'
/** The system prompt Factory's gateway expects first. */
export const DROID_SYSTEM = 'You are Droid, an AI software engineering agent built by Factory.'

/** A Droid account's own settings (`account.options`). */
export const DroidOptions = T.Object({
  /** The WorkOS organization of a signed-in account (sent with its token refresh). */
  organizationId: T.Optional(T.String()),
  endpointType: T.Optional(
    T.Union([T.Literal('anthropic'), T.Literal('openai'), T.Literal('comm')]),
  ),
})
export type DroidOptions = Static<typeof DroidOptions>

/** The account's endpoint type (default `anthropic`). */
export function endpointTypeOf(account: Account): 'anthropic' | 'openai' | 'comm' {
  return (account.options as DroidOptions).endpointType ?? 'anthropic'
}

/** The endpoint a dialect's requests go to. */
function endpointOf(dialect: DialectName): 'anthropic' | 'openai' | 'comm' {
  return dialect === 'openai-responses'
    ? 'openai'
    : dialect === 'openai-chat'
      ? 'comm'
      : 'anthropic'
}

/** Whether an account of `type` serves requests of `endpoint` (the seed's rule). */
export function endpointServes(type: string, endpoint: string): boolean {
  if (endpoint === 'comm') return true
  return type !== 'comm'
}

/** The provider Factory routes a comm request to, by its model. */
export function commProvider(model: string): string {
  const m = model.toLowerCase()
  if (m.includes('gemini')) return 'google'
  if (m.includes('claude')) return 'anthropic'
  if (m.includes('gpt')) return 'azure_openai'
  if (m.includes('glm')) return 'fireworks'
  return 'baseten'
}

function thinkingOn(v: unknown): boolean {
  if (v === true || v === 'enabled') return true
  if (v && typeof v === 'object') {
    const o = v as { enabled?: unknown; type?: unknown }
    return o.enabled === true || o.type === 'enabled'
  }
  return false
}

/** The body Factory gets: model mapped, metadata gone, the Droid system prompt first. */
export function droidBody(
  body: Record<string, unknown>,
  endpoint: 'anthropic' | 'openai' | 'comm',
  model: string,
): Record<string, unknown> {
  const { metadata: _m, ...out } = body
  out.model = model
  if (out.temperature !== undefined && out.top_p !== undefined) delete out.top_p
  if (endpoint === 'anthropic') {
    const block = { type: 'text', text: DROID_SYSTEM }
    const s = out.system
    if (typeof s === 'string' && s.trim()) out.system = [block, { type: 'text', text: s }]
    else if (Array.isArray(s)) {
      const has = s.some((b) => (b as { text?: unknown })?.text === DROID_SYSTEM)
      out.system = has ? s : [block, ...s]
    } else out.system = [block]
  } else if (endpoint === 'openai') {
    const ins = typeof out.instructions === 'string' ? out.instructions : ''
    if (!ins.startsWith(DROID_SYSTEM))
      out.instructions = ins ? `${DROID_SYSTEM}\n\n${ins}` : DROID_SYSTEM
  } else if (Array.isArray(out.messages)) {
    const messages = [...(out.messages as Record<string, unknown>[])]
    const i = messages.findIndex((m) => m?.role === 'system')
    if (i < 0) messages.unshift({ role: 'system', content: DROID_SYSTEM })
    else if (typeof messages[i]!.content === 'string') {
      const c = messages[i]!.content as string
      if (!c.startsWith(DROID_SYSTEM))
        messages[i] = { ...messages[i], content: `${DROID_SYSTEM}\n\n${c}` }
    }
    out.messages = messages
  }
  return out
}

/** The Factory API keys of an account (`apiKey`, `apiKey_1`, …). */
export function droidApiKeys(secrets: Record<string, string | undefined>): string[] {
  return Object.entries(secrets)
    .filter(([k, v]) => v && (k === 'apiKey' || /^apiKey_\d+$/.test(k)))
    .map(([, v]) => v!)
}

/**
 * The Droid adapter. Accounts with Factory API keys use one of them per request; accounts signed
 * in with Factory tokens get their access token from `tokens` (refreshed before it expires and
 * once after a 401).
 */
export function createDroidAdapter(
  options: { tokens?: Pick<TokenProvider, 'accessToken' | 'afterUnauthorized'> } = {},
): PlatformAdapter {
  const { tokens } = options
  return {
    platform: 'droid',
    family: 'droid',
    dialects: ['anthropic', 'openai-responses', 'openai-chat'],
    probeModel: 'claude-sonnet-4-5-20250929',
    options: DroidOptions,
    modelOk: (account, _model, dialect) =>
      endpointServes(endpointTypeOf(account), endpointOf(dialect ?? 'anthropic')),
    async prepare(call: UpstreamCall): Promise<UpstreamRequest> {
      const { account, secrets } = call.entry
      const endpoint = endpointOf(call.dialect)
      const keys = droidApiKeys(secrets)
      // Several keys: spread the requests over them. No key: the account's Factory token.
      const credential = keys.length
        ? keys[Math.floor(Math.random() * keys.length)]!
        : tokens && secrets.refreshToken
          ? await tokens.accessToken(call.entry)
          : (secrets.accessToken ?? '')
      const base = (account.apiUrl || FACTORY_API_URL).replace(/\/+$/, '')
      const path =
        endpoint === 'anthropic'
          ? '/a/v1/messages'
          : endpoint === 'openai'
            ? '/o/v1/responses'
            : '/o/v1/chat/completions'
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'accept-encoding': 'identity',
        authorization: `Bearer ${credential}`,
        'user-agent': account.userAgent || FACTORY_CLI_UA,
        'x-factory-client': 'cli',
        'x-session-id': call.clientHeaders.get('x-session-id') || crypto.randomUUID(),
      }
      if (endpoint === 'anthropic') {
        headers['anthropic-version'] = '2023-06-01'
        headers['x-api-key'] = 'placeholder'
        headers['x-api-provider'] = 'anthropic'
        if (thinkingOn(call.body.thinking))
          headers['anthropic-beta'] = 'interleaved-thinking-2025-05-14'
      } else {
        headers['x-api-provider'] =
          endpoint === 'openai' ? 'azure_openai' : commProvider(call.upstreamModel)
      }
      return {
        url: `${base}${path}`,
        headers,
        body: JSON.stringify(droidBody(call.body, endpoint, call.upstreamModel)),
      }
    },
    async renewAfterUnauthorized(entry) {
      if (!tokens || droidApiKeys(entry.secrets).length || !entry.secrets.refreshToken) return false
      return (await tokens.afterUnauthorized(entry)) !== null
    },
  }
}
