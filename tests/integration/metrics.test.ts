/**
 * /metrics: Prometheus text that a parser accepts, that changes as requests flow, and that is
 * closed to strangers.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { postMessages } from '../helpers/messages.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

type Family = {
  name: string
  type: string
  metrics: {
    value?: string
    labels?: Record<string, string>
    buckets?: Record<string, string>
    count?: string
  }[]
}

describe('metrics', () => {
  let up: FakeUpstream
  let r: TestRelay
  let secured: TestRelay
  beforeAll(async () => {
    up = startFakeUpstream()
    r = await startRelay({ upstream: up, listen: true })
    secured = await startRelay({ upstream: up, env: { METRICS_TOKEN: 'metrics-token-0123456789' } })
  })
  afterAll(async () => {
    await r.stop()
    await secured.stop()
    up.stop()
  })

  const scrape = async () => {
    const res = await fetch(`${r.url}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/plain')
    const families = parsePrometheusTextFormat(await res.text()) as Family[]
    return new Map(families.map((f) => [f.name, f]))
  }
  const sum = (f: Family | undefined, pred: (l: Record<string, string>) => boolean = () => true) =>
    (f?.metrics ?? [])
      .filter((m) => pred(m.labels ?? {}))
      .reduce((a, m) => a + Number(m.value ?? m.count ?? 0), 0)

  test('the exposition parses and counts requests, tokens, cost, retries and account states', async () => {
    await r.createConsoleAccount('m-bad', { priority: 1 })
    await r.createConsoleAccount('m-good', { priority: 2 })
    const { key } = await r.createKey()
    const before = await scrape()
    expect(before.get('crs_build_info')?.metrics[0]?.labels?.version).toBeString()
    up.script('m-bad', { kind: 'error', status: 529 })
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${r.url}/api/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': key },
        body: JSON.stringify({
          model: 'claude-sonnet-4-6',
          max_tokens: 5,
          stream: i > 0,
          messages: [{ role: 'user', content: `m${i}` }],
        }),
      })
      await res.text()
    }
    await r.waitOutcomes(3)
    const after = await scrape()
    expect(
      sum(after.get('crs_requests_total'), (l) => l.outcome === 'success') -
        sum(before.get('crs_requests_total'), (l) => l.outcome === 'success'),
    ).toBe(3)
    expect(
      sum(
        after.get('crs_tokens_total'),
        (l) => l.kind === 'input' && l.model === 'claude-sonnet-4-6',
      ),
    ).toBe(75)
    expect(sum(after.get('crs_cost_usd_total'))).toBeCloseTo((3 * 424_500) / 1e9, 9)
    expect(sum(after.get('crs_upstream_retries_total'), (l) => l.status === '529')).toBe(1)
    expect(sum(after.get('crs_accounts'), (l) => l.state === 'overloaded')).toBe(1)
    expect(sum(after.get('crs_accounts'), (l) => l.state === 'available')).toBe(1)
    const hist = after.get('crs_request_duration_seconds')
    expect(hist?.type).toBe('HISTOGRAM')
    expect(after.get('crs_storage_latency_seconds')?.metrics[0]?.value).not.toBe('-1')
    const text = await (await fetch(`${r.url}/metrics`)).text()
    expect(text).not.toContain(key)
  })

  test('process memory and the writes waiting (history, usage) are reported', async () => {
    const { key } = await r.createKey()
    await r.createConsoleAccount('m-mem')
    // Usage is flushed every 250 ms: right after the requests their counters are still waiting.
    for (let i = 0; i < 3; i++)
      await (
        await postMessages(r.url, key, { messages: [{ role: 'user', content: `mem${i}` }] })
      ).text()
    await r.waitOutcomes(3)
    const busy = await scrape()
    const pending = (queue: string) => sum(busy.get('crs_pending_writes'), (l) => l.queue === queue)
    expect(pending('usage')).toBeGreaterThan(0)
    expect(pending('history')).toBeGreaterThanOrEqual(0)
    await r.relay.services.usage.flush()
    await r.relay.services.history.flush()
    const idle = await scrape()
    expect(sum(idle.get('crs_pending_writes'), (l) => l.queue === 'usage')).toBe(0)
    expect(sum(idle.get('crs_pending_writes'), (l) => l.queue === 'history')).toBe(0)
    const rss = sum(idle.get('process_resident_memory_bytes'))
    expect(rss).toBeGreaterThan(20 * 1024 * 1024)
    // Bun's heapUsed can exceed its heapTotal (they are counted differently): both are reported.
    expect(sum(idle.get('crs_heap_bytes'), (l) => l.kind === 'used')).toBeGreaterThan(0)
    expect(sum(idle.get('crs_heap_bytes'), (l) => l.kind === 'total')).toBeGreaterThan(0)
  })

  test('non-loopback clients are refused without a token; with METRICS_TOKEN a bearer is required', async () => {
    const remote = await r.handle(new Request('http://localhost/metrics'))
    expect(remote.status).toBe(403)
    const noToken = await secured.handle(new Request('http://localhost/metrics'))
    expect(noToken.status).toBe(401)
    const wrong = await secured.handle(
      new Request('http://localhost/metrics', {
        headers: { authorization: 'Bearer nope-nope-nope-nope' },
      }),
    )
    expect(wrong.status).toBe(401)
    const ok = await secured.handle(
      new Request('http://localhost/metrics', {
        headers: { authorization: 'Bearer metrics-token-0123456789' },
      }),
    )
    expect(ok.status).toBe(200)
  })
})
