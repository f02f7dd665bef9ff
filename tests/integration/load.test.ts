/**
 * Load: 500 concurrent streams for 60 s against one relay process on Redis. Every stream must
 * complete (200, SSE, final message_stop), no concurrency lease may be left behind, history must
 * hold exactly one record per completed request, and the relay's RSS must come back near its
 * post-warm-up baseline. The clients run in their own process (tests/helpers/load-client.ts) so
 * neither the test process nor Bun's per-process fetch cap limits the load.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import Redis from 'ioredis'
import { createRedisStores } from '../../src/storage/redis/create.ts'
import { createRedisKeys } from '../../src/storage/redis/keys.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import type { LoadResult } from '../helpers/load-client.ts'
import { adminOf, type RelayProcess, rssOf, spawnRelay } from '../helpers/process.ts'
import { deletePrefix, REDIS_TEST_URL, shouldRunRedis } from '../helpers/redis.ts'

const STREAMS = 500
const LOAD_MS = 60_000
const WARMUP_MS = 5_000
/** Allowed RSS growth over the post-warm-up baseline after the load settled (bytes). */
const RSS_SLACK = 50 * 1024 * 1024
/**
 * Bun's fetch runs at most 256 requests at once per process unless this variable is set when the
 * process starts; a relay serving more concurrent streams than that needs it in its environment.
 */
const MAX_HTTP_REQUESTS = '4096'

const prefix = `t${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`
const client = join(import.meta.dir, '../helpers/load-client.ts')

/** Members of every lease zset under the prefix (key and account leases). */
async function allLeases(redis: Redis): Promise<number> {
  let cursor = '0'
  let total = 0
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*:leases`, 'COUNT', 1000)
    cursor = next
    for (const k of found) total += await redis.zcard(k)
  } while (cursor !== '0')
  return total
}

/**
 * The lowest RSS of a process over `ms` (sampled every 250 ms), or earlier once below `stopBelow`:
 * RSS moves with garbage collection, so one sample says little.
 */
async function settledRss(pid: number, ms: number, stopBelow = 0): Promise<number> {
  let low = rssOf(pid)
  const deadline = Date.now() + ms
  while (Date.now() < deadline && low >= stopBelow) {
    await Bun.sleep(250)
    low = Math.min(low, rssOf(pid))
  }
  return low
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10

/** Runs the load client in its own process and returns what it saw. */
async function runLoadClient(url: string, key: string, streams: number, ms: number) {
  const proc = Bun.spawn([process.execPath, client], {
    env: {
      PATH: process.env.PATH ?? '',
      BUN_CONFIG_MAX_HTTP_REQUESTS: MAX_HTTP_REQUESTS,
      LOAD_URL: url,
      LOAD_KEY: key,
      LOAD_CONCURRENCY: String(streams),
      LOAD_DURATION_MS: String(ms),
    },
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const out = await new Response(proc.stdout).text()
  expect(await proc.exited).toBe(0)
  return JSON.parse(out.trim().split('\n').pop()!) as LoadResult
}

if (await shouldRunRedis('load on redis')) {
  describe('one relay process on Redis under load', () => {
    let up: FakeUpstream
    let relay: RelayProcess
    beforeAll(async () => {
      up = startFakeUpstream()
      relay = await spawnRelay({
        REDIS_URL: REDIS_TEST_URL,
        REDIS_PREFIX: prefix,
        CLAUDE_API_URL: up.messagesUrl,
        BUN_CONFIG_MAX_HTTP_REQUESTS: MAX_HTTP_REQUESTS,
      })
    })
    afterAll(async () => {
      await relay?.stop('SIGKILL')
      up?.stop()
      await deletePrefix(prefix)
    })

    test(`${STREAMS} concurrent streams for ${LOAD_MS / 1000} s: no errors, no leaked leases, one history record per request, RSS back near baseline`, async () => {
      const admin = await adminOf(relay.url)
      // Three accounts whose streams last ~0.6 s, ~1.2 s and ~2 s (20–45 events, small pauses).
      const text = 'The quick brown fox jumps over the lazy dog. '.repeat(3)
      for (const [name, parts, eventDelayMs] of [
        ['load-short', 20, 25],
        ['load-mid', 30, 35],
        ['load-long', 45, 40],
      ] as const) {
        const r = await admin('POST', '/admin/claude-console-accounts', {
          name,
          apiUrl: up.url,
          apiKey: name,
        })
        expect(r.success).toBe(true)
        up.script(name, { kind: 'ok', text, parts, eventDelayMs })
      }
      const created = await admin('POST', '/admin/api-keys', {
        name: 'load',
        concurrencyLimit: 10_000,
      })
      const keyId = created.data.id as string
      const key = created.data.apiKey as string

      // Warm-up at full concurrency, then the baseline.
      const warm = await runLoadClient(relay.url, key, STREAMS, WARMUP_MS)
      expect(warm.errors).toBe(0)
      const baseline = await settledRss(relay.proc.pid, 3000)
      up.reset()
      for (const [name, parts, eventDelayMs] of [
        ['load-short', 20, 25],
        ['load-mid', 30, 35],
        ['load-long', 45, 40],
      ] as const)
        up.script(name, { kind: 'ok', text, parts, eventDelayMs })

      let peak = baseline
      const sampler = setInterval(() => {
        peak = Math.max(peak, rssOf(relay.proc.pid))
      }, 500)
      const t0 = performance.now()
      const load = await runLoadClient(relay.url, key, STREAMS, LOAD_MS)
      const loadSeconds = (performance.now() - t0) / 1000
      clearInterval(sampler)
      peak = Math.max(peak, rssOf(relay.proc.pid))

      // Settle: leases released, history flushed.
      const redis = new Redis(REDIS_TEST_URL)
      const stores = await createRedisStores({ url: REDIS_TEST_URL, prefix })
      const leasesKey = createRedisKeys(prefix).keyLeases(keyId)
      const expected = warm.completed + load.completed
      let leases = -1
      let anyLeases = -1
      let recorded = -1
      let succeeded = -1
      try {
        const deadline = Date.now() + 15_000
        while (Date.now() < deadline) {
          leases = await redis.zcard(leasesKey)
          recorded = (await stores.history.query({ keyId }, { limit: 1, offset: 0 })).total
          if (leases === 0 && recorded >= expected) break
          await Bun.sleep(250)
        }
        anyLeases = await allLeases(redis)
        succeeded = (
          await stores.history.query({ keyId, outcome: 'success' }, { limit: 1, offset: 0 })
        ).total
      } finally {
        redis.disconnect()
        await stores.close()
      }
      const settleStart = Date.now()
      const after = await settledRss(relay.proc.pid, 15_000, baseline + RSS_SLACK / 2)
      const settleMs = Date.now() - settleStart

      const perAccount: Record<string, number> = {}
      for (const r of up.received) perAccount[r.account] = (perAccount[r.account] ?? 0) + 1
      console.log(
        `[load] ${STREAMS} streams × ${loadSeconds.toFixed(1)} s: completed ${load.completed} ` +
          `(${Math.round(load.completed / loadSeconds)}/s, warm-up ${warm.completed}), errors ${load.errors}, ` +
          `client max open ${load.maxOpen}, upstream max in flight ${up.maxInFlight()}, ` +
          `ttfb p50/p99 ${load.ttfbP50}/${load.ttfbP99} ms, stream p50/p99 ${load.durationP50}/${load.durationP99} ms, ` +
          `leaked leases ${leases} (all lease sets ${anyLeases}), history ${recorded}/${expected} (success ${succeeded}), ` +
          `RSS baseline ${mb(baseline)} MB, peak ${mb(peak)} MB, after ${mb(after)} MB (settled ${settleMs} ms), per account ${JSON.stringify(perAccount)}`,
      )
      if (load.errorSamples.length) console.log('[load] error samples', load.errorSamples)

      expect(load.errors).toBe(0)
      // Each stream slot finished at least one request per 3 s (streams last 0.6–2 s).
      expect(load.completed).toBeGreaterThan((STREAMS * LOAD_MS) / 3000)
      // The load really was 500 streams at once, on the client and at the upstream.
      expect(load.maxOpen).toBe(STREAMS)
      expect(up.maxInFlight()).toBeGreaterThanOrEqual(STREAMS * 0.95)
      expect(leases).toBe(0)
      expect(anyLeases).toBe(0)
      expect(recorded).toBe(expected)
      expect(succeeded).toBe(expected)
      expect(after).toBeLessThan(baseline + RSS_SLACK)
    }, 150_000)
  })
} else {
  describe.skip('load on redis (Redis unreachable)', () => {})
}
