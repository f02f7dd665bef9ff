/**
 * @module
 * Relay metrics for Prometheus: requests, errors and latency by route and outcome, time to first
 * byte, tokens and cost by model, upstream retries (failover), account health states, storage
 * latency, in-flight streams, writes waiting (history, usage) and process memory. Request metrics
 * come from the recorder port; gauges are read at scrape time.
 */
import { healthBucket } from '../accounts/health.ts'
import type { AccountService } from '../accounts/service.ts'
import type { RequestRecorder } from '../relay/recorder.ts'
import { Histogram, Metric, renderAll } from './registry.ts'

const LATENCY = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]

/** What the metrics service reads at scrape time. */
export interface MetricsDeps {
  accounts: AccountService
  /** Storage round trip in ms (throws when down). */
  ping: () => Promise<number>
  version: string
  startedAt: number
  now: () => number
  /** Work waiting to be written: finished requests (history) and distinct counters (usage). */
  pending?: () => { history: number; usage: number }
  /** Process memory in bytes (the runtime's `memoryUsage()`). */
  memory?: () => { rss: number; heapTotal: number; heapUsed: number }
}

/** Distinct route labels kept before further routes are counted as `other`. */
const MAX_ROUTES = 200
/** A model named in the path (`/gemini/v1beta/models/{model}:generateContent`). */
const MODEL_SEGMENT = /\/models\/[^/:]+/

/** Creates the metrics service. */
export function createMetrics(deps: MetricsDeps) {
  let relay: RelayGauges | null = null
  const requests = new Metric(
    'crs_requests_total',
    'Requests through the relay by route, outcome and HTTP status.',
    'counter',
  )
  const duration = new Histogram(
    'crs_request_duration_seconds',
    'Request duration by route and outcome.',
    LATENCY,
  )
  const ttfb = new Histogram(
    'crs_time_to_first_byte_seconds',
    'Time until the upstream answered, by route.',
    LATENCY,
  )
  const overhead = new Histogram(
    'crs_relay_overhead_seconds',
    "The relay's own time per request.",
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
  )
  const tokens = new Metric('crs_tokens_total', 'Tokens by model and kind.', 'counter')
  const cost = new Metric(
    'crs_cost_usd_total',
    'Cost in USD by model (0 for unpriced models).',
    'counter',
  )
  const unpriced = new Metric(
    'crs_unpriced_requests_total',
    'Requests whose model has no price, by model.',
    'counter',
  )
  const retries = new Metric(
    'crs_upstream_retries_total',
    'Upstream attempts beyond the first (failover), by HTTP status of the failed attempt.',
    'counter',
  )
  const accountsGauge = new Metric(
    'crs_accounts',
    'Upstream accounts by platform and health state.',
    'gauge',
  )
  const storageLatency = new Metric(
    'crs_storage_latency_seconds',
    'Round trip of a storage ping at scrape time (-1 when down).',
    'gauge',
  )
  const inflight = new Metric('crs_inflight_streams', 'Streams being relayed now.', 'gauge')
  const leases = new Metric(
    'crs_inflight_leased_requests',
    'Requests holding a concurrency lease now.',
    'gauge',
  )
  const pendingWrites = new Metric(
    'crs_pending_writes',
    'Work waiting to be written: queued history records and usage counters.',
    'gauge',
  )
  const rss = new Metric(
    'process_resident_memory_bytes',
    'Resident memory of the process in bytes.',
    'gauge',
  )
  const heap = new Metric(
    'crs_heap_bytes',
    'JavaScript heap in bytes: allocated (total) and in use (used).',
    'gauge',
  )
  const info = new Metric('crs_build_info', 'Version of the relay.', 'gauge')
  const uptime = new Metric('crs_uptime_seconds', 'Seconds since start.', 'gauge')

  // The series each finished request adds to, found once per label set: building label
  // objects and keys for ten series measured about 3 µs a request.
  const requestSeries = new Map<string, ReturnType<Metric['series']>>()
  const durationSeries = new Map<string, ReturnType<Histogram['series']>>()
  const ttfbSeries = new Map<string, ReturnType<Histogram['series']>>()
  let overheadSeries: ReturnType<Histogram['series']> | null = null
  const modelSeries = new Map<string, ReturnType<Metric['series']>[]>()
  const cached = <S>(map: Map<string, S>, k: string, make: () => S): S => {
    let s = map.get(k)
    if (s === undefined) {
      s = make()
      map.set(k, s)
    }
    return s
  }

  // Route labels by endpoint: a client-chosen path segment (a Gemini model) becomes its
  // placeholder, and past MAX_ROUTES distinct labels the rest count as `other`, so clients cannot
  // grow the series without bound.
  const routeLabels = new Map<string, string>()
  const distinctRoutes = new Set<string>()
  const routeOf = (endpoint: string): string => {
    let label = routeLabels.get(endpoint)
    if (label === undefined) {
      label = endpoint.replace(MODEL_SEGMENT, '/models/{model}')
      if (!distinctRoutes.has(label))
        if (distinctRoutes.size < MAX_ROUTES) distinctRoutes.add(label)
        else label = 'other'
      if (routeLabels.size < 10_000) routeLabels.set(endpoint, label)
    }
    return label
  }

  const recorder: RequestRecorder = {
    record(o) {
      const route = routeOf(o.endpoint)
      const outcome = o.outcome
      const status = o.status
      cached(requestSeries, `${route}\u0000${outcome}\u0000${status}`, () =>
        requests.series({ route, outcome, status: String(status) }),
      ).value++
      duration.observeIn(
        cached(durationSeries, `${route}\u0000${outcome}`, () =>
          duration.series({ route, outcome }),
        ),
        Math.max(0, o.endTime - o.startTime) / 1000,
      )
      if (o.ttfbMs !== null)
        ttfb.observeIn(
          cached(ttfbSeries, route, () => ttfb.series({ route })),
          o.ttfbMs / 1000,
        )
      if (o.overheadMs !== null) {
        overheadSeries ??= overhead.series({})
        overhead.observeIn(overheadSeries, o.overheadMs / 1000)
      }
      for (let i = 0; i < o.attempts.length - 1; i++)
        retries.inc({ status: String(o.attempts[i]!.status) })
      const u = o.usage
      if (u && o.billable) {
        const model = o.model
        const [input, output, write5m, write1h, read, dollars] = cached(modelSeries, model, () => [
          tokens.series({ model, kind: 'input' }),
          tokens.series({ model, kind: 'output' }),
          tokens.series({ model, kind: 'cache_write_5m' }),
          tokens.series({ model, kind: 'cache_write_1h' }),
          tokens.series({ model, kind: 'cache_read' }),
          cost.series({ model }),
        ])
        input!.value += u.inputTokens
        output!.value += u.outputTokens
        write5m!.value += u.cacheCreate5mTokens
        write1h!.value += u.cacheCreate1hTokens
        read!.value += u.cacheReadTokens
        dollars!.value += o.costNanos / 1e9
        if (!o.priced) unpriced.inc({ model })
      }
    },
  }

  /** The exposition document. */
  async function render(): Promise<string> {
    const now = deps.now()
    accountsGauge.reset()
    const counts = new Map<string, { platform: string; state: string; n: number }>()
    for (const e of await deps.accounts.snapshot()) {
      const state = healthBucket(e.account, e.state, now)
      const k = `${e.account.platform}|${state}`
      const c = counts.get(k) ?? { platform: e.account.platform, state, n: 0 }
      c.n++
      counts.set(k, c)
    }
    for (const c of counts.values())
      accountsGauge.set({ platform: c.platform, state: c.state }, c.n)
    try {
      storageLatency.set({}, (await deps.ping()) / 1000)
    } catch {
      storageLatency.set({}, -1)
    }
    inflight.set({}, relay?.activeStreams() ?? 0)
    leases.set({}, relay?.inFlight() ?? 0)
    const queued = deps.pending?.()
    if (queued) {
      pendingWrites.set({ queue: 'history' }, queued.history)
      pendingWrites.set({ queue: 'usage' }, queued.usage)
    }
    const mem = deps.memory?.()
    if (mem) {
      rss.set({}, mem.rss)
      heap.set({ kind: 'total' }, mem.heapTotal)
      heap.set({ kind: 'used' }, mem.heapUsed)
    }
    info.set({ version: deps.version }, 1)
    uptime.set({}, Math.round((now - deps.startedAt) / 1000))
    return renderAll([
      requests,
      duration,
      ttfb,
      overhead,
      tokens,
      cost,
      unpriced,
      retries,
      accountsGauge,
      storageLatency,
      inflight,
      leases,
      pendingWrites,
      ...(mem ? [rss, heap] : []),
      info,
      uptime,
    ])
  }

  return {
    recorder,
    render,
    /** Reads the relay's in-flight gauges at scrape time (the relay records into `recorder`). */
    observeRelay(gauges: RelayGauges) {
      relay = gauges
    },
  }
}

/** The relay's gauges: streams relayed and concurrency leases held right now. */
export interface RelayGauges {
  activeStreams(): number
  inFlight(): number
}

/** The metrics service's interface. */
export type MetricsService = ReturnType<typeof createMetrics>
