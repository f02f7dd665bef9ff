/**
 * Webhooks end to end: platforms configured through the admin API, an upstream 429 that marks an
 * account rate limited, delivery to a real local receiver (Bun.serve) that fails twice before
 * accepting, secrets sealed in storage and masked in the API, the test endpoint, and no retries
 * for a receiver answering 404.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

interface Hit {
  path: string
  status: number
  body: string
  headers: Record<string, string>
}

let up: FakeUpstream
let r: TestRelay
let receiver: ReturnType<typeof Bun.serve>
let recv: string
const hits: Hit[] = []
const perPath = new Map<string, number>()

const CUSTOM_SECRET = 'custom-signing-secret-987'
let customUrl = ''
let slackUrl = ''
let goneUrl = ''

beforeAll(async () => {
  receiver = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const path = new URL(req.url).pathname
      const n = (perPath.get(path) ?? 0) + 1
      perPath.set(path, n)
      const status = path.startsWith('/gone/')
        ? 404
        : path.startsWith('/flaky/') && n <= 2
          ? 500
          : 200
      hits.push({ path, status, body: await req.text(), headers: Object.fromEntries(req.headers) })
      return new Response(status === 200 ? 'ok' : 'nope', { status })
    },
  })
  recv = `http://127.0.0.1:${receiver.port}`
  customUrl = `${recv}/flaky/custom/tok-custom-abcdef123456`
  slackUrl = `${recv}/flaky/slack/T000/B000/slacktoken123456`
  goneUrl = `${recv}/gone/custom/tok-gone-abcdef123456`
  up = startFakeUpstream()
  r = await startRelay({ upstream: up })
})

afterAll(async () => {
  await r.stop()
  up.stop()
  receiver.stop(true)
})

const hitsOn = (url: string) => hits.filter((h) => h.path === new URL(url).pathname)

async function until(cond: () => boolean, timeoutMs = 5000) {
  const t0 = Date.now()
  while (!cond() && Date.now() - t0 < timeoutMs) await Bun.sleep(5)
}

describe('webhooks', () => {
  const ids: Record<string, string> = {}

  test('platforms are configured through the admin API; secrets are sealed and masked', async () => {
    const cfg = await r.admin('POST', '/admin/webhook/config', {
      retry: { maxRetries: 3, retryDelayMs: 20, timeoutMs: 2000 },
    })
    expect(cfg.status).toBe(200)
    expect(cfg.json.data.retry).toEqual({ maxRetries: 3, retryDelayMs: 20, timeoutMs: 2000 })

    for (const [key, body] of [
      ['custom', { type: 'custom', name: 'Ops JSON', url: customUrl, secret: CUSTOM_SECRET }],
      ['slack', { type: 'slack', name: 'Ops Slack', url: slackUrl }],
      ['gone', { type: 'custom', name: 'Gone', url: goneUrl }],
    ] as const) {
      const res = await r.admin('POST', '/admin/webhook/platforms', body)
      expect(res.status).toBe(200)
      expect(res.json.success).toBe(true)
      ids[key] = res.json.data.id
    }

    const got = await r.admin('GET', '/admin/webhook/config')
    expect(got.status).toBe(200)
    const byId = new Map<string, any>(got.json.data.platforms.map((p: any) => [p.id, p]))
    expect(byId.get(ids.custom!)).toMatchObject({
      type: 'custom',
      name: 'Ops JSON',
      enabled: true,
      url: `${recv}/…/3456`,
      hasSecret: true,
    })
    expect(byId.get(ids.slack!)).toMatchObject({ url: `${recv}/…/3456`, hasSecret: false })
    const shown = JSON.stringify(got.json)
    const stored = JSON.stringify(await r.relay.stores.settings.get('webhooks'))
    for (const text of [shown, stored]) {
      for (const s of [customUrl, slackUrl, goneUrl, CUSTOM_SECRET, 'tok-custom', 'slacktoken'])
        expect(text).not.toContain(s)
    }
  })

  test('an upstream 429 sends rate_limited to every platform after retries; a 404 is not retried', async () => {
    await r.createConsoleAccount('acme')
    const { key } = await r.createKey()
    up.script('acme', { kind: 'error', status: 429, headers: { 'retry-after': '60' } })
    const res = await r.handle(
      new Request('http://localhost/api/v1/messages', {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'claude-sonnet-4-5',
          max_tokens: 16,
          messages: [{ role: 'user', content: 'Hi' }],
        }),
      }),
    )
    expect(res.status).toBeGreaterThanOrEqual(400)
    await res.arrayBuffer()

    await until(() => hitsOn(customUrl).length >= 3 && hitsOn(slackUrl).length >= 3)
    const custom = hitsOn(customUrl)
    const slack = hitsOn(slackUrl)
    expect(custom.map((h) => h.status)).toEqual([500, 500, 200])
    expect(slack.map((h) => h.status)).toEqual([500, 500, 200])

    const delivered = custom[2]!
    const event = JSON.parse(delivered.body)
    expect(event).toMatchObject({ type: 'rate_limited', accountName: 'acme' })
    expect(Date.parse(event.until)).toBeGreaterThan(Date.now() + 50_000)
    const ts = delivered.headers['x-webhook-timestamp']!
    expect(delivered.headers['x-webhook-signature']).toBe(
      `sha256=${createHmac('sha256', CUSTOM_SECRET).update(`${ts}.${delivered.body}`).digest('hex')}`,
    )
    const text = JSON.parse(slack[2]!.body).text as string
    expect(text).toContain('Account rate limited')
    expect(text).toContain('acme')
    expect(text).toContain('rate_limited')

    await Bun.sleep(100)
    expect(hitsOn(goneUrl).map((h) => h.status)).toEqual([404])
    expect(hitsOn(customUrl).length).toBe(3)
  })

  test('the test endpoint delivers at once and reports attempts and status', async () => {
    const saved = await r.admin('POST', '/admin/webhook/test', { platformId: ids.slack })
    expect(saved.status).toBe(200)
    expect(saved.json).toEqual({
      success: true,
      data: { delivered: true, attempts: 1, status: 200 },
    })
    expect(JSON.parse(hitsOn(slackUrl).at(-1)!.body).text).toContain('Test notification')

    const unsaved = await r.admin('POST', '/admin/webhook/test', {
      type: 'custom',
      url: `${recv}/flaky/unsaved/abcdefghijklmnop`,
    })
    expect(unsaved.json.data).toEqual({ delivered: true, attempts: 3, status: 200 })

    const gone = await r.admin('POST', '/admin/webhook/test', { platformId: ids.gone })
    expect(gone.json.success).toBe(false)
    expect(gone.json.data).toMatchObject({ delivered: false, attempts: 1, status: 404 })
    expect(gone.json.data.error).toContain('HTTP 404')
    expect(JSON.stringify(gone.json)).not.toContain('tok-gone')
    expect(hitsOn(goneUrl).length).toBe(2)
  })

  test('edit, toggle and delete; bad input is a 400 and an unknown id a 404', async () => {
    const edited = await r.admin('PUT', `/admin/webhook/platforms/${ids.custom}`, {
      name: 'Renamed',
    })
    expect(edited.json.data).toMatchObject({ name: 'Renamed', hasSecret: true })
    const toggled = await r.admin('POST', `/admin/webhook/platforms/${ids.gone}/toggle`)
    expect(toggled.json.data.enabled).toBe(false)
    const del = await r.admin('DELETE', `/admin/webhook/platforms/${ids.gone}`)
    expect(del.json.success).toBe(true)

    const bad = await r.admin('POST', '/admin/webhook/platforms', {
      type: 'slack',
      url: 'file:///etc/passwd',
    })
    expect(bad.status).toBe(400)
    expect(bad.json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } })
    const badEvents = await r.admin('POST', '/admin/webhook/config', { events: { nope: true } })
    expect(badEvents.status).toBe(400)
    const missing = await r.admin('PUT', '/admin/webhook/platforms/nope', { name: 'x' })
    expect(missing.status).toBe(404)
    expect(missing.json.error.type).toBe('not_found_error')
    const missingTest = await r.admin('POST', '/admin/webhook/test', { platformId: ids.gone })
    expect(missingTest.status).toBe(404)

    const anonymous = await r.handle(new Request('http://localhost/admin/webhook/config'))
    expect(anonymous.status).toBe(401)

    await r.relay.services.audit.flush()
    const audit = await r.relay.stores.settings.listAudit({ limit: 100 })
    const actions = audit.map((e) => e.action)
    for (const a of ['create', 'update', 'toggle', 'delete'])
      expect(actions).toContain(`webhook.platform.${a}`)
    expect(actions).toContain('webhook.config.update')
    const update = audit.find((e) => e.action === 'webhook.platform.update')!
    expect(update).toMatchObject({ target: ids.custom, after: { name: 'Renamed' } })
    const logged = JSON.stringify(audit)
    for (const s of [customUrl, slackUrl, goneUrl, CUSTOM_SECRET]) expect(logged).not.toContain(s)
  })
})
