/**
 * A fake Google: a real HTTP server (Bun.serve on port 0) speaking the Generative Language API
 * (`/v1beta/models/{model}:generateContent`, `:streamGenerateContent` as SSE with `alt=sse` or as a
 * JSON array without, `:countTokens`, the model list), the Code Assist API (`/v1internal:…`: the
 * same wrapped in `{response}`, plus `loadCodeAssist` and `onboardUser`), embeddings
 * (`:embedContent`, `:batchEmbedContents`, the Generative Language API only) and Google's OAuth token
 * endpoint (refresh and authorization-code grants). Scripted failures per request: an error status
 * with a Google error body (429 `RESOURCE_EXHAUSTED` with `RetryInfo`), a cut stream, a function
 * call answer.
 */

/** Usage the fake reports for every answer (cached part inside the prompt count). */
export const GEMINI_USAGE = {
  promptTokenCount: 40,
  candidatesTokenCount: 12,
  cachedContentTokenCount: 10,
  thoughtsTokenCount: 5,
  totalTokenCount: 57,
}

/** One scripted behaviour for the next request. */
export type GeminiScript =
  | {
      kind: 'ok'
      text?: string
      functionCall?: { name: string; args: Record<string, unknown> }
      /** `usageMetadata` of an embedding answer (Google's carry none by default). */
      usage?: Record<string, number>
    }
  | { kind: 'error'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'cut' }

/** A request the fake received. */
export interface GeminiReceived {
  path: string
  search: string
  headers: Record<string, string>
  body: Record<string, unknown>
  /** The credential it came with (API key or bearer token). */
  credential: string
}

const enc = new TextEncoder()

/** A Google 429 body with a retry delay. */
export function resourceExhausted(seconds: number) {
  return {
    error: {
      code: 429,
      message: 'Resource has been exhausted (e.g. check quota).',
      status: 'RESOURCE_EXHAUSTED',
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${seconds}s` }],
    },
  }
}

function chunks(model: string, text: string, call?: { name: string; args: unknown }) {
  const half = Math.ceil(text.length / 2)
  const usage = { ...GEMINI_USAGE }
  const out: Record<string, unknown>[] = [
    {
      candidates: [
        { content: { role: 'model', parts: [{ text: text.slice(0, half) }] }, index: 0 },
      ],
      usageMetadata: { promptTokenCount: usage.promptTokenCount, totalTokenCount: 40 },
      modelVersion: model,
    },
  ]
  const parts: Record<string, unknown>[] = [{ text: text.slice(half) }]
  if (call) parts.push({ functionCall: call })
  out.push({
    candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }],
    usageMetadata: usage,
    modelVersion: model,
  })
  return out
}

function whole(model: string, text: string, call?: { name: string; args: unknown }) {
  const parts: Record<string, unknown>[] = [{ text }]
  if (call) parts.push({ functionCall: call })
  return {
    candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }],
    usageMetadata: GEMINI_USAGE,
    modelVersion: model,
  }
}

/** A made-up embedding of a content: its text length and two constants. */
function embeddingOf(content: unknown): { values: number[] } {
  const parts = ((content as { parts?: { text?: string }[] } | null)?.parts ?? []) as {
    text?: string
  }[]
  const chars = parts.reduce((n, p) => n + (p.text?.length ?? 0), 0)
  return { values: [chars, 0.5, -0.25] }
}

/** A value that fits a JSON schema (what a client asking for JSON output parses). */
function fromSchema(schema: Record<string, unknown> | undefined): unknown {
  if (!schema) return {}
  const type = String(schema.type ?? '').toLowerCase()
  if (Array.isArray(schema.enum)) return schema.enum[0]
  if (type === 'string') return 'fake'
  if (type === 'number' || type === 'integer') return Number(schema.minimum ?? 1)
  if (type === 'boolean') return false
  if (type === 'array') return []
  const out: Record<string, unknown> = {}
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>
  for (const [k, v] of Object.entries(props)) out[k] = fromSchema(v)
  return out
}

/** Starts the fake. */
export function startFakeGemini() {
  const received: GeminiReceived[] = []
  const scripts: GeminiScript[] = []
  const tokenRequests: Record<string, string>[] = []
  let tokenSeq = 0
  let onboardCalls = 0
  let loadCalls = 0
  /** Projects by access token (Code Assist `loadCodeAssist` answers). */
  const projects = new Map<string, string>()
  /** Token prefixes whose account has no project yet (`onboardUser` makes one). */
  const needsOnboarding = new Set<string>()
  const onboardingNeeded = (token: string) =>
    [...needsOnboarding].some((p) => token.startsWith(p)) && !projects.has(token)

  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url)
      if (url.pathname === '/token') {
        const form = Object.fromEntries(new URLSearchParams(await req.text()))
        tokenRequests.push(form)
        if (form.grant_type === 'authorization_code') {
          if (String(form.code).startsWith('bad'))
            return Response.json({ error: 'invalid_grant' }, { status: 400 })
          tokenSeq++
          return Response.json({
            access_token: `g-code-access-${tokenSeq}`,
            refresh_token: `g-code-refresh-${tokenSeq}`,
            expires_in: 3599,
            scope: 'https://www.googleapis.com/auth/cloud-platform',
            token_type: 'Bearer',
          })
        }
        if (String(form.refresh_token).startsWith('bad'))
          return Response.json({ error: 'invalid_grant' }, { status: 400 })
        tokenSeq++
        return Response.json({
          access_token: `g-fresh-access-${tokenSeq}`,
          expires_in: 3599,
          scope: 'https://www.googleapis.com/auth/cloud-platform',
          token_type: 'Bearer',
        })
      }
      const credential =
        req.headers.get('x-goog-api-key') ??
        req.headers.get('authorization')?.replace(/^Bearer /, '') ??
        url.searchParams.get('key') ??
        ''
      let body: Record<string, unknown> = {}
      if (req.method === 'POST') {
        try {
          body = (await req.json()) as Record<string, unknown>
        } catch {}
      }
      received.push({
        path: url.pathname,
        search: url.search,
        headers: Object.fromEntries(req.headers),
        body,
        credential,
      })
      if (credential.startsWith('revoked-'))
        return Response.json(
          {
            error: {
              code: 401,
              message: 'Request had invalid authentication credentials.',
              status: 'UNAUTHENTICATED',
            },
          },
          { status: 401 },
        )
      if (!credential)
        return Response.json(
          { error: { code: 403, message: 'no credential', status: 'PERMISSION_DENIED' } },
          { status: 403 },
        )
      if (req.method === 'GET' && /\/models$/.test(url.pathname))
        return Response.json({ models: [{ name: 'models/gemini-2.5-flash' }] })

      const std = /^\/(?:v1beta|v1)\/models\/([^/:]+):(\w+)$/.exec(url.pathname)
      const ca = /^\/v1internal:(\w+)$/.exec(url.pathname)
      if (!std && !ca)
        return Response.json({ error: { code: 404, message: 'not found' } }, { status: 404 })
      const method = (std ? std[2] : ca![1])!
      if (ca && method === 'loadCodeAssist') {
        loadCalls++
        const project = projects.get(credential)
        if (onboardingNeeded(credential))
          return Response.json({
            allowedTiers: [{ id: 'free-tier', isDefault: true }],
          })
        return Response.json({
          currentTier: { id: 'standard-tier', name: 'Standard' },
          cloudaicompanionProject: project ?? `proj-${credential.slice(0, 10)}`,
        })
      }
      if (ca && method === 'onboardUser') {
        onboardCalls++
        const id = `onboarded-${credential.slice(0, 8)}`
        projects.set(credential, id)
        return Response.json({
          done: true,
          response: { cloudaicompanionProject: { id, name: id } },
        })
      }
      const inner = (ca ? (body.request ?? {}) : body) as Record<string, unknown>
      const model = std
        ? std[1]!
        : String(ca && method === 'countTokens' ? inner.model : body.model)
      if (method === 'countTokens') {
        const n = JSON.stringify(inner.contents ?? []).length
        return Response.json({ totalTokens: Math.max(1, Math.round(n / 4)) })
      }
      const script = scripts.shift() ?? { kind: 'ok' }
      if (script.kind === 'error')
        return Response.json(
          script.body ?? {
            error: { code: script.status, message: 'scripted', status: 'INTERNAL' },
          },
          { status: script.status, headers: script.headers },
        )
      if (std && (method === 'embedContent' || method === 'batchEmbedContents')) {
        const usage = script.kind === 'ok' && script.usage ? { usageMetadata: script.usage } : {}
        if (method === 'embedContent')
          return Response.json({ embedding: embeddingOf(body.content), ...usage })
        const requests = (Array.isArray(body.requests) ? body.requests : []) as {
          model?: string
          content?: unknown
        }[]
        if (requests.some((q) => q.model !== `models/${model}`))
          return Response.json(
            { error: { code: 400, message: 'model mismatch', status: 'INVALID_ARGUMENT' } },
            { status: 400 },
          )
        return Response.json({ embeddings: requests.map((q) => embeddingOf(q.content)), ...usage })
      }
      const config = (inner.generationConfig ?? {}) as Record<string, unknown>
      const schema = (config.responseJsonSchema ?? config.responseSchema) as
        | Record<string, unknown>
        | undefined
      const text =
        (script.kind === 'ok' && script.text) ||
        (config.responseMimeType === 'application/json' || schema
          ? JSON.stringify(fromSchema(schema))
          : `Hello from ${credential.slice(0, 10)}`)
      const call = script.kind === 'ok' ? script.functionCall : undefined
      const wrap = (o: unknown) => (ca ? { response: o, traceId: 'trace-1' } : o)
      if (method === 'generateContent') return Response.json(wrap(whole(model, text, call)))
      if (method !== 'streamGenerateContent')
        return Response.json({ error: { code: 404, message: `no ${method}` } }, { status: 404 })
      const events = chunks(model, text, call).map(wrap)
      if (url.searchParams.get('alt') !== 'sse') return Response.json(events)
      const cut = script.kind === 'cut'
      const stream = new ReadableStream<Uint8Array>({
        async start(controller) {
          for (const [i, ev] of events.entries()) {
            if (cut && i === events.length - 1) {
              controller.error(new Error('cut'))
              return
            }
            controller.enqueue(enc.encode(`data: ${JSON.stringify(ev)}\r\n\r\n`))
            await Bun.sleep(1)
          }
          controller.close()
        },
      })
      return new Response(stream, { headers: { 'content-type': 'text/event-stream' } })
    },
  })
  const url = `http://127.0.0.1:${server.port}`
  return {
    url,
    tokenUrl: `${url}/token`,
    received,
    tokenRequests,
    get onboardCalls() {
      return onboardCalls
    },
    get loadCalls() {
      return loadCalls
    },
    /** Makes accounts whose access token starts with `prefix` need onboarding (no project yet). */
    needOnboarding(prefix: string) {
      needsOnboarding.add(prefix)
    },
    script(...s: GeminiScript[]) {
      scripts.push(...s)
    },
    reset() {
      received.length = 0
      scripts.length = 0
      tokenRequests.length = 0
    },
    stop() {
      server.stop(true)
    },
  }
}

/** The running fake. */
export type FakeGemini = ReturnType<typeof startFakeGemini>
