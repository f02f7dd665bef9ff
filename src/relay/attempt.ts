/**
 * @module
 * One try of a request on one account: the adapter builds the upstream request, it is sent with
 * the client's disconnect and the idle watchdog wired to abort it, and the answer is classified
 * into a tagged result — `answer` (a response for the client: a relayed stream or a whole body),
 * `failover` (this account failed before anything reached the client: try the next), or `final`
 * (an upstream refusal that another account would not change, passed on as it is). A client that
 * disconnects meanwhile ends the request as `aborted`.
 */
import { type AttemptResult, isFailover } from '../accounts/health.ts'
import type { AccountService } from '../accounts/service.ts'
import { RelayError } from '../core/errors.ts'
import { describeNetworkError, readLimited } from '../core/http-body.ts'
import type { FetchFn, Logger } from '../core/ports.ts'
import type { UpstreamFailure } from '../dialects/dialect.ts'
import type { PlatformAdapter, UpstreamCall } from '../platforms/adapter.ts'
import type { Candidate } from './candidates.ts'
import type { Finish, RequestContext } from './context.ts'
import type { Deferred } from './deferred.ts'
import { type HeaderMap, responseHeaders } from './headers.ts'
import type { StreamRelay } from './stream-relay.ts'
import type { IdleWatchdog } from './watchdog.ts'

/** How a try ended. */
export type TryResult =
  | { kind: 'answer'; response: Response }
  | { kind: 'failover'; failure: UpstreamFailure }
  /** A network error, or (`unusable`) a success status whose body could not be read as an answer. */
  | { kind: 'failover'; network: string; unusable: boolean }
  | { kind: 'final'; failure: UpstreamFailure }

/** What a try needs. */
export interface AttemptDeps {
  accounts: AccountService
  logger: Logger
  watchdog: IdleWatchdog
  deferred: Deferred
  streams: StreamRelay
  fetchFor: (entry: Candidate['entry']) => FetchFn
  adapterOf: (entry: Candidate['entry']) => PlatformAdapter
  captureLimits: () => { request: number; response: number }
  /** Lifts the server idle timeout for a long-lived streaming request. */
  disableIdleTimeout?: (request: Request) => void
}

const decoder = new TextDecoder()

/** Error types of a stream's error event that mean the account hit a rate or usage limit. */
const STREAM_RATE_LIMITS = new Set([
  'usage_limit_reached',
  'rate_limit_exceeded',
  'rate_limit_error',
])

/** Tries `candidate` for the request; `finish` records the request when this try ends it. */
export async function tryAccount(
  deps: AttemptDeps,
  ctx: RequestContext,
  candidate: Candidate,
  finish: Finish,
): Promise<TryResult> {
  const { entry, pick, releaseAccount } = candidate
  const { accounts, logger, watchdog } = deps
  const { request, requestId, outcome: base, route } = ctx
  const adapter = deps.adapterOf(entry)
  const attempts = base.attempts
  const first = attempts.length === 0
  base.accountId = entry.account.id
  base.accountName = entry.account.name
  base.platform = entry.account.platform
  base.upstreamModel = pick.upstreamModel
  const call: UpstreamCall = {
    entry,
    dialect: route.dialect.name,
    operation: route.operation,
    clientHeaders: request.headers,
    body: ctx.body,
    raw: ctx.raw,
    model: ctx.model,
    upstreamModel: pick.upstreamModel,
    stream: ctx.stream,
    target: route.target,
  }
  // The body this try sent when the adapter changed it (kept in history beside the client's).
  let sent: { upstreamBody?: string; fixups?: string[] } | null = null
  const attempt = (status: number, error: string, at: number) =>
    attempts.push({
      accountId: entry.account.id,
      accountName: entry.account.name,
      status,
      error,
      ms: Math.round(performance.now() - at),
      ...sent,
    })

  const tAttempt = performance.now()
  let res: Response
  let upstreamAbort = new AbortController()
  let renewed = false
  try {
    for (;;) {
      upstreamAbort = new AbortController()
      const up = await adapter.prepare(call)
      if (up.upstreamModel) base.upstreamModel = up.upstreamModel
      if (up.body !== ctx.raw) sent = sentBody(up, deps.captureLimits().request)
      ctx.overheadMs += performance.now() - (first && !renewed ? ctx.t0 : tAttempt)
      const watch = watchdog.watch(upstreamAbort)
      const abortThis = upstreamAbort
      ctx.onClientAbort(() =>
        abortThis.abort(new DOMException('client closed the connection', 'AbortError')),
      )
      try {
        res = await deps.fetchFor(entry)(up.url, {
          method: up.method ?? 'POST',
          headers: up.headers,
          body: up.body,
          signal: upstreamAbort.signal,
          redirect: 'manual',
        })
      } finally {
        watch.stop()
        ctx.onClientAbort(null)
      }
      adapter.observe?.(entry, res.headers)
      if (res.status === 401 && adapter.renewAfterUnauthorized && !renewed) {
        await res.body?.cancel().catch(() => {})
        renewed = true
        if (await adapter.renewAfterUnauthorized(entry)) continue
        res = new Response(
          '{"type":"error","error":{"type":"authentication_error","message":"OAuth token rejected"}}',
          { status: 401 },
        )
      }
      if (adapter.adaptResponse) res = adapter.adaptResponse(res, call)
      break
    }
  } catch (err) {
    releaseAccount()
    if (request.signal.aborted) {
      finish(
        499,
        'aborted',
        'client_closed',
        'Client closed the connection before the response started',
      )
      throw new RelayError(499, 'api_error', 'Client closed request')
    }
    const message = describeNetworkError(err)
    attempt(0, message, tAttempt)
    await accounts.report(entry, { kind: 'network', message })
    logger.warn('upstream network error', {
      requestId,
      accountId: entry.account.id,
      error: message,
    })
    return { kind: 'failover', network: message, unusable: false }
  }

  if (res.status >= 400) {
    const bytes = await readLimited(res, 64 * 1024)
    const message = route.dialect.upstreamMessage(bytes) || `HTTP ${res.status}`
    const refusal = {
      status: res.status,
      headers: res.headers,
      message,
      model: ctx.model,
      body: bytes,
    }
    const result: AttemptResult = adapter.classify?.(refusal, entry) ?? {
      kind: 'http',
      status: res.status,
      headers: res.headers,
      message,
      model: ctx.model,
    }
    attempt(res.status, message.slice(0, 300), tAttempt)
    releaseAccount()
    await accounts.report(entry, result)
    const failure: UpstreamFailure = {
      status: res.status,
      body: bytes,
      headers: res.headers,
      message,
    }
    if (isFailover(result)) {
      logger.warn('upstream refused; trying another account', {
        requestId,
        accountId: entry.account.id,
        status: res.status,
      })
      return { kind: 'failover', failure }
    }
    return { kind: 'final', failure }
  }

  attempt(res.status, '', tAttempt)
  void accounts.report(entry, { kind: 'ok' })
  const tHeaders = performance.now()
  base.ttfbMs = Math.round(tHeaders - ctx.t0)
  const headers = responseHeaders(res.headers, requestId)
  const answerHeaders = res.headers
  const done: Finish = (status, outcome, errorType = '', errorMessage = '') => {
    releaseAccount()
    base.overheadMs = Math.round(ctx.overheadMs * 1000) / 1000
    // A stream that ended in a rate-limit error event (the ChatGPT backend's
    // `usage_limit_reached`) counts against the account as a 429 would have, its reset read
    // from the answer's headers by the adapter.
    if (outcome === 'error' && STREAM_RATE_LIMITS.has(errorType)) {
      const refusal = {
        status: 429,
        headers: answerHeaders,
        message: errorMessage,
        model: ctx.model,
      }
      void accounts.report(
        entry,
        adapter.classify?.(refusal, entry) ?? { kind: 'http', ...refusal },
      )
    }
    finish(status, outcome, errorType, errorMessage)
  }
  const isSse = (res.headers.get('content-type') ?? '').includes('text/event-stream')
  if (isSse && res.body) {
    deps.disableIdleTimeout?.(ctx.clientRequest)
    headers['x-accel-buffering'] = 'no'
    headers['cache-control'] = 'no-cache'
    ctx.overheadMs += performance.now() - tHeaders
    setOverheadHeaders(headers, ctx.overheadMs)
    const stream = deps.streams.relay(res.body, upstreamAbort, ctx, done)
    return { kind: 'answer', response: new Response(stream, { status: res.status, headers }) }
  }

  // Not streamed: the whole body is needed for its usage; the bytes are sent as received.
  let bytes: Uint8Array | null = null
  let unusable = ''
  const watch = watchdog.watch(upstreamAbort)
  const abortThis = upstreamAbort
  ctx.onClientAbort(() => abortThis.abort())
  try {
    bytes = new Uint8Array(await res.arrayBuffer())
  } catch (err) {
    if (request.signal.aborted) {
      done(499, 'aborted', 'api_error', describeNetworkError(err))
      throw new RelayError(499, 'api_error', 'Client closed request')
    }
    unusable = `Upstream connection lost while reading the response: ${describeNetworkError(err)}`
  } finally {
    watch.stop()
    ctx.onClientAbort(null)
  }
  const tBody = performance.now()
  if (bytes && route.billable) {
    try {
      const facts = route.dialect.readAnswer(JSON.parse(decoder.decode(bytes)))
      base.usage = facts.usage
      if (facts.model) base.model = facts.model
    } catch {
      base.usage = null
      // A success status with a body that is not JSON (garbage, cut short): not an answer.
      if (res.ok) unusable = `Upstream answered ${res.status} with a body that is not valid JSON`
    }
  }
  if (unusable || !bytes) {
    // Nothing reached the client yet: this account failed like a network error would.
    releaseAccount()
    const last = attempts.at(-1)
    if (last) last.error = unusable.slice(0, 300)
    await accounts.report(entry, { kind: 'network', message: unusable })
    logger.warn('upstream answer unusable; trying another account', {
      requestId,
      accountId: entry.account.id,
      error: unusable,
    })
    return { kind: 'failover', network: unusable, unusable: true }
  }
  const limit = deps.captureLimits().response
  base.responseBodyBytes = bytes.byteLength
  if (limit > 0) {
    const decoded = decoder.decode(bytes.subarray(0, limit * 4))
    base.responseBody = capText(decoded, limit)
    // Bytes left undecoded, or characters cut (a byte count is no character count).
    base.responseTruncated = bytes.byteLength > limit * 4 || decoded.length > limit
  }
  ctx.overheadMs += performance.now() - tBody
  setOverheadHeaders(headers, ctx.overheadMs)
  const status = res.status
  deps.deferred.afterResponse(() => done(status, 'success'))
  return { kind: 'answer', response: new Response(bytes, { status, headers }) }
}

/** The relay's own time so far, as `x-relay-overhead-ms` and Server-Timing `relay`. */
export function setOverheadHeaders(headers: HeaderMap, ms: number): void {
  const v = ms.toFixed(3)
  headers['x-relay-overhead-ms'] = v
  headers['server-timing'] = `relay;dur=${v}`
}

const encoder = new TextEncoder()

/** What history keeps of a changed upstream body: the text (capped) and the fix-ups applied. */
function sentBody(
  up: { body: string | Uint8Array; fixups?: string[] },
  limit: number,
): { upstreamBody?: string; fixups?: string[] } {
  const out: { upstreamBody?: string; fixups?: string[] } = {}
  if (limit > 0 && typeof up.body === 'string') out.upstreamBody = capText(up.body, limit)
  if (up.fixups?.length) out.fixups = up.fixups
  return out
}

/**
 * The first `limit` characters of `text`. A cut is copied: a slice would share (and keep alive)
 * the whole body, megabytes per request while its history record waits to be written.
 */
export function capText(text: string, limit: number): string {
  if (text.length <= limit) return text
  return decoder.decode(encoder.encode(text.slice(0, limit)))
}

/**
 * {@link capText} of a body read as `raw` and decoded as `text`. An ASCII body (as many bytes as
 * characters) is cut by decoding its first `limit` bytes: one pass instead of encoding and
 * decoding the cut.
 */
export function capBody(raw: Uint8Array, text: string, limit: number): string {
  if (text.length <= limit) return text
  if (raw.byteLength === text.length) return decoder.decode(raw.subarray(0, limit))
  return capText(text, limit)
}
