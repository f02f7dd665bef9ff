/**
 * Droid accounts signed in with Factory tokens: when Factory refuses the access token, the relay
 * refreshes it at WorkOS (a form POST with the refresh token, the Factory CLI's client id and
 * the account's organization), stores both rotated tokens, and retries once; the client sees one
 * answer.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let r: TestRelay
const grants: URLSearchParams[] = []
let workos: ReturnType<typeof Bun.serve>

beforeAll(async () => {
  up = startFakeUpstream()
  workos = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const form = new URLSearchParams(await req.text())
      grants.push(form)
      if (form.get('refresh_token') !== 'wr-1')
        return Response.json({ error: 'invalid_grant' }, { status: 400 })
      return Response.json({
        access_token: 'factory-access-2',
        refresh_token: 'wr-2',
        expires_in: 28_800,
        token_type: 'Bearer',
      })
    },
  })
  r = await startRelay({
    upstream: up,
    listen: true,
    env: { DROID_AUTH_URL: `http://127.0.0.1:${workos.port}/user_management/authenticate` },
  })
})
afterAll(async () => {
  await r.stop()
  workos.stop(true)
  up.stop()
})

describe('Droid accounts with Factory tokens', () => {
  test('a refused access token is refreshed at WorkOS, stored, and the request retried once', async () => {
    const created = await r.admin('POST', '/admin/droid-accounts', {
      name: 'droid-oauth',
      apiUrl: up.url,
      accessToken: 'factory-access-1',
      refreshToken: 'wr-1',
    })
    expect(created.status).toBe(200)
    const id = created.json.data.id
    up.script('factory-access-1', {
      kind: 'error',
      status: 401,
      body: { type: 'error', error: { type: 'authentication_error', message: 'expired' } },
    })
    const { key } = await r.createKey({ permissions: 'droid' })
    const msg = await new Anthropic({
      baseURL: `${r.url}/droid/claude`,
      apiKey: key,
      maxRetries: 0,
    }).messages.create({
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'Hi' }],
    })
    expect(msg.content[0]).toMatchObject({ type: 'text' })
    expect(up.received.map((x) => x.account)).toEqual(['factory-access-1', 'factory-access-2'])
    expect(grants).toHaveLength(1)
    expect(Object.fromEntries(grants[0]!)).toMatchObject({
      grant_type: 'refresh_token',
      refresh_token: 'wr-1',
      client_id: 'client_01HNM792M5G5G1A2THWPXKFMXB',
    })
    const entry = await r.relay.services.accounts.readEntry(id)
    expect(entry?.secrets).toMatchObject({ accessToken: 'factory-access-2', refreshToken: 'wr-2' })
    expect((await r.relay.services.accounts.getState(id)).status).toBe('active')
  })
})
