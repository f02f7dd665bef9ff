/**
 * @module
 * Claude on AWS Bedrock. Anthropic clients keep calling the Claude routes; on a Bedrock account a
 * Messages request becomes `InvokeModel` (or `InvokeModelWithResponseStream` when streamed) on the
 * account's region or `endpoint` override, signed with SigV4 by `aws4fetch` (or sent with a Bedrock
 * API key as a Bearer token). The body loses what Bedrock refuses (`model`, `stream`, `metadata`)
 * and gains `anthropic_version` and the betas Bedrock knows as `anthropic_beta`; the streamed
 * answer's event-stream framing is decoded back into the Messages API's SSE (`to-sse.ts`), so
 * usage, history and clients see an Anthropic stream. count_tokens goes to Bedrock's CountTokens.
 * Throttling counts as a rate limit (short: Bedrock's are), rejected credentials as unauthorized,
 * a denied model access as blocked.
 */
import { type Static, Type as T } from '@sinclair/typebox'
import { AwsV4Signer } from 'aws4fetch'
import type { AttemptResult } from '../../accounts/health.ts'
import type { Account } from '../../accounts/model.ts'
import { forwardableHeaders } from '../../relay/headers.ts'
import type { PlatformAdapter, UpstreamCall, UpstreamRefusal, UpstreamRequest } from '../adapter.ts'
import {
  bedrockModelId,
  bedrockServes,
  foundationModelId,
  type InferenceProfile,
} from './models.ts'
import { bedrockStreamToSse } from './to-sse.ts'

/** A Bedrock account's own settings (`account.options`). */
export const BedrockOptions = T.Object({
  region: T.Optional(T.String({ minLength: 1, pattern: '^[a-z0-9-]+$' })),
  defaultModel: T.Optional(T.String()),
  inferenceProfile: T.Optional(
    T.Union([T.Literal('regional'), T.Literal('global'), T.Literal('none')]),
  ),
})
export type BedrockOptions = Static<typeof BedrockOptions>

/** The options of `account` with their defaults. */
export function bedrockOptionsOf(account: Account): {
  region: string
  defaultModel: string
  inferenceProfile: InferenceProfile
} {
  const o = account.options as BedrockOptions
  return {
    region: o.region || 'us-east-1',
    defaultModel: o.defaultModel ?? '',
    inferenceProfile: o.inferenceProfile ?? 'regional',
  }
}

/** Betas Bedrock accepts in `anthropic_beta` (others, like Claude Code's own, are refused there). */
const BEDROCK_BETAS = new Set([
  'computer-use-2024-10-22',
  'computer-use-2025-01-24',
  'token-efficient-tools-2025-02-19',
  'interleaved-thinking-2025-05-14',
  'output-128k-2025-02-19',
  'dev-full-thinking-2025-05-14',
  'context-1m-2025-08-07',
  'context-management-2025-06-27',
  'effort-2025-11-24',
  'tool-search-tool-2025-10-19',
  'tool-examples-2025-10-29',
])

/** Body fields the Messages API takes that Bedrock's InvokeModel refuses. */
const DROPPED = new Set(['model', 'stream', 'metadata', 'service_tier'])

/** The InvokeModel body of a Messages body. */
export function bedrockBody(
  body: Record<string, unknown>,
  clientBeta: string | null,
): Record<string, unknown> {
  const out: Record<string, unknown> = { anthropic_version: 'bedrock-2023-05-31' }
  for (const [k, v] of Object.entries(body)) if (!DROPPED.has(k)) out[k] = v
  const betas = new Set(Array.isArray(body.anthropic_beta) ? (body.anthropic_beta as string[]) : [])
  for (const b of (clientBeta ?? '').split(','))
    if (BEDROCK_BETAS.has(b.trim())) betas.add(b.trim())
  if (betas.size > 0) out.anthropic_beta = [...betas]
  return out
}

/** The Bedrock runtime base URL of an account (its endpoint override, else the region's). */
export function bedrockBaseUrl(account: Account): string {
  const base =
    account.apiUrl || `https://bedrock-runtime.${bedrockOptionsOf(account).region}.amazonaws.com`
  return base.replace(/\/+$/, '')
}

function base64(bytes: Uint8Array): string {
  let bin = ''
  for (let i = 0; i < bytes.length; i += 0x8000)
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(bin)
}

/** SigV4 signing keys per secret, date, region and service (a day's key is derived once). */
const signingKeys = new Map<string, ArrayBuffer>()

/** The Bedrock exception name of a refusal (`x-amzn-errortype: ThrottlingException:http://…`). */
function exceptionOf(headers: Headers): string {
  return (headers.get('x-amzn-errortype') ?? '').split(':')[0]!.toLowerCase()
}

/**
 * How a Bedrock refusal counts against the account: throttling and quota as a rate limit (30 s
 * when Bedrock names no time), credentials it does not accept as unauthorized, denied access to
 * the model as blocked, a model not ready yet or an unavailable service as a server error.
 */
export function classifyBedrock(refusal: UpstreamRefusal): AttemptResult {
  const ex = exceptionOf(refusal.headers)
  let status = refusal.status
  let headers = refusal.headers
  if (ex.startsWith('throttling') || ex.startsWith('servicequotaexceeded') || status === 429) {
    status = 429
    if (!headers.has('retry-after')) {
      headers = new Headers(headers)
      headers.set('retry-after', '30')
    }
  } else if (
    /^(unrecognizedclient|invalidsignature|expiredtoken|incompletesignature|missingauthenticationtoken|invalidclienttokenid)/.test(
      ex,
    )
  )
    status = 401
  else if (ex.startsWith('accessdenied')) status = 403
  else if (ex.startsWith('modelnotready') || ex.startsWith('serviceunavailable')) status = 503
  return { kind: 'http', status, headers, message: refusal.message, model: refusal.model }
}

/** Models priced the same on every Bedrock endpoint (the regional premium began with the 4.5s). */
const NO_REGIONAL_PREMIUM = /^claude-(3|sonnet-4-0|opus-4-0|opus-4-1)/

/**
 * Bedrock's price as a multiple of Anthropic's: regional (geographic) inference profiles of
 * Claude 4.5 and later models cost 10% more than the global ones, which cost the list price.
 */
export function bedrockPriceFactor(upstreamModel: string, pricedModel: string): number {
  const regional = /^(us|eu|apac|jp|au|ca|us-gov)\.anthropic\./.test(upstreamModel)
  return regional && !NO_REGIONAL_PREMIUM.test(pricedModel) ? 1.1 : 1
}

/** The Bedrock adapter. */
export function createBedrockAdapter(): PlatformAdapter {
  return {
    platform: 'bedrock',
    family: 'claude',
    dialects: ['anthropic'],
    probeModel: 'claude-haiku-4-5',
    options: BedrockOptions,
    modelOk: (account, model) => bedrockServes(model, bedrockOptionsOf(account).defaultModel),
    async prepare(call: UpstreamCall): Promise<UpstreamRequest> {
      const { account, secrets } = call.entry
      const options = bedrockOptionsOf(account)
      const modelId = bedrockModelId(call.upstreamModel, options)
      const counting = call.operation === 'count_tokens'
      const invoke = JSON.stringify(
        bedrockBody(call.body, call.clientHeaders.get('anthropic-beta')),
      )
      let url: string
      let body: string
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (counting) {
        url = `${bedrockBaseUrl(account)}/model/${encodeURIComponent(foundationModelId(modelId))}/count-tokens`
        body = JSON.stringify({
          input: { invokeModel: { body: base64(new TextEncoder().encode(invoke)) } },
        })
        headers.accept = 'application/json'
      } else {
        const action = call.stream ? 'invoke-with-response-stream' : 'invoke'
        url = `${bedrockBaseUrl(account)}/model/${encodeURIComponent(modelId)}/${action}`
        body = invoke
        if (call.stream) headers['x-amzn-bedrock-accept'] = 'application/json'
        else headers.accept = 'application/json'
      }
      let signed: Record<string, string>
      if (secrets.awsAccessKeyId && secrets.awsSecretAccessKey) {
        if (signingKeys.size > 1000) signingKeys.clear()
        const signer = new AwsV4Signer({
          method: 'POST',
          url,
          headers,
          body,
          accessKeyId: secrets.awsAccessKeyId,
          secretAccessKey: secrets.awsSecretAccessKey,
          sessionToken: secrets.awsSessionToken || undefined,
          service: 'bedrock',
          region: options.region,
          cache: signingKeys,
        })
        signed = Object.fromEntries((await signer.sign()).headers)
      } else {
        signed = { ...headers, authorization: `Bearer ${secrets.apiKey ?? ''}` }
      }
      // Unsigned extras: the client's user agent, and no compression of the answer.
      const extra = forwardableHeaders(call.clientHeaders, ['user-agent'])
      return {
        url,
        headers: { ...extra, ...signed, 'accept-encoding': 'identity' },
        body,
        upstreamModel: modelId,
      }
    },
    classify: classifyBedrock,
    priceFactor: bedrockPriceFactor,
    adaptResponse(res: Response, call: UpstreamCall): Response {
      if (res.status >= 400) {
        // Throttled without a time: tell the client (and the health rules) to wait a little.
        if (
          !/^(throttling|servicequotaexceeded)/.test(exceptionOf(res.headers)) ||
          res.headers.has('retry-after')
        )
          return res
        const headers = new Headers(res.headers)
        headers.set('retry-after', '30')
        return new Response(res.body, { status: res.status, headers })
      }
      if (!res.body) return res
      const type = res.headers.get('content-type') ?? ''
      const headers = new Headers(res.headers)
      headers.delete('content-length')
      if (call.stream && type.includes('amazon.eventstream')) {
        headers.set('content-type', 'text/event-stream; charset=utf-8')
        return new Response(bedrockStreamToSse(res.body), { status: res.status, headers })
      }
      if (call.operation === 'count_tokens') {
        headers.set('content-type', 'application/json')
        const counted = res.json().then((j) =>
          JSON.stringify({
            input_tokens: Number((j as { inputTokens?: unknown }).inputTokens) || 0,
          }),
        )
        return new Response(
          new ReadableStream({
            async pull(controller) {
              controller.enqueue(new TextEncoder().encode(await counted))
              controller.close()
            },
          }),
          { status: res.status, headers },
        )
      }
      return res
    },
  }
}
