/**
 * @module
 * The admin's account test: a tiny streamed request sent to one account exactly as the relay
 * would send it (the adapter's `prepare`, the account's proxy and credentials, one renewal after
 * a 401), its upstream events passed on as they arrive, then one `event: test_complete` with
 * `{ success, status, latencyMs, text, error? }`, read with the dialect's own tap and assembler.
 */
import { modelMapping, type PoolEntry } from '../accounts/service.ts'
import type { FetchFn } from '../core/ports.ts'
import type { Dialect } from '../dialects/dialect.ts'
import type { PlatformAdapter, UpstreamCall } from './adapter.ts'
import type { ProbeResult } from './probe-result.ts'

const encoder = new TextEncoder()

/** What the probe needs. */
export interface ProbeDeps {
  adapter: PlatformAdapter
  dialect: Dialect
  fetch: FetchFn
  /** Gives up after this long (ms). */
  timeoutMs?: number
}

/** The probe's SSE answer for `entry` and `model` (the adapter's default model when empty). */
export function probeAccount(deps: ProbeDeps, entry: PoolEntry, model: string): Response {
  const { adapter, dialect } = deps
  const abort = new AbortController()
  const t0 = performance.now()
  const wanted = model || adapter.probeModel
  const { operation, body } = dialect.probeRequest(
    modelMapping(entry.account, wanted).upstreamModel,
  )
  const call: UpstreamCall = {
    entry,
    dialect: dialect.name,
    operation,
    clientHeaders: new Headers({ accept: 'text/event-stream' }),
    body,
    raw: encoder.encode(JSON.stringify(body)),
    model: wanted,
    upstreamModel: String(body.model ?? wanted),
    stream: true,
  }
  const send = async (signal: AbortSignal) => {
    const up = await adapter.prepare(call)
    const res = await deps.fetch(up.url, {
      method: up.method ?? 'POST',
      headers: up.headers,
      body: up.body,
      signal,
      redirect: 'manual',
    })
    return adapter.adaptResponse ? adapter.adaptResponse(res, call) : res
  }
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const latency = () => Math.round(performance.now() - t0)
      const complete = (data: ProbeResult) =>
        controller.enqueue(
          encoder.encode(`event: test_complete\ndata: ${JSON.stringify(data)}\n\n`),
        )
      let status = 0
      try {
        const signal = AbortSignal.any([
          abort.signal,
          AbortSignal.timeout(deps.timeoutMs ?? 60_000),
        ])
        let res = await send(signal)
        if (res.status === 401 && adapter.renewAfterUnauthorized) {
          if (await adapter.renewAfterUnauthorized(entry)) {
            await res.body?.cancel()
            res = await send(signal)
          }
        }
        status = res.status
        if (!res.ok || !res.body) {
          const bytes = new Uint8Array(await res.arrayBuffer())
          const error = dialect.upstreamMessage(bytes) || `upstream answered ${res.status}`
          complete({ success: false, latencyMs: latency(), status, text: '', error })
          return controller.close()
        }
        if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
          let text = ''
          try {
            text = dialect.answerText(JSON.parse(await res.text()))
          } catch {}
          complete({ success: true, latencyMs: latency(), status, text })
          return controller.close()
        }
        const tap = dialect.createTap({ captureLimit: 256 * 1024, model: wanted })
        const reader = res.body.getReader()
        let lastTwo = ''
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          tap.push(value)
          controller.enqueue(value)
          lastTwo = (lastTwo + String.fromCharCode(...value.subarray(-2))).slice(-2)
        }
        const facts = tap.finish()
        if (lastTwo !== '\n\n') controller.enqueue(encoder.encode('\n\n'))
        const answer = dialect.assemble(facts.captured)
        complete({
          success: facts.error === null,
          latencyMs: latency(),
          status,
          text: answer ? dialect.answerText(answer.message) : '',
          ...(facts.error ? { error: facts.error.message || 'upstream stream error' } : {}),
        })
      } catch (err) {
        if (abort.signal.aborted) return
        const error = err instanceof Error ? err.message : String(err)
        complete({ success: false, latencyMs: latency(), status, text: '', error })
      }
      controller.close()
    },
    cancel() {
      abort.abort()
    },
  })
  return new Response(stream, {
    headers: {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    },
  })
}
