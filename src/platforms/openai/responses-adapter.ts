/**
 * @module
 * OpenAI-Responses accounts: an API key for api.openai.com or any Responses-compatible provider,
 * at the account's base URL (`apiUrl`). The client's body goes upstream as sent (its
 * `instructions` included; only a model mapping rewrites it), with the Codex CLI's identity and
 * session headers, the account's key as a Bearer token, and the account's user agent when set.
 */
import { upstreamJsonHeaders } from '../../relay/headers.ts'
import type { PlatformAdapter, UpstreamCall, UpstreamRequest } from '../adapter.ts'
import { classifyOpenAI, OPENAI_FORWARD_HEADERS, responsesUrl } from './protocol.ts'

/** Default base URL of an OpenAI-Responses account without one. */
export const OPENAI_API_BASE = 'https://api.openai.com/v1'

/** The OpenAI-Responses adapter. */
export function createOpenAIResponsesAdapter(): PlatformAdapter {
  return {
    platform: 'openai-responses',
    family: 'openai',
    dialects: ['openai-responses'],
    probeModel: 'gpt-5-mini',
    async prepare(call: UpstreamCall): Promise<UpstreamRequest> {
      const a = call.entry.account
      const headers = upstreamJsonHeaders(call.clientHeaders, OPENAI_FORWARD_HEADERS)
      headers.authorization = `Bearer ${call.entry.secrets.apiKey ?? ''}`
      if (a.userAgent) headers['user-agent'] = a.userAgent
      return {
        url: responsesUrl(a.apiUrl || OPENAI_API_BASE, call.operation === 'compact'),
        headers,
        body:
          call.upstreamModel !== call.model
            ? JSON.stringify({ ...call.body, model: call.upstreamModel })
            : call.raw,
      }
    },
    classify: classifyOpenAI,
  }
}
