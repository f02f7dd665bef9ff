/**
 * The client address behind a reverse proxy that appends to X-Forwarded-For (the README's nginx
 * configuration): a forged leftmost entry must not open /metrics, beat the per-address sign-in
 * limit or reach the audit log; without TRUST_PROXY, a same-host proxy must not make /metrics
 * public.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { ADMIN, startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
beforeAll(() => {
  up = startFakeUpstream()
})
afterAll(() => up.stop())

/** What nginx forwards for a client at `client` that sent `sent` (if any) itself. */
const viaNginx = (client: string, sent?: string) => ({
  'x-forwarded-for': sent ? `${sent}, ${client}` : client,
})

describe('TRUST_PROXY=true behind one appending proxy (the relay sees the proxy on loopback)', () => {
  let r: TestRelay
  beforeAll(async () => {
    r = await startRelay({ upstream: up, listen: true, env: { TRUST_PROXY: 'true' } })
  })
  afterAll(() => r.stop())

  test('a forged leftmost X-Forwarded-For does not open /metrics', async () => {
    const forged = await fetch(`${r.url}/metrics`, { headers: viaNginx('8.8.8.8', '127.0.0.1') })
    expect(forged.status).toBe(403)
    const local = await fetch(`${r.url}/metrics`, { headers: viaNginx('127.0.0.1') })
    expect(local.status).toBe(200)
  })

  test('rotating the leftmost value does not beat the per-address sign-in limit', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 22; i++) {
      const res = await fetch(`${r.url}/web/auth/login`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...viaNginx('198.51.100.77', `10.0.${i}.1`),
        },
        body: JSON.stringify({ username: `rotating-${i}`, password: 'wrong' }),
      })
      statuses.push(res.status)
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true)
    expect(statuses.slice(20)).toEqual([429, 429])
  }, 60_000)

  test('the audit log records the address nginx saw, not the forged one', async () => {
    const res = await fetch(`${r.url}/web/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...viaNginx('203.0.113.44', '127.0.0.1') },
      body: JSON.stringify(ADMIN),
    })
    expect(res.status).toBe(200)
    const log = await r.admin('GET', '/admin/audit-log?action=auth.login&limit=50')
    const ips = (log.json.data.entries as { ip: string }[]).map((e) => e.ip)
    expect(ips).toContain('203.0.113.44')
    expect(ips).not.toContain('127.0.0.1')
  })
})

describe('without TRUST_PROXY behind a same-host proxy', () => {
  let r: TestRelay
  beforeAll(async () => {
    r = await startRelay({ upstream: up, listen: true })
  })
  afterAll(() => r.stop())

  test('/metrics answers a direct loopback scrape but not a request a proxy forwarded', async () => {
    expect((await fetch(`${r.url}/metrics`)).status).toBe(200)
    for (const headers of [
      viaNginx('8.8.8.8') as Record<string, string>,
      { 'x-real-ip': '8.8.8.8' },
      { forwarded: 'for=8.8.8.8' },
      { via: '1.1 proxy' },
    ]) {
      const res = await fetch(`${r.url}/metrics`, { headers })
      expect({ headers, status: res.status }).toEqual({ headers, status: 403 })
    }
  })

  test('the forwarded address is ignored: sign-in limits count the socket address', async () => {
    const res = await fetch(`${r.url}/web/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.99.0.1' },
      body: JSON.stringify({ username: 'nobody', password: 'wrong' }),
    })
    expect(res.status).toBe(401)
  })
})
