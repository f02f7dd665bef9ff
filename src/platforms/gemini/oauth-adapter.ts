/**
 * @module
 * Gemini Google-login accounts (the Gemini CLI's "Login with Google"): the Code Assist API with
 * the account's OAuth token (refreshed lazily under the shared lock and saved; renewed once after
 * a 401) and the account's own project. Code Assist bodies (`/gemini/v1internal:…`) are sent on
 * with the project replaced; Generative Language bodies (`/gemini/v1beta/models/…`) are wrapped,
 * and their answers unwrapped, so either kind of client can use these accounts.
 */
import type { TokenProvider } from '../../accounts/oauth.ts'
import type { PoolEntry } from '../../accounts/service.ts'
import type { Config } from '../../config/schema.ts'
import type { FetchFn } from '../../core/ports.ts'
import { upstreamJsonHeaders } from '../../relay/headers.ts'
import type { PlatformAdapter, UpstreamCall, UpstreamRequest } from '../adapter.ts'
import { type ProjectFinder, unwrapAnswer, wrapRequest } from './code-assist.ts'
import { classifyGemini } from './health.ts'
import { GEMINI_FORWARD_HEADERS, upstreamMethod } from './protocol.ts'

/** Options of {@link createGeminiOAuthAdapter}. */
export interface GeminiOAuthAdapterOptions {
  config: Pick<Config, 'GEMINI_CODE_ASSIST_URL'>
  tokens: TokenProvider
  projects: ProjectFinder
  fetchFor: (entry: PoolEntry) => FetchFn
}

/** The user agent sent when the client is not the Gemini CLI. */
export const DEFAULT_GEMINI_CLI_UA = 'GeminiCLI/0.61.0 (linux; x64)'

/** The Gemini Google-login adapter. */
export function createGeminiOAuthAdapter(options: GeminiOAuthAdapterOptions): PlatformAdapter {
  const { config, tokens, projects } = options
  const baseOf = (entry: PoolEntry) =>
    (entry.account.apiUrl || config.GEMINI_CODE_ASSIST_URL).replace(/\/+$/, '')
  return {
    platform: 'gemini-oauth',
    family: 'gemini',
    dialects: ['gemini'],
    probeModel: 'gemini-2.5-flash',
    async prepare(call: UpstreamCall): Promise<UpstreamRequest> {
      const { entry } = call
      const token = await tokens.accessToken(entry)
      const base = baseOf(entry)
      const { method, sse } = upstreamMethod(call.operation)
      const countTokens = method === 'countTokens'
      const project = countTokens
        ? ''
        : await projects.projectOf(entry, base, token, options.fetchFor(entry))
      let body: Record<string, unknown>
      if (call.operation.startsWith('ca:')) {
        body = countTokens
          ? {
              ...call.body,
              request: {
                ...(call.body.request as Record<string, unknown>),
                model: `models/${call.upstreamModel}`,
              },
            }
          : { ...call.body, model: call.upstreamModel, project }
      } else body = wrapRequest(call.body, { model: call.upstreamModel, project, countTokens })
      const headers = upstreamJsonHeaders(call.clientHeaders, GEMINI_FORWARD_HEADERS)
      headers.authorization = `Bearer ${token}`
      if (entry.account.userAgent) headers['user-agent'] = entry.account.userAgent
      else if (!/^GeminiCLI[\w-]*\//.test(headers['user-agent'] ?? ''))
        headers['user-agent'] = DEFAULT_GEMINI_CLI_UA
      return {
        url: `${base}/v1internal:${method}${sse ? '?alt=sse' : ''}`,
        headers,
        body: JSON.stringify(body),
      }
    },
    renewAfterUnauthorized: async (entry) => (await tokens.afterUnauthorized(entry)) !== null,
    classify: classifyGemini,
    adaptResponse: (res, call) => (call.operation.startsWith('ca:') ? res : unwrapAnswer(res)),
  }
}
