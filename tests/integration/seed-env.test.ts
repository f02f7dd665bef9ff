/**
 * The seed's `.env` on a real process: `LOG_LEVEL=verbose` does not stop the start, variables read
 * differently are named in one warning line with what replaces them, translated ones take effect
 * (`ENABLE_CORS=true`), and a PRICING_FILE change is picked up without a restart.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, waitForHttp } from '../helpers/net.ts'

const main = join(import.meta.dir, '../../src/main.ts')
let proc: ReturnType<typeof Bun.spawn> | null = null
afterAll(async () => {
  proc?.kill('SIGTERM')
  await proc?.exited
})

describe("the seed's environment", () => {
  test('verbose log level starts; seed-only variables are named once; ENABLE_CORS works', async () => {
    const port = await freePort()
    const cwd = mkdtempSync(join(tmpdir(), 'crs-seed-env-'))
    proc = Bun.spawn([process.execPath, main], {
      cwd,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: cwd,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'verbose',
        JWT_SECRET: 'seed-env-test-jwt-secret-0123456789abcdef',
        ENCRYPTION_KEY: 'seed-env-test-encryption-key-0123456789',
        ADMIN_PASSWORD: 'seed-env-test-password',
        CLAUDE_OVERLOAD_HANDLING_MINUTES: '10',
        STICKY_SESSION_RENEWAL_THRESHOLD_MINUTES: '15',
        WEBHOOK_URLS: 'https://example.invalid/hook',
        PROXY_USE_IPV4: 'true',
        LDAP_ENABLED: 'false',
        LDAP_URL: 'ldap://example.invalid',
        ENABLE_CORS: 'true',
      },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const url = `http://127.0.0.1:${port}`
    await waitForHttp(`${url}/health`, 20_000)
    const pre = await fetch(`${url}/api/v1/messages`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://tool.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-api-key,content-type',
      },
    })
    expect(pre.headers.get('access-control-allow-origin')).toBeTruthy()
    proc.kill('SIGTERM')
    await proc.exited
    const out =
      (await new Response(proc.stdout as ReadableStream).text()) +
      (await new Response(proc.stderr as ReadableStream).text())
    proc = null
    const lines = out.split('\n').filter((l) => l.includes('Variables of the old system'))
    expect(lines).toHaveLength(1)
    const line = lines[0]!
    for (const name of [
      'CLAUDE_OVERLOAD_HANDLING_MINUTES',
      'STICKY_SESSION_RENEWAL_THRESHOLD_MINUTES',
      'WEBHOOK_URLS',
      'PROXY_USE_IPV4',
      'LDAP_ENABLED, LDAP_URL',
      'LOG_LEVEL=verbose (read as debug)',
      'ENABLE_CORS',
    ])
      expect(line).toContain(name)
    // Debug lines are printed: verbose became debug.
    expect(out).toMatch(/"level":"debug"|\bdebug\b/)
  }, 60_000)
})

describe('PRICING_FILE reloaded without a release', () => {
  test('a price list served over HTTP is picked up at its next check; max_tokens follows it', async () => {
    const { startFakeUpstream } = await import('../fakes/fake-upstream.ts')
    const { startRelay } = await import('../helpers/relay.ts')
    let table: Record<string, unknown> = { models: {} }
    const prices = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: () => Response.json(table),
    })
    const up = startFakeUpstream()
    const r = await startRelay({
      upstream: up,
      env: {
        PRICING_FILE: `http://127.0.0.1:${prices.port}/prices.json`,
        PRICING_RELOAD_INTERVAL: '5000',
      },
    })
    try {
      await r.createOAuthAccount('price-acct')
      const key = (await r.createKey()).key
      const ask = async () => {
        const res = await r.handle(
          new Request('http://localhost/api/v1/messages', {
            method: 'POST',
            headers: { 'x-api-key': key, 'content-type': 'application/json' },
            body: JSON.stringify({
              model: 'claude-sonnet-9-9',
              max_tokens: 50_000,
              messages: [{ role: 'user', content: 'hi' }],
            }),
          }),
        )
        expect(res.status).toBe(200)
        await res.text()
        const n = r.outcomes.length
        await r.waitOutcomes(n)
        return r.outcomes.at(-1)!
      }
      expect((await ask()).priced).toBe(false)
      expect(up.received.at(-1)!.body.max_tokens).toBe(50_000)
      table = {
        version: 'test-reload',
        models: {
          'claude-sonnet-9-9': {
            input: 3,
            output: 15,
            cacheWrite5m: 3.75,
            cacheWrite1h: 6,
            cacheRead: 0.3,
            maxOutputTokens: 20_000,
          },
        },
      }
      const t0 = Date.now()
      let priced = false
      while (!priced && Date.now() - t0 < 20_000) {
        await Bun.sleep(500)
        priced = r.relay.services.pricing.find('claude-sonnet-9-9') !== null
      }
      const o = await ask()
      expect(o.priced).toBe(true)
      expect(o.costNanos).toBeGreaterThan(0)
      expect(up.received.at(-1)!.body.max_tokens).toBe(20_000)
    } finally {
      await r.stop()
      up.stop()
      prices.stop(true)
    }
  }, 60_000)
})
