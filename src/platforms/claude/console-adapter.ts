/**
 * @module
 * Claude Console accounts: an Anthropic-compatible API (api.anthropic.com or a gateway) reached
 * with an API key at the account's `apiUrl`. The key goes in `x-api-key` when it is an Anthropic
 * key (`sk-ant-…`) and as a Bearer token otherwise; the account's `userAgent`, when set, replaces
 * the client's.
 */
import type { Config } from '../../config/schema.ts'
import { forwardableHeaders } from '../../relay/headers.ts'
import type { PlatformAdapter, UpstreamCall, UpstreamRequest } from '../adapter.ts'
import {
  apiKeyHeader,
  CLAUDE_FORWARD_HEADERS,
  consoleMessagesUrl,
  DEFAULT_CLAUDE_CLI_UA,
} from './protocol.ts'

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
    async prepare(call: UpstreamCall): Promise<UpstreamRequest> {
      const a = call.entry.account
      const headers = forwardableHeaders(call.clientHeaders, CLAUDE_FORWARD_HEADERS)
      headers['content-type'] = 'application/json'
      headers['accept-encoding'] = 'identity'
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
