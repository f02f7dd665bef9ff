/**
 * Fault injection: Redis crashes under load. A relay process runs on a private Redis (append-only
 * file, fsync always — data written before the crash survives); 12 clients send streamed and
 * non-streamed requests in a loop; Redis is SIGKILLed for 5 s and restarted on the same port.
 * Every request either completes or fails cleanly and quickly, the relay serves again within
 * seconds of Redis coming back, and no completed request is missing from history or usage.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { createLogger } from '../../src/core/log.ts'
import { systemClock } from '../../src/core/time.ts'
import { createRedisStores } from '../../src/storage/redis/create.ts'
import type { Stores } from '../../src/storage/stores.ts'
import { createUsageService } from '../../src/usage/service.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { makeKey, makeOutcome } from '../helpers/fixtures.ts'
import { postMessages } from '../helpers/messages.ts'
import { adminOf, type RelayProcess, spawnRelay } from '../helpers/process.ts'
import { type RedisServer, startRedisServer } from '../helpers/redis-server.ts'

const CLIENTS = 12
const OUTAGE_MS = 5000
/** Client-side deadline of every request: no request may take this long. */
const DEADLINE_MS = 10_000
/** Longest any request may take while Redis is down (fail fast, not queue for the outage). */
const MAX_OUTAGE_LATENCY_MS = 3000
/** Upstream idle timeout of the relay (REQUEST_TIMEOUT). */
const REQUEST_TIMEOUT_MS = 8000

type Kind = 'ok' | 'clean-error' | 'deadline' | 'bad'
interface Result {
  kind: Kind
  status: number
  stream: boolean
  requestId: string
  startedAt: number
  ms: number
  detail: string
}

const isErrorShape = (j: any) =>
  j?.type === 'error' && typeof j.error?.type === 'string' && typeof j.error?.message === 'string'

/** One request with a client-side deadline, classified by what the client saw. */
async function send(url: string, key: string, stream: boolean, n: number): Promise<Result> {
  const startedAt = Date.now()
  const t0 = performance.now()
  const out = (kind: Kind, status: number, requestId: string, detail: string): Result => ({
    kind,
    status,
    stream,
    requestId,
    startedAt,
    ms: performance.now() - t0,
    detail,
  })
  let status = 0
  let requestId = ''
  try {
    const res = await postMessages(
      url,
      key,
      { stream, messages: [{ role: 'user', content: `load ${n}` }] },
      AbortSignal.timeout(DEADLINE_MS),
    )
    status = res.status
    requestId = res.headers.get('request-id') ?? ''
    const text = await res.text()
    if (status === 200 && stream) {
      if (text.includes('event: error')) {
        const data = text.split('event: error\ndata: ')[1]?.split('\n')[0] ?? ''
        const ok = isErrorShape(JSON.parse(data))
        return out(ok ? 'clean-error' : 'bad', status, requestId, data.slice(0, 200))
      }
      const complete = text.includes('event: message_stop') && text.includes('message_delta')
      return out(complete ? 'ok' : 'bad', status, requestId, complete ? '' : text.slice(-200))
    }
    let json: any = null
    try {
      json = JSON.parse(text)
    } catch {}
    if (status === 200)
      return json?.type === 'message' && json.usage?.input_tokens === 25
        ? out('ok', status, requestId, '')
        : out('bad', status, requestId, text.slice(0, 200))
    const clean = status >= 500 && status < 600 && isErrorShape(json)
    return out(clean ? 'clean-error' : 'bad', status, requestId, text.slice(0, 200))
  } catch (err) {
    const name = (err as Error).name
    if (name === 'TimeoutError' || name === 'AbortError')
      return out('deadline', status, requestId, String(err))
    return out('bad', status, requestId, `client error: ${String(err)}`)
  }
}

let redis: RedisServer
let up: FakeUpstream
let relay: RelayProcess

beforeAll(async () => {
  redis = await startRedisServer({ persist: true })
  up = startFakeUpstream()
  // Streams stay open ~300 ms (a pause after the third event), so many are mid-flight at the crash.
  up.script('*', { kind: 'silence', afterEvents: 3, ms: 300 })
  relay = await spawnRelay({
    REDIS_URL: redis.url,
    REDIS_PREFIX: 'faults',
    CLAUDE_API_URL: up.messagesUrl,
    REQUEST_TIMEOUT: String(REQUEST_TIMEOUT_MS),
    USAGE_FLUSH_INTERVAL: '100',
  })
})

afterAll(async () => {
  await relay?.stop('SIGKILL')
  if (relay) rmSync(relay.cwd, { recursive: true, force: true })
  up?.stop()
  await redis?.stop()
})

describe('Redis crashes for 5 s under load (12 clients, streamed and non-streamed)', () => {
  test('every request completes or fails cleanly with a 5xx within 3 s, the relay serves again within 5 s of Redis coming back, no lease is left, and no completed request is lost from (or counted twice in) history or usage', async () => {
    const admin = await adminOf(relay.url)
    const acct = await admin('POST', '/admin/claude-console-accounts', {
      name: 'steady',
      apiUrl: up.url,
      apiKey: 'steady',
    })
    expect(acct.success).toBe(true)
    // A concurrency limit makes the relay hold (and release) a lease per request.
    const created = await admin('POST', '/admin/api-keys', {
      name: 'load',
      concurrencyLimit: 1000,
    })
    const key = created.data.apiKey as string

    const results: Result[] = []
    let running = true
    let n = 0
    const worker = async (w: number) => {
      while (running) {
        const r = await send(relay.url, key, (w + n) % 2 === 0, n++)
        results.push(r)
        // Rejections come back in a millisecond: pace the loop so the outage is not a busy spin.
        if (r.kind !== 'ok') await Bun.sleep(20)
      }
    }
    const workers = Array.from({ length: CLIENTS }, (_, w) => worker(w))

    await Bun.sleep(1500)
    const killedAt = Date.now()
    await redis.kill('SIGKILL')
    await Bun.sleep(OUTAGE_MS)
    await redis.restart()
    const backAt = Date.now()
    // Serving again: the first request started after Redis came back that completes.
    let recoveredAt = 0
    while (!recoveredAt && Date.now() - backAt < 15_000) {
      const probe = await send(relay.url, key, false, n++)
      results.push(probe)
      if (probe.kind === 'ok') recoveredAt = Date.now()
      else await Bun.sleep(50)
    }
    await Bun.sleep(1000)
    running = false
    await Promise.all(workers)

    const count = (k: Kind) => results.filter((r) => r.kind === k).length
    const during = results.filter((r) => r.startedAt + r.ms >= killedAt && r.startedAt <= backAt)
    const maxDuring = Math.max(0, ...during.map((r) => r.ms))
    const ok = results.filter((r) => r.kind === 'ok')
    const stats = {
      sent: results.length,
      completed: ok.length,
      failedCleanly: count('clean-error'),
      hitDeadline: count('deadline'),
      bad: count('bad'),
      duringOutage: during.length,
      maxLatencyDuringOutageMs: Math.round(maxDuring),
      recoveryMs: recoveredAt ? recoveredAt - backAt : -1,
      errorStatuses: [
        ...new Set(results.filter((r) => r.kind === 'clean-error').map((r) => r.status)),
      ],
    }
    console.log('faults-redis', JSON.stringify(stats))
    const bad = results.filter((r) => r.kind !== 'ok' && r.kind !== 'clean-error')
    expect(bad.map((r) => `${r.kind} ${r.status} ${r.detail}`)).toEqual([])
    expect(stats.completed).toBeGreaterThan(20)
    expect(stats.failedCleanly).toBeGreaterThan(0)
    expect(maxDuring).toBeLessThan(MAX_OUTAGE_LATENCY_MS)
    expect(recoveredAt).toBeGreaterThan(0)
    expect(stats.recoveryMs).toBeLessThan(5000)

    // Usage and history catch up: every completed request is counted and recorded.
    const okIds = new Set(ok.map((r) => r.requestId))
    let usage: any = null
    let history: any[] = []
    const t0 = Date.now()
    while (Date.now() - t0 < 10_000) {
      usage = (
        (await (
          await fetch(`${relay.url}/api/v1/usage`, { headers: { 'x-api-key': key } })
        ).json()) as any
      ).usage.total
      history = []
      for (let page = 1; ; page++) {
        const res = (await (
          await fetch(`${relay.url}/api/v1/request-history?limit=500&page=${page}`, {
            headers: { 'x-api-key': key },
          })
        ).json()) as any
        history.push(...res.history)
        if (!res.pagination.hasMore) break
      }
      // Distinct ids: offset paging over records still arriving skips some and repeats others,
      // so a page set is accepted only once it holds every id (a repeat must not stand in for a
      // skipped one).
      const ids = new Set(history.map((h) => h.id))
      const recorded = [...okIds].filter((id) => ids.has(id)).length
      // Every request gets one record (the refused ones too, written once Redis is back).
      if (
        usage.requests - usage.errorRequests >= ok.length &&
        recorded >= ok.length &&
        ids.size >= results.length
      )
        break
      await Bun.sleep(200)
    }
    // Leases of requests that ended during the outage are released once Redis is back (not
    // left to expire after CONCURRENCY_LEASE_MS, 5 min, blocking the key's concurrency slots).
    let leases = -1
    const tl = Date.now()
    while (Date.now() - tl < 5000) {
      leases = (
        (await (
          await fetch(`${relay.url}/api/v1/usage`, { headers: { 'x-api-key': key } })
        ).json()) as any
      ).limits.currentConcurrency
      if (leases === 0) break
      await Bun.sleep(100)
    }
    console.log('faults-redis leases left after recovery', leases)
    expect(leases).toBe(0)
    const successes = history.filter((h) => h.outcome === 'success')
    const lost = ok.filter((r) => !successes.some((h) => h.id === r.requestId)).length
    console.log(
      'faults-redis accounting',
      JSON.stringify({
        completed: ok.length,
        usageRequests: usage.requests,
        usageErrors: usage.errorRequests,
        usageInputTokens: usage.inputTokens,
        historyRecords: history.length,
        historySuccess: successes.length,
        lost,
      }),
    )
    expect(lost).toBe(0)
    expect(successes.length).toBe(ok.length)
    expect(usage.requests - usage.errorRequests).toBe(ok.length)
    expect(usage.inputTokens).toBe(
      history
        .filter((h) => h.outcome !== 'rejected')
        .reduce((s: number, h: any) => s + h.inputTokens, 0),
    )
    expect(usage.requests).toBe(history.filter((h) => h.outcome !== 'rejected').length)
  }, 60_000)
})

describe('a usage batch whose write outcome is unknown is retried without counting twice', () => {
  let stores: Stores
  beforeAll(async () => {
    if (!redis.running()) await redis.restart()
    stores = await createRedisStores({ url: redis.url, prefix: 'idem' })
  })
  afterAll(async () => {
    await stores?.close()
  })

  const service = (over: { usage?: Stores['usage']; limits?: Stores['limits'] }) =>
    createUsageService({
      repo: over.usage ?? stores.usage,
      limits: over.limits ?? stores.limits,
      clock: systemClock,
      logger: createLogger({ level: 'error', sink: { write: () => {} } }),
      tzOffsetHours: 0,
      retentionMs: 86_400_000,
      flushMs: 60_000,
    })

  test('Redis applied the counters but the reply was lost: the retry counts the request once', async () => {
    let loseReply = true
    const usage = service({
      usage: {
        ...stores.usage,
        async increment(increments, batchId) {
          await stores.usage.increment(increments, batchId)
          if (loseReply) {
            loseReply = false
            throw new Error('Connection is closed.')
          }
        },
      },
    })
    const key = makeKey()
    usage.recorder.record(makeOutcome({ key, startTime: Date.now() }))
    await usage.flush()
    expect(loseReply).toBe(false)
    expect(usage.pendingCount()).toBeGreaterThan(0)
    await usage.flush()
    await usage.stop()
    expect(usage.pendingCount()).toBe(0)
    const total = (await usage.keySummary(key.id)).total
    expect(total.requests).toBe(1)
    expect(total.inputTokens).toBe(100)
  })

  test('the counters were written but the rate-window update failed: the counters are not written again', async () => {
    let failWindow = true
    const usage = service({
      limits: {
        ...stores.limits,
        async addWindowUsage(items) {
          if (failWindow) {
            failWindow = false
            throw new Error('Connection is closed.')
          }
          return stores.limits.addWindowUsage(items)
        },
      },
    })
    const key = makeKey()
    usage.recorder.record(makeOutcome({ key, startTime: Date.now(), windowStart: Date.now() }))
    await usage.flush()
    expect(failWindow).toBe(false)
    await usage.stop()
    expect((await usage.keySummary(key.id)).total.requests).toBe(1)
  })

  test('while Redis is down the batch is kept, and it is written once when Redis is back', async () => {
    const usage = service({})
    const key = makeKey()
    await redis.kill('SIGKILL')
    for (let i = 0; i < 3; i++) usage.recorder.record(makeOutcome({ key, startTime: Date.now() }))
    await usage.flush()
    usage.recorder.record(makeOutcome({ key, startTime: Date.now() }))
    await usage.flush()
    expect(usage.pendingCount()).toBeGreaterThan(0)
    await redis.restart()
    const t0 = Date.now()
    while (usage.pendingCount() > 0 && Date.now() - t0 < 5000) {
      await usage.flush()
      await Bun.sleep(50)
    }
    await usage.stop()
    expect((await usage.keySummary(key.id)).total.requests).toBe(4)
  })
})
