/**
 * How the relay delivers its pages and larger answers: built files go out as the `.br` or `.gz`
 * copy the build wrote when the client takes it, larger JSON answers are compressed, relayed SSE
 * streams never are (nor held back), and the API docs page is Swagger UI from the npm package,
 * served from the relay itself under the web UI's Content-Security-Policy (checked in Chromium).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { chromium } from 'playwright-core'
import { distAssetReader } from '../../src/runtime/bun.ts'
import { acceptedEncodings } from '../../src/web/serve-web.ts'
import { buildWeb } from '../../web-components/build.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let r: TestRelay
let dir: string
let appJs: string

/** A fetch that shows the bytes as sent (no transparent decompression). */
const raw = (path: string, acceptEncoding: string, init: RequestInit = {}) =>
  fetch(`${r.url}${path}`, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), 'accept-encoding': acceptEncoding },
    decompress: false,
  } as RequestInit)

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'crs-web-delivery-'))
  await buildWeb(dir)
  appJs = readdirSync(dir).find((f) => /^app-.*\.js$/.test(f))!
  up = startFakeUpstream()
  r = await startRelay({ upstream: up, listen: true, readAsset: distAssetReader(dir) })
}, 120_000)
afterAll(async () => {
  await r.stop()
  up.stop()
})

describe('static files', () => {
  test('the build writes .br and .gz beside the text files', () => {
    const files = readdirSync(dir)
    expect(files).toContain(`${appJs}.br`)
    expect(files).toContain(`${appJs}.gz`)
    const size = (f: string) => readFileSync(join(dir, f)).byteLength
    expect(size(`${appJs}.br`)).toBeLessThan(size(appJs) / 3)
    expect(files.some((f) => f.endsWith('.map.br'))).toBe(false)
  })

  test('are sent as the copy the client takes, with the right type, cache and vary', async () => {
    const original = readFileSync(join(dir, appJs))
    const br = await raw(`/web/${appJs}`, 'gzip, deflate, br')
    expect(br.headers.get('content-encoding')).toBe('br')
    expect(br.headers.get('content-type')).toContain('text/javascript')
    expect(br.headers.get('cache-control')).toContain('immutable')
    expect(br.headers.get('vary')).toBe('accept-encoding')
    expect(br.headers.get('content-security-policy')).toContain("script-src 'self'")
    const brBytes = new Uint8Array(await br.arrayBuffer())
    expect(brBytes.byteLength).toBeLessThan(original.byteLength / 3)
    expect(Buffer.from(brotliDecompressSync(brBytes)).equals(original)).toBe(true)

    const gz = await raw(`/web/${appJs}`, 'gzip')
    expect(gz.headers.get('content-encoding')).toBe('gzip')
    expect(Buffer.from(gunzipSync(new Uint8Array(await gz.arrayBuffer()))).equals(original)).toBe(
      true,
    )

    const plain = await raw(`/web/${appJs}`, 'identity')
    expect(plain.headers.get('content-encoding')).toBeNull()
    expect(Buffer.from(await plain.arrayBuffer()).equals(original)).toBe(true)
    const refused = await raw(`/web/${appJs}`, 'br;q=0, gzip')
    expect(refused.headers.get('content-encoding')).toBe('gzip')
    await refused.arrayBuffer()

    // Names near the longest a file may have: the compressed copy's name is 3 longer.
    for (const n of [248, 249, 250, 252, 253])
      expect((await raw(`/web/${'d'.repeat(n)}.js`, 'br, gzip')).status).toBe(404)

    const index = await raw('/web', 'br')
    expect(index.headers.get('content-encoding')).toBe(null) // under 1 KB: not worth a copy
    expect(await index.text()).toContain('<script')
  })

  test('Accept-Encoding is read with its weights', () => {
    expect(acceptedEncodings('gzip, deflate, br')).toEqual(['br', 'gzip'])
    expect(acceptedEncodings('br;q=0, gzip;q=0.5')).toEqual(['gzip'])
    expect(acceptedEncodings('*')).toEqual(['br', 'gzip'])
    expect(acceptedEncodings('*;q=0, gzip')).toEqual(['gzip'])
    expect(acceptedEncodings('identity')).toEqual([])
    expect(acceptedEncodings(null)).toEqual([])
  })
})

describe('JSON answers', () => {
  test('larger ones are compressed, small ones and errors are not', async () => {
    const spec = await raw('/openapi/json', 'gzip, br')
    expect(spec.headers.get('content-encoding')).toBe('br')
    expect(spec.headers.get('content-type')).toContain('application/json')
    expect(spec.headers.get('request-id')).toMatch(/^req_/)
    const bytes = new Uint8Array(await spec.arrayBuffer())
    const text = Buffer.from(brotliDecompressSync(bytes)).toString('utf8')
    expect(JSON.parse(text).openapi).toBeString()
    expect(bytes.byteLength).toBeLessThan(text.length / 5)

    const gz = await raw('/openapi/json', 'gzip')
    expect(gz.headers.get('content-encoding')).toBe('gzip')
    await gz.arrayBuffer()
    const plain = await raw('/openapi/json', 'identity')
    expect(plain.headers.get('content-encoding')).toBeNull()
    expect(JSON.parse(await plain.text()).openapi).toBeString()

    const token = await r.adminToken()
    for (let i = 0; i < 15; i++) await r.createKey({ description: 'x'.repeat(100) })
    const keys = await raw('/admin/api-keys', 'gzip', {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(keys.status).toBe(200)
    expect(keys.headers.get('content-encoding')).toBe('gzip')
    const list = JSON.parse(gunzipSync(new Uint8Array(await keys.arrayBuffer())).toString())
    expect(list.success).toBe(true)

    const health = await raw('/health', 'gzip, br')
    expect(health.headers.get('content-encoding')).toBeNull()
    expect((await health.json()) as object).toHaveProperty('status')
    const denied = await raw('/admin/api-keys', 'gzip, br')
    expect(denied.status).toBe(401)
    expect(denied.headers.get('content-encoding')).toBeNull()
    await denied.text()
  })

  test('relayed streams are never compressed nor held back', async () => {
    await r.createConsoleAccount('stream-acct')
    const key = await r.createKey()
    up.script('stream-acct', {
      kind: 'ok',
      text: 'one two three four five six',
      parts: 6,
      eventDelayMs: 150,
    })
    const t0 = performance.now()
    const res = await raw('/api/v1/messages', 'gzip, deflate, br', {
      method: 'POST',
      headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 16,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-encoding')).toBeNull()
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    const reader = res.body!.getReader()
    const first = await reader.read()
    const firstAt = performance.now() - t0
    let text = new TextDecoder().decode(first.value)
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
    }
    const endAt = performance.now() - t0
    expect(text).toContain('event: message_stop')
    // The first event came while upstream was still sending (about 1.5 s in all).
    expect(endAt - firstAt).toBeGreaterThan(700)
    const json = await raw('/api/v1/messages', 'gzip, br', {
      method: 'POST',
      headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    })
    expect(json.headers.get('content-encoding')).toBeNull()
    expect(((await json.json()) as { type: string }).type).toBe('message')
  })
})

describe('the API docs page', () => {
  test('is Swagger UI from the build: same origin, no inline script, cached assets', async () => {
    const res = await raw('/openapi', 'identity')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'")
    const html = await res.text()
    expect(html).toContain('swagger-ui-dist')
    expect(html).not.toMatch(/https?:\/\//)
    expect(html).not.toMatch(/<script>(?!<)/)
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
    expect(assets.length).toBe(4)
    for (const a of assets) {
      expect(a).toStartWith('/web/docs/')
      const asset = await raw(a, 'br')
      expect(asset.status).toBe(200)
      expect(asset.headers.get('cache-control')).toContain('immutable')
      await asset.arrayBuffer()
    }
    expect((await fetch(`${r.url}/swagger`, { redirect: 'manual' })).headers.get('location')).toBe(
      '/openapi',
    )
  })

  test('renders in Chromium with no CSP violation, no error and no request elsewhere', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    })
    try {
      const page = await browser.newPage()
      const problems: string[] = []
      const origins = new Set<string>()
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text())
      })
      page.on('pageerror', (e) => problems.push(String(e)))
      page.on('request', (req) => origins.add(new URL(req.url()).origin))
      page.on('response', (res) => {
        if (res.status() >= 400) problems.push(`${res.status()} ${res.url()}`)
      })
      await page.addInitScript({
        content: `document.addEventListener('securitypolicyviolation', (e) =>
          console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))`,
      })
      await page.goto(`${r.url}/openapi`)
      await page.locator('.swagger-ui .info .title').waitFor({ timeout: 20_000 })
      expect(await page.locator('.swagger-ui .info .title').textContent()).toContain(
        'Claude Relay Service',
      )
      // From 150 tags and operations on, Swagger UI renders them as a virtual list (only those in
      // view exist in the page): the first operation renders, and the document holds them all.
      await page.locator('.opblock').first().waitFor()
      const spec = (await (await fetch(`${r.url}/openapi/json`)).json()) as { paths: object }
      expect(Object.keys(spec.paths).length).toBeGreaterThan(50)
      expect(problems).toEqual([])
      expect([...origins].filter((o) => o !== r.url && o !== 'null')).toEqual([])
    } finally {
      await browser.close()
    }
  }, 60_000)
})
