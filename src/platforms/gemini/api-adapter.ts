/**
 * @module
 * Gemini API-key accounts: the Generative Language API (or a compatible gateway) at the account's
 * base URL, the key sent as `x-goog-api-key` (never in the URL, where logs would keep it). The
 * client's body goes up untouched: on the standard routes the model is in the path.
 */

import { batchForModel } from '../../dialects/gemini/embeddings.ts'
import { upstreamJsonHeaders } from '../../relay/headers.ts'
import type { PlatformAdapter, UpstreamCall, UpstreamRequest } from '../adapter.ts'
import { classifyGemini } from './health.ts'
import { GEMINI_FORWARD_HEADERS, generativeUrl } from './protocol.ts'

/** The Gemini API-key adapter. */
export function createGeminiApiAdapter(): PlatformAdapter {
  return {
    platform: 'gemini-api',
    family: 'gemini',
    dialects: ['gemini'],
    probeModel: 'gemini-2.5-flash',
    async prepare(call: UpstreamCall): Promise<UpstreamRequest> {
      const a = call.entry.account
      const headers = upstreamJsonHeaders(call.clientHeaders, GEMINI_FORWARD_HEADERS)
      headers['x-goog-api-key'] = call.entry.secrets.apiKey ?? ''
      if (a.userAgent) headers['user-agent'] = a.userAgent
      // A mapped model must also be the one each request of a batch names.
      const renamed = call.operation === 'batchEmbedContents' && call.upstreamModel !== call.model
      return {
        url: generativeUrl(a.apiUrl, call.upstreamModel, call.operation),
        headers,
        body: renamed ? JSON.stringify(batchForModel(call.body, call.upstreamModel)) : call.raw,
      }
    },
    classify: classifyGemini,
  }
}
