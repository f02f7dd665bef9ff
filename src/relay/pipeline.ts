/**
 * @module
 * The relay pipeline, the same for every platform: key → body → key rules → admission (one
 * storage round trip) → candidate accounts → one try each (failover before the first byte,
 * bounded) → the answer relayed with a usage tap → the request recorded exactly once, off the
 * response path. What differs per platform lives behind the adapter seam (`platforms/`) and per
 * wire protocol behind the dialect (`dialects/`).
 *
 * ```
 * route ─▶ authenticate ─▶ read + parse body (dialect) ─▶ key rules ─▶ admit (lease, window,
 *   caps, sticky) ─▶ candidates (scheduler, catch-up, sticky claim, account lease)
 *     └─▶ tryAccount: adapter.prepare ─▶ fetch ─▶ answer | failover ─▶ next | final
 *           └─▶ stream relay (dialect tap) or whole body ─▶ record (deferred) ─▶ recorder
 * ```
 */
import type { AccountPlatform } from '../accounts/model.ts'
import type { AccountService, PoolEntry } from '../accounts/service.ts'
import type { Config } from '../config/schema.ts'
import {
  errorTypeForStatus,
  NotFoundError,
  RelayError,
  RequestTooLargeError,
} from '../core/errors.ts'
import type { Clock, FetchFn, Logger } from '../core/ports.ts'
import type { UpstreamFailure } from '../dialects/dialect.ts'
import { extractApiKey, type KeyService } from '../keys/service.ts'
import type { LimitsRepository } from '../limits/repository.ts'
import type { PlatformRegistry } from '../platforms/adapter.ts'
import type { Pricing } from '../usage/pricing.ts'
import { admit, checkKeyRules } from './admission.ts'
import { capBody, tryAccount } from './attempt.ts'
import { candidatesFor } from './candidates.ts'
import type { Finish, OutcomeDraft, RelayRoute, RequestContext } from './context.ts'
import { createDeferred, type Deferred } from './deferred.ts'
import { createLeases } from './leases.ts'
import type { RequestRecorder } from './recorder.ts'
import { noPickError } from './scheduler.ts'
import { createStreamRelay, type StreamFactory } from './stream-relay.ts'
import { createIdleWatchdog } from './watchdog.ts'

export type { RelayRoute }

/** Dependencies of the relay. */
export interface RelayDeps {
  config: Config
  keys: KeyService
  accounts: AccountService
  registry: PlatformRegistry
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
  /** The deferred-recording queue (usage and history flushes settle it first). */
  deferred?: Deferred
  /** The runtime's stream for relayed answers (default: the standard one). */
  makeStream?: StreamFactory
}

const decoder = new TextDecoder()

/** Creates the relay. */
export function createRelayService(deps: RelayDeps) {
  const { config, keys, accounts, limits, recorder, clock, logger, registry } = deps
  const captureLimits = deps.captureLimits ?? (() => ({ request: 64 * 1024, response: 256 * 1024 }))
  const stickyTtlMs = Math.round(config.STICKY_SESSION_TTL_HOURS * 3_600_000)
  const watchdog = createIdleWatchdog(config.REQUEST_TIMEOUT)
  const deferred = deps.deferred ?? createDeferred(logger)
  const leases = createLeases({ limits, leaseMs: config.CONCURRENCY_LEASE_MS, clock, logger })
  const streams = createStreamRelay({
    watchdog,
    deferred,
    captureLimits,
    makeStream: deps.makeStream,
  })
  const attemptDeps = {
    accounts,
    logger,
    watchdog,
    deferred,
    streams,
    fetchFor: deps.fetchFor,
    adapterOf: (entry: PoolEntry) => registry.adapter(entry.account.platform),
    captureLimits,
    disableIdleTimeout: deps.disableIdleTimeout,
  }
  const candidateDeps = {
    accounts,
    limits,
    registry,
    clock,
    maxTries: config.MAX_ACCOUNT_TRIES,
    stickyTtlMs,
  }

  /** Relays one request of `route`. Throws a RelayError the route renders in its dialect. */
  async function handle(
    request: Request,
    requestId: string,
    route: RelayRoute,
    options: { clientRequest?: Request } = {},
  ): Promise<Response> {
    const startTime = clock.now()
    const t0 = performance.now()
    const key = await keys.authenticate(extractApiKey(request.headers, request.url))
    const userAgent = request.headers.get('user-agent') ?? ''
    const raw = await readBody(request, config.MAX_BODY_SIZE)
    const text = decoder.decode(raw)
    const parsed = route.dialect.parse(text, route.operation)
    const { model, stream } = parsed
    const limit = captureLimits().request
    const outcome: OutcomeDraft = {
      requestId,
      key,
      endpoint: route.path,
      dialect: route.dialect.name,
      requestedModel: model,
      upstreamModel: '',
      model,
      stream,
      userAgent,
      requestHeaders: (options.clientRequest ?? request).headers,
      startTime,
      ttfbMs: null,
      overheadMs: null,
      accountId: '',
      accountName: '',
      platform: '',
      usage: null,
      billable: route.billable,
      costNanos: 0,
      priced: true,
      longContext: false,
      attempts: [],
      requestBody: limit > 0 ? capBody(raw, text, limit) : '',
      requestBodyBytes: raw.byteLength,
      responseBody: '',
      responseBodyBytes: 0,
      responseTruncated: false,
      windowStart: 0,
    }
    const rejected = (err: unknown): never => {
      if (err instanceof RelayError)
        recorder.record({
          ...outcome,
          endTime: clock.now(),
          status: err.status,
          outcome: 'rejected',
          errorType: err.type,
          errorMessage: err.message,
        })
      throw err
    }

    const family = registry.family(route.family)
    let admitted: Awaited<ReturnType<typeof admit>>
    let sessionHash: string | null = null
    try {
      checkKeyRules(key, { family, model, userAgent, checkClient: route.billable })
      sessionHash =
        stickyTtlMs > 0 ? await route.dialect.sessionHash(parsed.body, request.headers) : null
      admitted = await admit(
        { config, limits, logger },
        { key, requestId, model, now: clock.now(), leased: route.billable, sessionHash },
      )
    } catch (err) {
      return rejected(err)
    }
    outcome.windowStart = admitted.windowStart
    const releaseLease = admitted.concurrency > 0 ? leases.hold(key.id, requestId) : () => {}

    let abortAction: (() => void) | null = null
    let listening = false
    const ctx: RequestContext = {
      request,
      clientRequest: options.clientRequest ?? request,
      requestId,
      route,
      key,
      body: parsed.body,
      raw,
      model,
      stream,
      dialect: route.dialect.name,
      t0,
      overheadMs: 0,
      outcome,
      releaseLease,
      onClientAbort(action) {
        abortAction = action
        if (action && !listening) {
          listening = true
          request.signal.addEventListener('abort', () => abortAction?.(), { once: true })
        }
      },
    }
    try {
      return await forward(ctx, admitted.stickyAccountId, sessionHash)
    } catch (err) {
      releaseLease()
      throw err
    }
  }

  /** Tries candidate accounts until one answers, a refusal is final, or none is left. */
  async function forward(
    ctx: RequestContext,
    sticky: string | null,
    sessionHash: string | null,
  ): Promise<Response> {
    const { outcome: base, route } = ctx
    const finish: Finish = (status, outcome, errorType = '', errorMessage = '') => {
      ctx.releaseLease()
      if (base.usage && base.billable) {
        const c = deps.pricing.cost(base.model, base.usage)
        const adapter = base.platform ? registry.adapter(base.platform as AccountPlatform) : null
        const factor = adapter?.priceFactor?.(base.upstreamModel, c.model) ?? 1
        base.costNanos = factor === 1 ? c.costNanos : Math.round(c.costNanos * factor)
        base.priced = c.priced
        base.model = c.model
        base.longContext = c.longContext
      }
      recorder.record({ ...base, endTime: clock.now(), status, outcome, errorType, errorMessage })
    }
    // A model may send the request to another family's accounts (`ccr,<model>` → CCR).
    const diverted = registry.family(route.family).divert?.(ctx.model) ?? null
    const candidates = candidatesFor(candidateDeps, {
      key: ctx.key,
      family: diverted?.family ?? route.family,
      model: diverted?.model ?? ctx.model,
      dialect: route.dialect.name,
      requestId: ctx.requestId,
      sticky,
      sessionHash,
      platforms: route.platforms,
      target: route.target,
    })
    let last: UpstreamFailure | null = null
    let lastNetwork: string | null = null
    for (;;) {
      const next = await candidates.next()
      if ('done' in next) {
        if (next.noPick) {
          const { noPick } = next
          const why =
            !noPick.anyServes && route.unservedReason
              ? { ...noPick, reason: route.unservedReason }
              : noPick
          const err =
            route.target !== undefined && !noPick.anyServes
              ? new NotFoundError(
                  `No account this key can use serves "${route.target}" for model "${ctx.model}"`,
                )
              : noPickError(why, ctx.model, clock.now())
          finish(err.status, 'error', err.type, err.message)
          throw err
        }
        break
      }
      const result = await tryAccount(attemptDeps, ctx, next, finish)
      if (result.kind === 'answer') return result.response
      if ('failure' in result) {
        // A refusal: the client gets it (or a later one) when no account answers.
        last = result.failure
        lastNetwork = null
        if (result.kind === 'final') break
      } else {
        // A network failure keeps an earlier refusal to answer with; an unusable answer does not.
        lastNetwork = result.network
        if (result.unusable) last = null
      }
    }

    // Every try failed.
    if (last) {
      finish(last.status, 'error', errorTypeForStatus(last.status), last.message.slice(0, 500))
      return route.dialect.upstreamErrorResponse(last, ctx.requestId)
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

  return {
    handle,
    /** Requests holding a concurrency lease right now. */
    inFlight: () => leases.size(),
    /** Streams being relayed right now. */
    activeStreams: () => streams.active(),
    /** Ends every open stream (shutdown after the drain timeout): each is recorded as aborted. */
    abortAll: () => streams.abortAll(),
    /** Records now the finished requests still waiting for the event loop's next turn. */
    settle: () => deferred.settle(),
    stop: () => {
      leases.stop()
      watchdog.stop()
      deferred.settle()
    },
  }
}

/** The relay's interface. */
export type RelayService = ReturnType<typeof createRelayService>

async function readBody(request: Request, max: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? '0')
  if (declared > max) throw new RequestTooLargeError(`Request body is larger than ${max} bytes`)
  const buf = new Uint8Array(await request.arrayBuffer())
  if (buf.byteLength > max)
    throw new RequestTooLargeError(`Request body is larger than ${max} bytes`)
  return buf
}
