/**
 * Graceful shutdown under load: SIGTERM while 200 streams are open. Short streams (done within
 * SHUTDOWN_TIMEOUT) complete; long silent ones are ended by the relay at the deadline with an SSE
 * `error` event (so a client cannot mistake the cut answer for a complete one). The process
 * exits with 0 soon after SHUTDOWN_TIMEOUT, no client hangs, and after a restart on the same
 * storage every request has exactly one history record (`success` or `aborted`/`server_shutdown`),
 * the usage counters hold all 200, and no concurrency lease is left. Run on SQLite (same DATA_DIR)
 * and on a private Redis.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { postMessages } from '../helpers/messages.ts'
import { adminOf, type RelayProcess, spawnRelay } from '../helpers/process.ts'
import { type RedisServer, startRedisServer } from '../helpers/redis-server.ts'

const STREAMS = 200
const SHUTDOWN_TIMEOUT_MS = 2000
/** Short streams pause this long after their third event, then finish (well within the drain). */
const SHORT_PAUSE_MS = 700
/** Client-side deadline of every stream. */
const DEADLINE_MS = 15_000

let up: FakeUpstream
let redis: RedisServer
const spawned: RelayProcess[] = []

beforeAll(async () => {
  up = startFakeUpstream()
  up.script('short', { kind: 'silence', afterEvents: 3, ms: SHORT_PAUSE_MS })
  up.script('long', { kind: 'silence', afterEvents: 3, ms: 120_000 })
  redis = await startRedisServer({ persist: false })
})
afterAll(async () => {
  for (const p of spawned) {
    if (p.proc.exitCode === null) await p.stop('SIGKILL')
    rmSync(p.cwd, { recursive: true, force: true })
  }
  up?.stop()
  await redis?.stop()
})

interface StreamResult {
  kind: 'short' | 'long'
  requestId: string
  status: number
  /** complete: ended with message_stop; cut: ended early without a word; error-event: with one. */
  end: 'complete' | 'cut' | 'error-event' | 'hang' | 'failed'
  detail: string
}

/** Opens one stream; `onFirstBytes` fires once the first SSE bytes arrived. */
async function openStream(
  url: string,
  key: string,
  kind: 'short' | 'long',
  onFirstBytes: () => void,
): Promise<StreamResult> {
  let requestId = ''
  let status = 0
  try {
    const res = await postMessages(
      url,
      key,
      { stream: true, messages: [{ role: 'user', content: `${kind} ${crypto.randomUUID()}` }] },
      AbortSignal.timeout(DEADLINE_MS),
    )
    requestId = res.headers.get('request-id') ?? ''
    status = res.status
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    let text = ''
    let first = true
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
      if (first) {
        first = false
        onFirstBytes()
      }
    }
    const end = text.includes('event: message_stop')
      ? 'complete'
      : text.includes('event: error')
        ? 'error-event'
        : 'cut'
    return { kind, requestId, status, end, detail: text.slice(-160) }
  } catch (err) {
    const name = (err as Error).name
    return {
      kind,
      requestId,
      status,
      end: name === 'TimeoutError' ? 'hang' : 'failed',
      detail: String(err),
    }
  }
}

// The history writer thread on one backend: the records still queued at SIGTERM go through it.
const backends: [string, () => Record<string, string>][] = [
  ['sqlite', () => ({})],
  ['redis', () => ({ REDIS_URL: redis.url, REDIS_PREFIX: 'drain', HISTORY_WRITER: 'worker' })],
]

for (const [name, storageEnv] of backends) {
  describe(`SIGTERM during ${STREAMS} open streams (${name})`, () => {
    test('the process exits 0 within SHUTDOWN_TIMEOUT + 1.5 s, short streams complete, long ones end with an SSE error event, and after a restart every request has one record and no lease is left', async () => {
      const env = {
        ...storageEnv(),
        CLAUDE_API_URL: up.messagesUrl,
        SHUTDOWN_TIMEOUT: String(SHUTDOWN_TIMEOUT_MS),
      }
      const first = await spawnRelay(env)
      spawned.push(first)
      let admin = await adminOf(first.url)
      const account = async (acct: string) =>
        (
          await admin('POST', '/admin/claude-console-accounts', {
            name: acct,
            apiUrl: up.url,
            apiKey: acct,
          })
        ).data.id as string
      const shortId = await account('short')
      const longId = await account('long')
      const keyFor = async (kind: string, accountId: string) => {
        const r = await admin('POST', '/admin/api-keys', {
          name: `${name}-${kind}`,
          concurrencyLimit: 1000,
          claudeConsoleAccountId: accountId,
        })
        return { id: r.data.id as string, key: r.data.apiKey as string }
      }
      const keys = { short: await keyFor('short', shortId), long: await keyFor('long', longId) }

      let started = 0
      const streams = Array.from({ length: STREAMS }, (_, i) => {
        const kind = i % 2 === 0 ? 'short' : 'long'
        return openStream(first.url, keys[kind].key, kind, () => started++)
      })
      const t0 = Date.now()
      while (started < STREAMS && Date.now() - t0 < 15_000) await Bun.sleep(10)
      expect(started).toBe(STREAMS)

      const tTerm = performance.now()
      first.proc.kill('SIGTERM')
      const code = await first.proc.exited
      const drainMs = performance.now() - tTerm
      const results = await Promise.all(streams)
      const ends = (kind: string) => {
        const out: Record<string, number> = {}
        for (const r of results.filter((x) => x.kind === kind)) out[r.end] = (out[r.end] ?? 0) + 1
        return out
      }
      console.log(
        `drain ${name}`,
        JSON.stringify({
          drainMs: Math.round(drainMs),
          code,
          short: ends('short'),
          long: ends('long'),
        }),
      )
      expect(code).toBe(0)
      expect(drainMs).toBeGreaterThan(SHUTDOWN_TIMEOUT_MS - 100)
      expect(drainMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 1500)
      expect(results.every((r) => r.status === 200 && r.requestId)).toBe(true)
      expect(results.filter((r) => r.kind === 'short').map((r) => r.end)).toEqual(
        Array(STREAMS / 2).fill('complete'),
      )
      // Cut at the deadline with an SSE error event (a bare end would look like a short answer).
      const long = results.filter((r) => r.kind === 'long')
      expect(
        long.filter((r) => r.end !== 'error-event').map((r) => `${r.end}: ${r.detail}`),
      ).toEqual([])
      for (const r of long) expect(r.detail).toContain('The relay shut down during the stream')

      // Restart on the same storage: nothing is pending.
      const second = await spawnRelay(env, { cwd: first.cwd })
      spawned.push(second)
      admin = await adminOf(second.url)
      const ids = new Map(results.map((r) => [r.requestId, r]))
      for (const kind of ['short', 'long'] as const) {
        const key = keys[kind]
        const list = await admin('GET', `/admin/request-history?apiKeyId=${key.id}&limit=500`)
        const history = list.data.history as any[]
        expect(history.length).toBe(STREAMS / 2)
        expect(new Set(history.map((h) => h.id)).size).toBe(STREAMS / 2)
        for (const h of history) {
          expect(ids.get(h.id)?.kind).toBe(kind)
          if (kind === 'short') expect(h.outcome).toBe('success')
          else expect([h.outcome, h.errorType]).toEqual(['aborted', 'server_shutdown'])
        }
        const usage = (await (
          await fetch(`${second.url}/api/v1/usage`, { headers: { 'x-api-key': key.key } })
        ).json()) as any
        expect(usage.usage.total.requests).toBe(STREAMS / 2)
        expect(usage.usage.total.errorRequests).toBe(kind === 'long' ? STREAMS / 2 : 0)
        expect(usage.limits.currentConcurrency).toBe(0)
      }
      expect(await second.stop('SIGTERM')).toBe(0)
    }, 60_000)
  })
}
