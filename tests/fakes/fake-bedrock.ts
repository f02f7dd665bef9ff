/**
 * A fake Bedrock runtime: a real HTTP server (Bun.serve on port 0) with `InvokeModel`,
 * `InvokeModelWithResponseStream` and `CountTokens` for Claude models. Every request's SigV4
 * signature is checked the way AWS does it, by an implementation of its own (node:crypto, not the
 * relay's signer): canonical request → string to sign → the day's signing key → HMAC, compared with
 * the `Authorization` header (a wrong one is a 403 InvalidSignatureException). Bedrock API keys
 * (Bearer) are accepted too. Streams are sent in the real AWS event-stream framing (prelude,
 * string headers, CRC32s from `Bun.hash.crc32`), each Anthropic event base64-wrapped in a `chunk`
 * message, `message_stop` carrying Bedrock's invocation metrics, optionally split into tiny
 * writes so frames straddle reads.
 */
import { createHash, createHmac } from 'node:crypto'
import { FAKE_USAGE, messageJson, streamEvents } from './fake-upstream.ts'

/** AWS credentials the fake knows. */
export interface FakeAwsCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
}

/** One scripted behaviour of the next request. */
export type BedrockScript =
  | { kind: 'ok'; text?: string; bytewise?: boolean }
  | { kind: 'error'; status: number; exception: string; message?: string }
  /** A stream that sends `afterEvents` chunks, then an exception message (e.g. throttlingException). */
  | { kind: 'stream-exception'; afterEvents: number; exception: string; message?: string }

/** A request the fake received (after its signature checked out). */
export interface BedrockReceived {
  action: string
  modelId: string
  headers: Record<string, string>
  body: Record<string, unknown>
  /** The access key id or Bedrock API key that signed it. */
  principal: string
  region: string
}

const enc = new TextEncoder()
const hex = (b: Buffer | Uint8Array) => Buffer.from(b).toString('hex')
const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex')
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest()

/** AWS's URI encoding: everything but unreserved characters percent-encoded. */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}

/** Why a SigV4 `Authorization` does not check out, or null when it does. */
export function sigV4Problem(
  method: string,
  rawPath: string,
  rawQuery: string,
  headers: Headers,
  body: Uint8Array,
  secretOf: (accessKeyId: string) => string | undefined,
  now: number,
): { problem: string; exception: string } | null {
  const auth = headers.get('authorization') ?? ''
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      auth,
    )
  if (!m)
    return {
      problem: 'Authorization header is not SigV4',
      exception: 'IncompleteSignatureException',
    }
  const [, akid, day, region, service, signedList, signature] = m as unknown as string[]
  const secret = secretOf(akid!)
  if (!secret)
    return {
      problem: 'The security token included in the request is invalid.',
      exception: 'UnrecognizedClientException',
    }
  const amzDate = headers.get('x-amz-date') ?? ''
  const signedNames = signedList!.split(';')
  if (!signedNames.includes('host') || !signedNames.includes('x-amz-date'))
    return { problem: 'host and x-amz-date must be signed', exception: 'InvalidSignatureException' }
  if (headers.has('x-amz-security-token') && !signedNames.includes('x-amz-security-token'))
    return { problem: 'the session token must be signed', exception: 'InvalidSignatureException' }
  const at = Date.UTC(
    Number(amzDate.slice(0, 4)),
    Number(amzDate.slice(4, 6)) - 1,
    Number(amzDate.slice(6, 8)),
    Number(amzDate.slice(9, 11)),
    Number(amzDate.slice(11, 13)),
    Number(amzDate.slice(13, 15)),
  )
  if (!amzDate.startsWith(day!) || Math.abs(now - at) > 5 * 60_000)
    return {
      problem: 'Signature expired or x-amz-date invalid',
      exception: 'InvalidSignatureException',
    }
  if (service !== 'bedrock')
    return {
      problem: `credential scope names service ${service}`,
      exception: 'InvalidSignatureException',
    }
  const canonicalUri = rawPath
    .split('/')
    .map((seg) => uriEncode(seg))
    .join('/')
  const canonicalQuery = rawQuery
    .split('&')
    .filter(Boolean)
    .map((p) => p.split('=').map((x) => uriEncode(decodeURIComponent(x))))
    .sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0))
    .map((p) => `${p[0]}=${p[1] ?? ''}`)
    .join('&')
  const canonicalHeaders = signedNames
    .map((n) => `${n}:${(headers.get(n) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('')
  const canonicalRequest = [
    method,
    canonicalUri,
    canonicalQuery,
    canonicalHeaders,
    signedList,
    sha256(body),
  ].join('\n')
  const scope = `${day}/${region}/${service}/aws4_request`
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n')
  const kSigning = hmac(hmac(hmac(hmac(`AWS4${secret}`, day!), region!), service!), 'aws4_request')
  const expected = hex(hmac(kSigning, stringToSign))
  if (expected !== signature)
    return {
      problem:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
      exception: 'InvalidSignatureException',
    }
  return null
}

/** One event-stream message with string headers; CRCs from Bun's own CRC32. */
export function eventMessage(headers: Record<string, string>, payload: Uint8Array): Uint8Array {
  const hs: Uint8Array[] = []
  for (const [name, value] of Object.entries(headers)) {
    const n = enc.encode(name)
    const v = enc.encode(value)
    const h = new Uint8Array(1 + n.length + 1 + 2 + v.length)
    h[0] = n.length
    h.set(n, 1)
    h[1 + n.length] = 7
    h[2 + n.length] = v.length >> 8
    h[3 + n.length] = v.length & 0xff
    h.set(v, 4 + n.length)
    hs.push(h)
  }
  const headersLen = hs.reduce((s, h) => s + h.length, 0)
  const total = 12 + headersLen + payload.length + 4
  const out = new Uint8Array(total)
  const view = new DataView(out.buffer)
  view.setUint32(0, total)
  view.setUint32(4, headersLen)
  view.setUint32(8, Bun.hash.crc32(out.subarray(0, 8)))
  let p = 12
  for (const h of hs) {
    out.set(h, p)
    p += h.length
  }
  out.set(payload, p)
  view.setUint32(total - 4, Bun.hash.crc32(out.subarray(0, total - 4)))
  return out
}

/** A `chunk` message carrying one Anthropic event. */
function chunkMessage(event: unknown): Uint8Array {
  const bytes = Buffer.from(JSON.stringify(event)).toString('base64')
  return eventMessage(
    { ':event-type': 'chunk', ':content-type': 'application/json', ':message-type': 'event' },
    enc.encode(JSON.stringify({ bytes, p: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ' })),
  )
}

/** The model Bedrock reports for a model id (`us.anthropic.claude-x-v1:0` → `claude-x`). */
export function reportedModel(modelId: string): string {
  return modelId.replace(/^([a-z-]+\.)?anthropic\./, '').replace(/-v\d+(:\d+)?$/, '')
}

/** The Anthropic events of a complete answer, as Bedrock wraps them (no ping, metrics at the end). */
export function bedrockEvents(model: string, text: string): Record<string, unknown>[] {
  const events = streamEvents(model, text)
    .map((e) => JSON.parse(e.split('\ndata: ')[1]!) as Record<string, unknown>)
    .filter((e) => e.type !== 'ping')
  const last = events.at(-1)!
  last['amazon-bedrock-invocationMetrics'] = {
    inputTokenCount: FAKE_USAGE.input_tokens,
    outputTokenCount: FAKE_USAGE.output_tokens,
    invocationLatency: 321,
    firstByteLatency: 123,
    cacheReadInputTokenCount: FAKE_USAGE.cache_read_input_tokens,
    cacheWriteInputTokenCount: FAKE_USAGE.cache_creation_input_tokens,
  }
  return events
}

/** Starts the fake. `credentials` and `apiKeys` are who may call it. */
export function startFakeBedrock(options: {
  credentials: FakeAwsCredentials[]
  apiKeys?: string[]
}) {
  const received: BedrockReceived[] = []
  const rejected: { problem: string; exception: string }[] = []
  const scripts: BedrockScript[] = []
  const secrets = new Map(options.credentials.map((c) => [c.accessKeyId, c.secretAccessKey]))
  const keys = new Set(options.apiKeys ?? [])

  const error = (status: number, exception: string, message: string) =>
    new Response(JSON.stringify({ message }), {
      status,
      headers: {
        'content-type': 'application/json',
        'x-amzn-errortype': `${exception}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
        'x-amzn-requestid': crypto.randomUUID(),
      },
    })

  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const raw = new Uint8Array(await req.arrayBuffer())
      // The path as sent (percent-encoding kept): what AWS canonicalises.
      const afterHost = req.url.slice(req.url.indexOf('/', 'http://'.length))
      const [rawPath, rawQuery = ''] = afterHost.split('?') as [string, string?]
      const m = /^\/model\/([^/]+)\/(invoke|invoke-with-response-stream|count-tokens)$/.exec(
        rawPath,
      )
      if (req.method !== 'POST' || !m) return error(404, 'UnknownOperationException', 'Not found')
      const auth = req.headers.get('authorization') ?? ''
      let principal: string
      let region = ''
      if (auth.startsWith('Bearer ')) {
        principal = auth.slice(7)
        if (!keys.has(principal)) return error(403, 'AccessDeniedException', 'Invalid API key')
      } else {
        const problem = sigV4Problem(
          'POST',
          rawPath,
          rawQuery,
          req.headers,
          raw,
          (id) => secrets.get(id),
          Date.now(),
        )
        if (problem) {
          rejected.push(problem)
          return error(403, problem.exception, problem.problem)
        }
        principal = /Credential=([^/]+)/.exec(auth)![1]!
        region = /Credential=[^/]+\/\d{8}\/([^/]+)/.exec(auth)![1]!
      }
      const modelId = decodeURIComponent(m[1]!)
      const action = m[2]!
      const body = JSON.parse(new TextDecoder().decode(raw)) as Record<string, unknown>
      received.push({
        action,
        modelId,
        headers: Object.fromEntries(req.headers),
        body,
        principal,
        region,
      })
      if (action === 'count-tokens') return Response.json({ inputTokens: 42 })
      const script = scripts.shift() ?? { kind: 'ok' }
      if (script.kind === 'error')
        return error(script.status, script.exception, script.message ?? script.exception)
      if (body.anthropic_version !== 'bedrock-2023-05-31' || 'model' in body || 'stream' in body)
        return error(
          400,
          'ValidationException',
          'Malformed input request: anthropic_version, model or stream',
        )
      const model = reportedModel(modelId)
      const text = (script.kind === 'ok' && script.text) || `Hello from Bedrock (${modelId})`
      if (action === 'invoke')
        return Response.json({ ...messageJson(model, text), id: 'msg_bdrk_01' })
      const events = bedrockEvents(model, text)
      const parts: Uint8Array[] = []
      const count = script.kind === 'stream-exception' ? script.afterEvents : events.length
      for (const e of events.slice(0, count)) parts.push(chunkMessage(e))
      if (script.kind === 'stream-exception')
        parts.push(
          eventMessage(
            {
              ':exception-type': script.exception,
              ':content-type': 'application/json',
              ':message-type': 'exception',
            },
            enc.encode(JSON.stringify({ message: script.message ?? script.exception })),
          ),
        )
      const all = Buffer.concat(parts)
      const size = script.kind === 'ok' && script.bytewise ? 7 : all.length
      return new Response(
        new ReadableStream({
          async start(controller) {
            for (let i = 0; i < all.length; i += size) {
              controller.enqueue(all.subarray(i, i + size))
              if (size < all.length) await Bun.sleep(0)
            }
            controller.close()
          },
        }),
        {
          headers: {
            'content-type': 'application/vnd.amazon.eventstream',
            'x-amzn-bedrock-content-type': 'application/json',
            'x-amzn-requestid': crypto.randomUUID(),
          },
        },
      )
    },
  })

  return {
    url: `http://127.0.0.1:${server.port}`,
    received,
    /** Signatures that did not check out. */
    rejected,
    script(...s: BedrockScript[]) {
      scripts.push(...s)
    },
    reset() {
      received.length = 0
      rejected.length = 0
      scripts.length = 0
    },
    stop: () => server.stop(true),
  }
}

/** A running fake Bedrock. */
export type FakeBedrock = ReturnType<typeof startFakeBedrock>
