/**
 * @module
 * The Messages relay. Per request: authenticate the key (cached), validate the body, one storage
 * round trip for admission (limits, lease, sticky session), pick an account, forward the original
 * bytes (re-encoded only when the account needs a change), and answer with the upstream status as
 * soon as its headers arrive. A failure before the first byte moves the request to the next
 * account (bounded); after it, the stream ends with an SSE `error` event. Usage is read in-line by
 * a pass-through tap, and the request is reported to the recorder exactly once.
 */

import { type AttemptResult, isFailover } from '../accounts/health.ts'
import type { TokenProvider } from '../accounts/oauth.ts'
import type { AccountService, PoolEntry } from '../accounts/service.ts'
import type { Config } from '../config/schema.ts'
import {
  errorBody,
  errorTypeForStatus,
  InvalidRequestError,
  PermissionError,
  RateLimitError,
  RelayError,
  RequestTooLargeError,
  ServiceUnavailableError,
  UpstreamUnavailableError,
} from '../core/errors.ts'
import type { Clock, FetchFn, Logger } from '../core/ports.ts'
import { nextLocalMidnight, nextLocalMonday, periodsOf } from '../core/time.ts'
import type { ApiKey } from '../keys/model.ts'
import { extractApiKey, type KeyService } from '../keys/service.ts'
import type { AdmitResult, CostCap, LimitsRepository } from '../limits/repository.ts'
import type { Pricing } from '../usage/pricing.ts'
import {
  consoleMessagesUrl,
  countTokensUrl,
  DEFAULT_CLAUDE_CLI_UA,
  forwardableHeaders,
  type HeaderMap,
  hasClaudeCodeSystem,
  oauthBeta,
  responseHeaders,
  withClaudeCodeSystem,
} from './headers.ts'
import type { Attempt, RequestOutcome, RequestRecorder } from './recorder.ts'
import { type Pick as AccountPick, pickAccount } from './scheduler.ts'
import { sessionHashOf } from './session-hash.ts'
import { type TokenUsage, usageFrom } from './usage.ts'
import { UsageTap } from './usage-tap.ts'

/** Dependencies of the relay. */
export interface RelayDeps {
  config: Config
  keys: KeyService
  accounts: AccountService
  tokens: TokenProvider
  limits: LimitsRepository
  recorder: RequestRecorder
  pricing: Pick<Pricing, 'cost'>
  clock: Clock
  logger: Logger
  /** The fetch for an account (its proxy applied). */
  fetchFor: (entry: PoolEntry) => FetchFn
  /** Lifts the server idle timeout for a long-lived streaming request. */
  disableIdleTimeout?: (request: Request) => void
  /** Characters of request/response body kept for history (0 = none). */
  captureLimits?: () => { request: number; response: number }
}

/** Which upstream operation. */
export type RelayEndpoint = 'messages' | 'count_tokens'

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const CLIENT_RE: Record<string, RegExp> = {
  claude_code: /^claude-cli\/\d+\.\d+\.\d+/i,
  gemini_cli: /^GeminiCLI\/v?\d+/i,
  codex_cli: /^(codex_vscode|codex_cli_rs)\/\d+/i,
  droid_cli: /^factory-cli\/\d+/i,
}

/** Cost caps of a key as admission checks them (USD → nano-dollars). */
export function costCapsOf(key: ApiKey, model: string, now: number, tz: number): CostCap[] {
  const p = periodsOf(now, tz)
  const caps: CostCap[] = []
  if (key.dailyCostLimit > 0)
    caps.push({
      name: 'daily',
      period: `d:${p.day}`,
      limitNanos: Math.round(key.dailyCostLimit * 1e9),
      resetAt: nextLocalMidnight(now, tz),
    })
  if (key.totalCostLimit > 0)
    caps.push({
      name: 'total',
      period: 'total',
      limitNanos: Math.round(key.totalCostLimit * 1e9),
      resetAt: null,
    })
  if (key.weeklyOpusCostLimit > 0 && model.toLowerCase().includes('claude-opus'))
    caps.push({
      name: 'weekly-opus',
      period: `opus-w:${p.week}`,
      limitNanos: Math.round(key.weeklyOpusCostLimit * 1e9),
      resetAt: nextLocalMonday(now, tz),
    })
  return caps
}

const REJECTION_TEXT: Record<string, string> = {
  concurrency: 'Concurrency limit exceeded',
  'window-requests': 'Rate limit exceeded: too many requests in the current window',
  'window-tokens': 'Rate limit exceeded: token limit of the current window reached',
  'window-cost': 'Rate limit exceeded: cost limit of the current window reached',
  daily: 'Daily cost limit exceeded',
  total: 'Total cost limit exceeded',
  'weekly-opus': 'Weekly Opus cost limit exceeded',
}

/** The error a rejected admission turns into. */
export function rejectionError(r: Extract<AdmitResult, { ok: false }>, now: number): RelayError {
  const money =
    r.reason === 'daily' ||
    r.reason === 'total' ||
    r.reason === 'weekly-opus' ||
    r.reason === 'window-cost'
  const show = (v: number) => (money ? v / 1e9 : v)
  const details: Record<string, unknown> = {
    limit_type: r.reason,
    limit: show(r.limit),
    current: show(r.current),
    reset_at: r.resetAt ? new Date(r.resetAt).toISOString() : null,
  }
  const message = `${REJECTION_TEXT[r.reason] ?? 'Limit exceeded'} (limit ${show(r.limit)}, current ${show(r.current)}${r.resetAt ? `, resets at ${new Date(r.resetAt).toISOString()}` : ''})`
  if (r.reason === 'total') return new RateLimitError(message, { details })
  const retryAfter = r.resetAt ? Math.max(1, Math.ceil((r.resetAt - now) / 1000)) : 1
  return new RateLimitError(message, { retryAfter, details })
}

/** Creates the relay. */
export function createRelayService(deps: RelayDeps) {
  const { config, keys, accounts, tokens, limits, recorder, clock, logger } = deps
  const captureLimits = deps.captureLimits ?? (() => ({ request: 64 * 1024, response: 256 * 1024 }))
  const stickyTtlMs = Math.round(config.STICKY_SESSION_TTL_HOURS * 3_600_000)
  const watchdog = createIdleWatchdog(config.REQUEST_TIMEOUT)

  /** Handles POST /v1/messages and /v1/messages/count_tokens. */
  async function handle(
    request: Request,
    requestId: string,
    endpoint: RelayEndpoint,
    path: string,
    options: { clientRequest?: Request } = {},
  ): Promise<Response> {
    const startTime = clock.now()
    const t0 = performance.now()
    const key = await keys.authenticate(extractApiKey(request.headers))
    const userAgent = request.headers.get('user-agent') ?? ''
    const raw = await readBody(request, config.MAX_BODY_SIZE)
    const text = decoder.decode(raw)
    const body = parseBody(text, endpoint)
    const model = body.model as string
    const stream = endpoint === 'messages' && body.stream === true
    const limits0 = captureLimits()
    const limit = limits0.request
    const base: Omit<
      RequestOutcome,
      'endTime' | 'status' | 'outcome' | 'errorType' | 'errorMessage'
    > = {
      requestId,
      key,
      endpoint: path,
      model,
      stream,
      userAgent,
      startTime,
      ttfbMs: null,
      overheadMs: null,
      accountId: '',
      accountName: '',
      usage: null,
      billable: endpoint === 'messages',
      accountingModel: model,
      costNanos: 0,
      priced: true,
      longContext: false,
      attempts: [],
      requestBody: limit > 0 ? capText(text, limit) : '',
      requestBodyBytes: raw.byteLength,
      responseBody: '',
      responseBodyBytes: 0,
      responseTruncated: false,
      windowStart: 0,
    }
    const reject = (err: RelayError): never => {
      recorder.record({
        ...base,
        endTime: clock.now(),
        status: err.status,
        outcome: 'rejected',
        errorType: err.type,
        errorMessage: err.message,
      })
      throw err
    }

    checkKeyRules(key, model, userAgent, endpoint, reject)
    const sessionHash = stickyTtlMs > 0 ? await sessionHashOf(body) : null
    const now = clock.now()
    const windowOn =
      key.rateLimitWindow > 0 &&
      (key.rateLimitRequests > 0 || key.tokenLimit > 0 || key.rateLimitCost > 0)
    let admit: AdmitResult
    try {
      admit = await limits.admit({
        keyId: key.id,
        leaseId: requestId,
        now,
        concurrency:
          endpoint === 'messages' && key.concurrencyLimit > 0
            ? { limit: key.concurrencyLimit, leaseMs: config.CONCURRENCY_LEASE_MS }
            : undefined,
        window: windowOn
          ? {
              lengthMs: key.rateLimitWindow * 60_000,
              maxRequests: key.rateLimitRequests,
              maxTokens: key.tokenLimit,
              maxCostNanos: Math.round(key.rateLimitCost * 1e9),
            }
          : undefined,
        costCaps: costCapsOf(key, model, now, config.TIMEZONE_OFFSET),
        sessionHash: sessionHash ?? undefined,
      })
    } catch (err) {
      logger.error('admission failed: storage unavailable', { requestId, error: err })
      // The script may have taken the lease before its reply was lost: give it back (a failed
      // release is retried until storage answers), or the key's slot stays held until it expires.
      if (endpoint === 'messages' && key.concurrencyLimit > 0)
        void limits.release(key.id, requestId).catch(() => {})
      return reject(
        new ServiceUnavailableError('Storage is unavailable; try again shortly', { retryAfter: 2 }),
      )
    }
    if (!admit.ok) return reject(rejectionError(admit, now))
    base.windowStart = admit.windowStart

    let leaseHeld = admit.concurrency > 0
    const releaseLease = () => {
      if (!leaseHeld) return
      leaseHeld = false
      leases.delete(requestId)
      void limits
        .release(key.id, requestId)
        .catch((err) => logger.warn('cannot release lease', { requestId, error: err }))
    }
    if (leaseHeld) leases.set(requestId, key.id)

    let abortAction: (() => void) | null = null
    let listening = false
    const onClientAbort = (action: (() => void) | null) => {
      abortAction = action
      if (action && !listening) {
        listening = true
        request.signal.addEventListener('abort', () => abortAction?.(), { once: true })
      }
    }

    try {
      return await forward({
        request,
        clientRequest: options.clientRequest ?? request,
        requestId,
        endpoint,
        key,
        body,
        raw,
        model,
        stream,
        sessionHash,
        sticky: admit.stickyAccountId,
        base,
        t0,
        releaseLease,
        onClientAbort,
      })
    } catch (err) {
      releaseLease()
      throw err
    }
  }

  interface ForwardInput {
    request: Request
    /** The request the server received (differs from `request` for translated routes). */
    clientRequest: Request
    requestId: string
    endpoint: RelayEndpoint
    key: ApiKey
    body: Record<string, unknown>
    raw: Uint8Array
    model: string
    stream: boolean
    sessionHash: string | null
    sticky: string | null
    base: Omit<RequestOutcome, 'endTime' | 'status' | 'outcome' | 'errorType' | 'errorMessage'>
    t0: number
    releaseLease: () => void
    /**
     * Sets what a client disconnect does now (null: nothing). One listener on the client's
     * signal serves every phase of the request: adding and removing one per phase cost ~3 µs.
     */
    onClientAbort: (action: (() => void) | null) => void
  }

  async function forward(f: ForwardInput): Promise<Response> {
    const { request, requestId, key, model, base } = f
    const tried = new Set<string>()
    const attempts: Attempt[] = []
    base.attempts = attempts
    let last: { status: number; body: Uint8Array; headers: Headers; message: string } | null = null
    let lastNetwork: string | null = null
    let stickyFixed = false
    let caughtUp = false
    let overheadMs = 0

    const finish = (
      status: number,
      outcome: RequestOutcome['outcome'],
      errorType: string,
      errorMessage: string,
    ) => {
      f.releaseLease()
      if (base.usage && base.billable) {
        const c = deps.pricing.cost(base.accountingModel, base.usage)
        base.costNanos = c.costNanos
        base.priced = c.priced
        base.accountingModel = c.model
        base.longContext = c.longContext
      }
      recorder.record({ ...base, endTime: clock.now(), status, outcome, errorType, errorMessage })
    }

    for (let attempt = 0; attempt < config.MAX_ACCOUNT_TRIES; attempt++) {
      const pool = await accounts.snapshot()
      const now = clock.now()
      const picked = pickAccount(pool, {
        key,
        model,
        stickyAccountId: f.sticky,
        exclude: tried,
        now,
      })
      if (!('entry' in picked)) {
        // Nothing here serves the key: an account created or regrouped on another instance may not
        // have been broadcast to this one yet. Catch up with storage and pick once more (also when
        // this key's catch-up is paced: another request's may have landed since our snapshot).
        if (attempt === 0 && !picked.anyServes && !caughtUp) {
          caughtUp = true
          await accounts.catchUp(key.id)
          attempt--
          continue
        }
        if (attempt === 0) {
          const err = picked.anyServes
            ? new UpstreamUnavailableError(
                `No account is available for model "${model}": ${picked.reason}`,
                { retryAfter: 30 },
              )
            : new ServiceUnavailableError(`No account can serve model "${model}": ${picked.reason}`)
          finish(err.status, 'error', err.type, err.message)
          throw err
        }
        break
      }
      const { entry } = picked
      // Marked used before any await, so concurrent picks spread over the pool.
      accounts.touch(entry)
      if (f.sessionHash && !stickyFixed && picked.via !== 'sticky' && picked.via !== 'binding') {
        stickyFixed = true
        if (f.sticky === null) {
          // A new session: claim it atomically, so first requests of one session arriving at
          // several instances at once all follow the same account.
          const owner = await limits
            .claimSticky(key.id, f.sessionHash, entry.account.id, stickyTtlMs)
            .catch(() => entry.account.id)
          if (owner !== entry.account.id && !tried.has(owner)) {
            f.sticky = owner
            attempt--
            continue
          }
        } else {
          // The pinned account cannot serve now: pin the session to this one.
          void limits
            .setSticky(key.id, f.sessionHash, entry.account.id, stickyTtlMs)
            .catch(() => {})
        }
      }
      tried.add(entry.account.id)
      let accountLease = false
      if (entry.account.maxConcurrency > 0) {
        accountLease = await limits
          .acquireAccountLease(
            entry.account.id,
            requestId,
            entry.account.maxConcurrency,
            600_000,
            now,
          )
          .catch(() => false)
        if (!accountLease) {
          attempt--
          continue
        }
      }
      const releaseAccount = () => {
        if (!accountLease) return
        accountLease = false
        void limits.releaseAccountLease(entry.account.id, requestId).catch(() => {})
      }
      base.accountId = entry.account.id
      base.accountName = entry.account.name

      const tAttempt = performance.now()
      let res: Response
      let upstreamAbort: AbortController
      let retriedAuth = false
      try {
        for (;;) {
          upstreamAbort = new AbortController()
          const init = await buildUpstream(entry, picked, f, upstreamAbort.signal)
          overheadMs += performance.now() - (attempt === 0 && !retriedAuth ? f.t0 : tAttempt)
          const watch = watchdog.watch(upstreamAbort)
          const abortThis = upstreamAbort
          f.onClientAbort(() =>
            abortThis.abort(new DOMException('client closed the connection', 'AbortError')),
          )
          try {
            res = await deps.fetchFor(entry)(init.url, init.init)
          } finally {
            watch.stop()
            f.onClientAbort(null)
          }
          if (res.status === 401 && entry.account.platform === 'claude-oauth' && !retriedAuth) {
            await res.body?.cancel().catch(() => {})
            retriedAuth = true
            if (await tokens.afterUnauthorized(entry)) continue
            res = new Response(
              '{"type":"error","error":{"type":"authentication_error","message":"OAuth token rejected"}}',
              { status: 401 },
            )
          }
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
        lastNetwork = message
        attempts.push({
          accountId: entry.account.id,
          accountName: entry.account.name,
          status: 0,
          error: message,
          ms: Math.round(performance.now() - tAttempt),
        })
        await accounts.report(entry, { kind: 'network', message })
        logger.warn('upstream network error', {
          requestId,
          accountId: entry.account.id,
          error: message,
        })
        continue
      }

      if (res.status >= 400) {
        const text = await readLimited(res, 64 * 1024)
        const message = upstreamMessage(text) || `HTTP ${res.status}`
        const result: AttemptResult = {
          kind: 'http',
          status: res.status,
          headers: res.headers,
          message,
          opus: model.toLowerCase().includes('opus'),
        }
        attempts.push({
          accountId: entry.account.id,
          accountName: entry.account.name,
          status: res.status,
          error: message.slice(0, 300),
          ms: Math.round(performance.now() - tAttempt),
        })
        releaseAccount()
        await accounts.report(entry, result)
        last = { status: res.status, body: text, headers: res.headers, message }
        lastNetwork = null
        if (isFailover(result)) {
          logger.warn('upstream refused; trying another account', {
            requestId,
            accountId: entry.account.id,
            status: res.status,
          })
          continue
        }
        break
      }

      attempts.push({
        accountId: entry.account.id,
        accountName: entry.account.name,
        status: res.status,
        error: '',
        ms: Math.round(performance.now() - tAttempt),
      })
      void accounts.report(entry, { kind: 'ok' })
      const tHeaders = performance.now()
      base.ttfbMs = Math.round(tHeaders - f.t0)
      const headers = responseHeaders(res.headers, requestId)
      const done = (
        status: number,
        outcome: RequestOutcome['outcome'],
        errorType = '',
        errorMessage = '',
      ) => {
        releaseAccount()
        base.overheadMs = Math.round(overheadMs * 1000) / 1000
        finish(status, outcome, errorType, errorMessage)
      }
      const isSse = (res.headers.get('content-type') ?? '').includes('text/event-stream')
      if (isSse && res.body) {
        deps.disableIdleTimeout?.(f.clientRequest)
        headers['x-accel-buffering'] = 'no'
        headers['cache-control'] = 'no-cache'
        overheadMs += performance.now() - tHeaders
        setOverheadHeaders(headers, overheadMs)
        return new Response(relayStream(res.body, upstreamAbort!, f, done), {
          status: res.status,
          headers,
        })
      }
      // Non-streaming: the whole body is needed for its usage; the bytes are sent as received.
      let bytes: Uint8Array | null = null
      let unusable = ''
      const watch = watchdog.watch(upstreamAbort!)
      const abortThis = upstreamAbort!
      f.onClientAbort(() => abortThis.abort())
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
        f.onClientAbort(null)
      }
      const tBody = performance.now()
      if (bytes && f.endpoint === 'messages') {
        try {
          const json = JSON.parse(decoder.decode(bytes)) as { usage?: unknown; model?: unknown }
          base.usage = usageFrom(json.usage)
          if (typeof json.model === 'string' && json.model) base.accountingModel = json.model
        } catch {
          base.usage = null
          // A success status with a body that is not JSON (garbage, cut short): not a message.
          if (res.ok)
            unusable = `Upstream answered ${res.status} with a body that is not valid JSON`
        }
      }
      if (unusable || !bytes) {
        // Nothing reached the client yet: this account failed like a network error would.
        releaseAccount()
        const attempt = attempts.at(-1)
        if (attempt) attempt.error = unusable.slice(0, 300)
        await accounts.report(entry, { kind: 'network', message: unusable })
        last = null
        lastNetwork = unusable
        logger.warn('upstream answer unusable; trying another account', {
          requestId,
          accountId: entry.account.id,
          error: unusable,
        })
        continue
      }
      const limit = captureLimits().response
      base.responseBodyBytes = bytes.byteLength
      if (limit > 0) {
        const decoded = decoder.decode(bytes.subarray(0, limit * 4))
        base.responseBody = capText(decoded, limit)
        // Bytes left undecoded, or characters cut (a byte count is no character count).
        base.responseTruncated = bytes.byteLength > limit * 4 || decoded.length > limit
      }
      overheadMs += performance.now() - tBody
      setOverheadHeaders(headers, overheadMs)
      const status = res.status
      afterResponse(() => done(status, 'success'))
      return new Response(bytes, { status, headers })
    }

    // Every try failed.
    if (last) {
      const err = upstreamErrorResponse(last, requestId)
      finish(last.status, 'error', errorTypeForStatus(last.status), last.message.slice(0, 500))
      return err
    }
    const message = lastNetwork ?? 'every account failed'
    const timeout = /timed? ?out/i.test(message)
    const err = timeout
      ? new RelayError(504, 'timeout_error', `Upstream timed out: ${message}`)
      : new RelayError(
          502,
          'api_error',
          message.startsWith('Upstream ') ? message : `Upstream connection failed: ${message}`,
        )
    finish(err.status, 'error', err.type, err.message)
    throw err
  }

  async function buildUpstream(
    entry: PoolEntry,
    pick: AccountPick,
    f: ForwardInput,
    signal: AbortSignal,
  ): Promise<{ url: string; init: RequestInit }> {
    const a = entry.account
    const headers = forwardableHeaders(f.request.headers)
    headers['content-type'] = 'application/json'
    headers['accept-encoding'] = 'identity'
    let body: Record<string, unknown> | null = null
    let url: string
    if (a.platform === 'claude-oauth') {
      const token = await tokens.accessToken(entry)
      url =
        f.endpoint === 'count_tokens'
          ? countTokensUrl(config.CLAUDE_API_URL)
          : config.CLAUDE_API_URL
      headers.authorization = `Bearer ${token}`
      headers['anthropic-version'] ??= config.CLAUDE_API_VERSION
      headers['anthropic-beta'] = oauthBeta(f.request.headers.get('anthropic-beta'), f.model)
      const ua = headers['user-agent'] ?? ''
      const isClaudeCode = /^claude-cli\//i.test(ua) && hasClaudeCodeSystem(f.body)
      if (!/^claude-cli\//i.test(ua)) headers['user-agent'] = DEFAULT_CLAUDE_CLI_UA
      if (!isClaudeCode && !hasClaudeCodeSystem(f.body)) body = withClaudeCodeSystem(f.body)
    } else {
      url = consoleMessagesUrl(a.apiUrl, f.endpoint === 'count_tokens')
      const apiKey = entry.secrets.apiKey ?? ''
      if (apiKey.startsWith('sk-ant-')) headers['x-api-key'] = apiKey
      else headers.authorization = `Bearer ${apiKey}`
      headers['anthropic-version'] ??= config.CLAUDE_API_VERSION
      if (a.userAgent) headers['user-agent'] = a.userAgent
      else headers['user-agent'] ??= DEFAULT_CLAUDE_CLI_UA
    }
    if (pick.upstreamModel !== f.model) body = { ...(body ?? f.body), model: pick.upstreamModel }
    return {
      url,
      init: {
        method: 'POST',
        headers,
        body: body ? JSON.stringify(body) : f.raw,
        signal,
        redirect: 'manual',
      },
    }
  }

  function relayStream(
    upstream: ReadableStream<Uint8Array>,
    abort: AbortController,
    f: ForwardInput,
    done: (
      status: number,
      outcome: RequestOutcome['outcome'],
      errorType?: string,
      errorMessage?: string,
    ) => void,
  ): ReadableStream<Uint8Array> {
    const reader = upstream.getReader()
    const tap = new UsageTap({ captureLimit: captureLimits().response, model: f.model })
    const watch = watchdog.watch(abort)
    let ended = false
    /** Ends the stream once; `later` records it on the next turn (after the client's last bytes). */
    const end = (
      outcome: RequestOutcome['outcome'],
      errorType = '',
      errorMessage = '',
      later = false,
    ) => {
      if (ended) return
      ended = true
      activeStreams.delete(onShutdown)
      watch.stop()
      f.onClientAbort(null)
      const record = () => {
        const facts = tap.finish()
        f.base.usage = facts.usage
        if (facts.model) f.base.accountingModel = facts.model
        f.base.responseBody = facts.captured
        f.base.responseBodyBytes = facts.bytes
        f.base.responseTruncated = facts.capturedTruncated
        if (outcome === 'success' && facts.error)
          done(200, 'error', facts.error.type, facts.error.message)
        else if (outcome === 'success' && !facts.complete)
          done(200, 'error', 'api_error', 'Upstream stream ended before message_stop')
        else done(outcome === 'aborted' ? 499 : 200, outcome, errorType, errorMessage)
      }
      if (later) afterResponse(record)
      else record()
    }
    const onClientAbort = () => {
      abort.abort(new DOMException('client closed the connection', 'AbortError'))
      end('aborted', 'client_closed', 'Client closed the connection during the stream')
    }
    let cutByShutdown = false
    const onShutdown = () => {
      cutByShutdown = true
      end('aborted', 'server_shutdown', 'The relay shut down during the stream')
      abort.abort(new DOMException('server shutting down', 'AbortError'))
    }
    activeStreams.add(onShutdown)
    f.onClientAbort(onClientAbort)
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            const { done: finished, value } = await reader.read()
            if (finished) {
              const wasEnded = ended
              tap.close()
              end('success', '', '', true)
              // Upstream ended without message_stop or its own error event: tell the client.
              if (!wasEnded && !tap.facts.complete && !tap.facts.error)
                controller.enqueue(
                  sseError('api_error', 'Upstream stream ended early', f.requestId),
                )
              controller.close()
              return
            }
            watch.touch()
            tap.push(value)
            controller.enqueue(value)
          } catch (err) {
            if (ended) {
              try {
                // Cut at the drain deadline: the client learns the answer is incomplete.
                if (cutByShutdown)
                  controller.enqueue(
                    sseError(
                      'api_error',
                      'The relay shut down during the stream; retry the request',
                      f.requestId,
                    ),
                  )
                controller.close()
              } catch {}
              return
            }
            const timedOut = watch.timedOut
            const message = timedOut
              ? 'Upstream stream was idle for too long'
              : `Upstream connection lost: ${describeNetworkError(err)}`
            const type = timedOut ? 'timeout_error' : 'api_error'
            controller.enqueue(sseError(type, message, f.requestId))
            end('error', type, message)
            controller.close()
          }
        },
        cancel() {
          onClientAbort()
          void reader.cancel().catch(() => {})
        },
      },
      { highWaterMark: 1 },
    )
  }

  const leases = new Map<string, string>()
  const activeStreams = new Set<() => void>()
  /**
   * Recording of requests whose response is complete, run on the next turn of the event loop:
   * usage, history, metrics and the lease release then follow the response's last bytes instead
   * of delaying them (about 20 µs of p50 at 1 client). `stop()` runs what is still waiting.
   */
  const deferred = new Set<() => void>()
  const onNextTurn: (fn: () => void) => void =
    typeof setImmediate === 'function' ? (fn) => setImmediate(fn) : (fn) => setTimeout(fn, 0)
  function run(record: () => void): void {
    try {
      record()
    } catch (err) {
      logger.error('cannot record a finished request', { error: err })
    }
  }
  function settle(): void {
    for (const record of [...deferred]) {
      deferred.delete(record)
      run(record)
    }
  }
  function afterResponse(record: () => void): void {
    deferred.add(record)
    onNextTurn(() => {
      if (deferred.delete(record)) run(record)
    })
  }
  const renewTimer = setInterval(
    () => {
      if (leases.size === 0) return
      const list = [...leases].map(([leaseId, keyId]) => ({ keyId, leaseId }))
      void limits.renew(list, config.CONCURRENCY_LEASE_MS, clock.now()).catch(() => {})
    },
    Math.max(1000, Math.floor(config.CONCURRENCY_LEASE_MS / 3)),
  )
  ;(renewTimer as { unref?: () => void }).unref?.()

  return {
    handle,
    /** Requests holding a concurrency lease right now. */
    inFlight: () => leases.size,
    /** Streams being relayed right now. */
    activeStreams: () => activeStreams.size,
    /** Ends every open stream (shutdown after the drain timeout): each is recorded as aborted. */
    abortAll: () => {
      for (const stop of [...activeStreams]) stop()
    },
    /** Records now the finished requests still waiting for the event loop's next turn. */
    settle,
    stop: () => {
      clearInterval(renewTimer)
      watchdog.stop()
      settle()
    },
  }
}

/** The relay's interface. */
export type RelayService = ReturnType<typeof createRelayService>

function checkKeyRules(
  key: ApiKey,
  model: string,
  ua: string,
  endpoint: RelayEndpoint,
  reject: (e: RelayError) => never,
): void {
  if (key.permissions !== 'all' && key.permissions !== 'claude') {
    reject(
      new PermissionError(
        `This API key is not allowed to use Claude (permissions: ${key.permissions})`,
      ),
    )
  }
  if (key.enableModelRestriction && key.restrictedModels.length > 0) {
    const bare = model.replace(/^[a-z0-9-]+,/i, '')
    const listed = key.restrictedModels.includes(bare) || key.restrictedModels.includes(model)
    if (key.modelRestrictionMode === 'allow' ? !listed : listed) {
      reject(new PermissionError(`This API key may not use model "${model}"`))
    }
  }
  if (endpoint === 'messages' && key.enableClientRestriction && key.allowedClients.length > 0) {
    const ok = key.allowedClients.some((c) => CLIENT_RE[c]?.test(ua))
    if (!ok)
      reject(
        new PermissionError(
          `Client not allowed: this API key only accepts ${key.allowedClients.join(', ')}`,
          { details: { allowed_clients: key.allowedClients } },
        ),
      )
  }
}

async function readBody(request: Request, max: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? '0')
  if (declared > max) throw new RequestTooLargeError(`Request body is larger than ${max} bytes`)
  const buf = new Uint8Array(await request.arrayBuffer())
  if (buf.byteLength > max)
    throw new RequestTooLargeError(`Request body is larger than ${max} bytes`)
  return buf
}

function parseBody(text: string, endpoint: RelayEndpoint): Record<string, unknown> {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new InvalidRequestError('Cannot parse request body: expected valid JSON')
  }
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new InvalidRequestError('Request body must be a JSON object')
  const b = body as Record<string, unknown>
  if (typeof b.model !== 'string' || !b.model.trim())
    throw new InvalidRequestError('model: field required (a model name string)')
  if (!Array.isArray(b.messages) || b.messages.length === 0)
    throw new InvalidRequestError('messages: must be a non-empty array')
  if (endpoint === 'messages' && b.stream !== undefined && typeof b.stream !== 'boolean')
    throw new InvalidRequestError('stream: must be a boolean')
  return b
}

/** The relay's own time so far, as `x-relay-overhead-ms` and Server-Timing `relay`. */
/** An Anthropic-shaped SSE `error` event, as bytes to enqueue. */
function sseError(type: string, message: string, requestId: string): Uint8Array {
  return encoder.encode(
    `event: error\ndata: ${JSON.stringify(errorBody(type, message, requestId))}\n\n`,
  )
}

function setOverheadHeaders(headers: HeaderMap, ms: number): void {
  const v = ms.toFixed(3)
  headers['x-relay-overhead-ms'] = v
  headers['server-timing'] = `relay;dur=${v}`
}

/**
 * The first `limit` characters of `text`. A cut is copied: a slice would share (and keep alive)
 * the whole body, megabytes per request while its history record waits to be written.
 */
function capText(text: string, limit: number): string {
  if (text.length <= limit) return text
  return decoder.decode(encoder.encode(text.slice(0, limit)))
}

async function readLimited(res: Response, max: number): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array()
  const reader = res.body.getReader()
  const parts: Uint8Array[] = []
  let n = 0
  try {
    while (n < max) {
      const { done, value } = await reader.read()
      if (done) break
      parts.push(value)
      n += value.byteLength
    }
  } catch {
    // a broken error body still has a status
  } finally {
    void reader.cancel().catch(() => {})
  }
  const out = new Uint8Array(Math.min(n, max))
  let off = 0
  for (const p of parts) {
    const take = Math.min(p.byteLength, out.byteLength - off)
    out.set(p.subarray(0, take), off)
    off += take
  }
  return out
}

function upstreamMessage(bytes: Uint8Array): string {
  const text = decoder.decode(bytes)
  try {
    const j = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown }
    if (typeof j.error === 'object' && typeof j.error?.message === 'string') return j.error.message
    if (typeof j.error === 'string') return j.error
    if (typeof j.message === 'string') return j.message
  } catch {
    // not JSON
  }
  return text.slice(0, 300)
}

function upstreamErrorResponse(
  last: { status: number; body: Uint8Array; headers: Headers; message: string },
  requestId: string,
): Response {
  const headers = new Headers({ 'content-type': 'application/json', 'request-id': requestId })
  const retry = last.headers.get('retry-after')
  if (retry) headers.set('retry-after', retry)
  for (const [k, v] of last.headers) if (k.startsWith('anthropic-ratelimit-')) headers.set(k, v)
  let body: unknown
  try {
    const j = JSON.parse(decoder.decode(last.body)) as Record<string, unknown>
    if (j && j.type === 'error' && typeof j.error === 'object')
      body = { ...j, request_id: requestId }
  } catch {
    // fall through to a wrapped body
  }
  body ??= errorBody(
    errorTypeForStatus(last.status),
    last.message || `Upstream answered ${last.status}`,
    requestId,
  )
  return new Response(JSON.stringify(body), { status: last.status, headers })
}

function describeNetworkError(err: unknown): string {
  if (err instanceof DOMException && err.name === 'TimeoutError') return 'timed out'
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    return `${typeof code === 'string' ? `${code}: ` : ''}${err.message}`.slice(0, 300)
  }
  return String(err).slice(0, 300)
}

/** One shared timer that aborts upstream requests idle for longer than `timeoutMs`. */
function createIdleWatchdog(timeoutMs: number) {
  interface Watch {
    last: number
    abort: AbortController
    timedOut: boolean
  }
  const watches = new Set<Watch>()
  let timer: ReturnType<typeof setInterval> | null = null
  const tick = () => {
    const now = performance.now()
    for (const w of watches) {
      if (now - w.last > timeoutMs) {
        w.timedOut = true
        watches.delete(w)
        w.abort.abort(new DOMException('upstream idle timeout', 'TimeoutError'))
      }
    }
    if (watches.size === 0 && timer) {
      clearInterval(timer)
      timer = null
    }
  }
  return {
    watch(abort: AbortController) {
      const w: Watch = { last: performance.now(), abort, timedOut: false }
      watches.add(w)
      if (!timer) {
        timer = setInterval(tick, Math.min(1000, Math.max(50, timeoutMs / 4)))
        ;(timer as { unref?: () => void }).unref?.()
      }
      return {
        touch: () => {
          w.last = performance.now()
        },
        stop: () => {
          watches.delete(w)
        },
        get timedOut() {
          return w.timedOut
        },
      }
    },
    stop() {
      if (timer) clearInterval(timer)
      timer = null
      watches.clear()
    },
  }
}

export type { TokenUsage }
