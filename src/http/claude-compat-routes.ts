/**
 * @module
 * Small client routes of the seed's Claude side that its clients still call: the Claude health
 * probes (`/api/health`, `/claude/health`), the organization-usage stub Claude Code asks for, and
 * the public stats page's key test (a short streamed message through the relay, reported as SSE
 * progress events ending in `test_complete`).
 */
import { Elysia, t } from 'elysia'
import { healthBucket } from '../accounts/health.ts'
import type { AccountService } from '../accounts/service.ts'
import { RelayError } from '../core/errors.ts'
import type { Clock } from '../core/ports.ts'
import type { KeyService } from '../keys/service.ts'
import { extractApiKey } from '../keys/service.ts'
import type { RelayService } from '../relay/pipeline.ts'
import type { UsageService } from '../usage/service.ts'
import { requestIdOf } from './error-plugin.ts'
import { messagesRoute } from './relay-routes.ts'

/** What the compat routes need. */
export interface ClaudeCompatDeps {
  version: string
  clock: Clock
  keys: KeyService
  accounts: AccountService
  usage: UsageService
  relay: RelayService
}

const CLAUDE_PLATFORMS = new Set(['claude-oauth', 'claude-console'])
const enc = new TextEncoder()
const sse = (data: unknown) => enc.encode(`data: ${JSON.stringify(data)}\n\n`)

/** The seed's Claude health body: healthy when at least one Claude account can take requests. */
export async function claudeHealth(deps: Pick<ClaudeCompatDeps, 'accounts' | 'clock' | 'version'>) {
  const now = deps.clock.now()
  const entries = (await deps.accounts.snapshot()).filter((e) =>
    CLAUDE_PLATFORMS.has(e.account.platform),
  )
  const active = entries.filter((e) => healthBucket(e.account, e.state, now) === 'available')
  return {
    status: active.length > 0 ? 'healthy' : 'unhealthy',
    service: 'claude-relay-service',
    version: deps.version,
    healthy: active.length > 0,
    activeAccounts: active.length,
    totalAccounts: entries.length,
    timestamp: new Date(now).toISOString(),
  }
}

/** Reads the text deltas of an Anthropic event stream, calling `onText` for each. */
async function readText(body: ReadableStream<Uint8Array>, onText: (s: string) => void) {
  const decoder = new TextDecoder()
  let buf = ''
  let error: string | null = null
  for await (const chunk of body) {
    buf += decoder.decode(chunk, { stream: true })
    let nl = buf.indexOf('\n')
    while (nl >= 0) {
      const line = buf.slice(0, nl).trim()
      buf = buf.slice(nl + 1)
      nl = buf.indexOf('\n')
      if (!line.startsWith('data:')) continue
      try {
        const ev = JSON.parse(line.slice(5).trim()) as {
          type?: string
          delta?: { type?: string; text?: string }
          error?: { message?: string }
        }
        if (ev.type === 'content_block_delta' && ev.delta?.type === 'text_delta' && ev.delta.text)
          onText(ev.delta.text)
        if (ev.type === 'error') error = ev.error?.message ?? 'upstream error'
      } catch {}
    }
  }
  return error
}

/** Claude compat controller. */
export function claudeCompatRoutes(deps: ClaudeCompatDeps) {
  const doc = { tags: ['relay'] }
  let app = new Elysia({ name: 'crs.claude-compat' })
  for (const path of ['/api/health', '/claude/health'])
    app = app.get(
      path,
      async ({ set }) => {
        const body = await claudeHealth(deps)
        if (!body.healthy) set.status = 503
        return body
      },
      {
        detail: {
          tags: ['health'],
          summary: 'Claude health (200 when a Claude account can take requests, else 503)',
        },
      },
    )
  for (const prefix of ['/api', '/claude', ''])
    app = app.get(
      `${prefix}/v1/organizations/:orgId/usage`,
      async ({ request }) => {
        const key = await deps.keys.authenticate(extractApiKey(request.headers))
        const { total } = await deps.usage.keySummary(key.id)
        const used =
          total.inputTokens +
          total.outputTokens +
          total.cacheCreate5mTokens +
          total.cacheCreate1hTokens +
          total.cacheReadTokens
        return {
          object: 'usage',
          data: [
            {
              type: 'credit_balance',
              credit_balance: key.tokenLimit > 0 ? Math.max(0, key.tokenLimit - used) : 0,
              unlimited: key.tokenLimit === 0,
            },
          ],
        }
      },
      { detail: { ...doc, summary: 'Organization usage stub of Claude Code (key token balance)' } },
    )
  const route = messagesRoute('/apiStats/api-key/test', 'messages')
  const test = async (
    request: Request,
    body: { apiKey: string; model?: string; prompt?: string },
  ) => {
    const requestId = requestIdOf(request)
    const model = body.model || 'claude-sonnet-4-5-20250929'
    const inner = new Request(request.url, {
      method: 'POST',
      headers: {
        'x-api-key': body.apiKey,
        'content-type': 'application/json',
        'user-agent': request.headers.get('user-agent') ?? 'crs-key-test',
      },
      body: JSON.stringify({
        model,
        max_tokens: 100,
        stream: true,
        messages: [{ role: 'user', content: body.prompt || 'hi' }],
      }),
      signal: request.signal,
    })
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        const t0 = deps.clock.now()
        controller.enqueue(sse({ type: 'test_start', message: 'Test started', model }))
        try {
          const res = await deps.relay.handle(inner, requestId, route)
          if (res.status >= 400 || !res.body) {
            const text = await res.text()
            let message = `HTTP ${res.status}`
            try {
              message =
                (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message
            } catch {}
            controller.enqueue(sse({ type: 'error', error: message, status: res.status }))
          } else {
            const error = await readText(res.body, (text) =>
              controller.enqueue(sse({ type: 'content', text })),
            )
            if (error) controller.enqueue(sse({ type: 'error', error }))
            else
              controller.enqueue(
                sse({
                  type: 'test_complete',
                  success: true,
                  model,
                  durationMs: deps.clock.now() - t0,
                }),
              )
          }
        } catch (err) {
          const status = err instanceof RelayError ? err.status : 500
          const message = err instanceof Error ? err.message : String(err)
          controller.enqueue(sse({ type: 'error', error: message, status }))
        }
        controller.close()
      },
    })
    return new Response(stream, {
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'request-id': requestId,
      },
    })
  }
  for (const path of ['/apiStats/api-key/test', '/apiStats/api/api-key/test'])
    app = app.post(path, ({ request, body }) => test(request, body), {
      body: t.Object({
        apiKey: t.String({ minLength: 1, maxLength: 200 }),
        model: t.Optional(t.String({ maxLength: 200 })),
        prompt: t.Optional(t.String({ maxLength: 2000 })),
      }),
      detail: {
        tags: ['key holder'],
        summary:
          'Tests a key with a short streamed message; SSE events test_start, content, test_complete or error',
      },
    })
  return app
}
