/**
 * Droid onboarding with a Factory sign-in (the WorkOS device flow): the admin starts it, gets the
 * code to type at WorkOS, polls (pending until approved), receives the tokens and organization,
 * and creates a Droid account with them; the device code is never shown.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let r: TestRelay
let workos: ReturnType<typeof Bun.serve>
let approved = false
const forms: { path: string; form: Record<string, string> }[] = []

beforeAll(async () => {
  up = startFakeUpstream()
  workos = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const path = new URL(req.url).pathname
      const form = Object.fromEntries(new URLSearchParams(await req.text()))
      forms.push({ path, form })
      if (path === '/user_management/authorize/device')
        return Response.json({
          device_code: 'secret-device-code',
          user_code: 'ABCD-EFGH',
          verification_uri: 'https://auth.example/device',
          verification_uri_complete: 'https://auth.example/device?code=ABCD-EFGH',
          expires_in: 300,
          interval: 5,
        })
      if (form.device_code !== 'secret-device-code')
        return Response.json({ error: 'invalid_grant' }, { status: 400 })
      if (!approved) return Response.json({ error: 'authorization_pending' }, { status: 400 })
      return Response.json({
        access_token: 'factory-at',
        refresh_token: 'factory-rt',
        expires_in: 28_800,
        organization_id: 'org_123',
        user: { id: 'user_1', email: 'dev@example.com' },
      })
    },
  })
  r = await startRelay({
    upstream: up,
    env: { DROID_AUTH_URL: `http://127.0.0.1:${workos.port}/user_management/authenticate` },
  })
})
afterAll(async () => {
  await r.stop()
  workos.stop(true)
  up.stop()
})

describe('Droid device sign-in', () => {
  test('start, pending, approved: the tokens create a Droid account that relays', async () => {
    const start = await r.admin('POST', '/admin/droid-accounts/generate-auth-url', {})
    expect(start.status).toBe(200)
    expect(start.json.data).toMatchObject({ userCode: 'ABCD-EFGH', expiresIn: 300 })
    expect(JSON.stringify(start.json)).not.toContain('secret-device-code')
    expect(forms[0]?.form.client_id).toBe('client_01HNM792M5G5G1A2THWPXKFMXB')
    const sessionId = start.json.data.sessionId
    const pending = await r.admin('POST', '/admin/droid-accounts/exchange-code', { sessionId })
    expect(pending.json).toMatchObject({
      success: false,
      pending: true,
      error: 'authorization_pending',
    })
    approved = true
    const done = await r.admin('POST', '/admin/droid-accounts/exchange-code', { sessionId })
    expect(done.json).toMatchObject({
      success: true,
      data: { accessToken: 'factory-at', refreshToken: 'factory-rt', organizationId: 'org_123' },
    })
    expect(forms.at(-1)?.form.grant_type).toBe('urn:ietf:params:oauth:grant-type:device_code')
    // The session is used up.
    const again = await r.admin('POST', '/admin/droid-accounts/exchange-code', { sessionId })
    expect(again.status).toBe(400)
    const created = await r.admin('POST', '/admin/droid-accounts', {
      name: 'signed-in droid',
      apiUrl: up.url,
      ...done.json.data,
    })
    expect(created.status).toBe(200)
    expect(created.json.data).toMatchObject({
      hasAccessToken: true,
      hasRefreshToken: true,
      options: { organizationId: 'org_123' },
    })
    const { key } = await r.createKey({ permissions: 'droid' })
    const res = await r.handle(
      new Request('http://localhost/droid/claude/v1/messages', {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'claude-sonnet-4-5-20250929',
          max_tokens: 8,
          messages: [{ role: 'user', content: 'Hi' }],
        }),
      }),
    )
    expect(res.status).toBe(200)
    await res.text()
    expect(up.received.at(-1)?.account).toBe('factory-at')
  })
})
