/**
 * One client identity per Claude subscription account, through HTTP: Claude Code's headers are
 * captured (readable at /admin/claude-code-headers) and replayed for other clients,
 * `useUnifiedUserAgent` sends the newest Claude Code user agent, `useUnifiedClientId` rewrites the
 * client part of `metadata.user_id`; a subscription past its end is not scheduled and one about to
 * end is announced by webhook.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let r: TestRelay
let receiver: ReturnType<typeof Bun.serve>
const hooks: any[] = []

const HEX_A = 'a'.repeat(64)
const HEX_B = 'b'.repeat(64)

async function send(
  key: string,
  headers: Record<string, string>,
  body: Record<string, unknown> = {},
) {
  const res = await fetch(`${r.url}/api/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      model: 'claude-opus-4-5',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
      ...body,
    }),
  })
  const text = await res.text()
  return { status: res.status, text }
}

const CC = {
  'user-agent': 'claude-cli/2.1.7 (external, cli)',
  'x-stainless-os': 'Linux',
  'x-stainless-lang': 'js',
  'x-app': 'cli',
}

beforeAll(async () => {
  receiver = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      hooks.push(await req.json())
      return new Response('ok')
    },
  })
  up = startFakeUpstream()
  r = await startRelay({ upstream: up, listen: true })
  await r.admin('POST', '/admin/webhook/platforms', {
    type: 'custom',
    name: 'recv',
    url: `http://127.0.0.1:${receiver.port}/hook`,
  })
})
afterAll(async () => {
  await r.stop()
  up.stop()
  receiver.stop(true)
})
beforeEach(() => up.reset())

describe('client identity on OAuth accounts', () => {
  test('Claude Code headers are captured and replayed for other clients', async () => {
    const id = await r.createOAuthAccount('ident-a')
    const key = (await r.createKey({ claudeAccountId: id })).key
    expect((await send(key, CC)).status).toBe(200)
    const list = await r.admin('GET', '/admin/claude-code-headers')
    expect(list.status).toBe(200)
    const mine = list.json.data.find((h: any) => h.accountId === id)
    expect(mine).toMatchObject({ accountName: 'ident-a', version: '2.1.7' })
    expect(mine.headers['x-stainless-os']).toBe('Linux')
    // Another client is sent upstream as that Claude Code.
    expect((await send(key, { 'user-agent': 'my-script/1.0' })).status).toBe(200)
    const h = up.received.at(-1)!.headers
    expect(h['user-agent']).toBe(CC['user-agent'])
    expect(h['x-stainless-os']).toBe('Linux')
    expect(h['x-app']).toBe('cli')
    // An older Claude Code does not replace what was captured.
    await send(key, {
      ...CC,
      'user-agent': 'claude-cli/2.0.1 (external, cli)',
      'x-stainless-os': 'Windows',
    })
    const again = (await r.admin('GET', '/admin/claude-code-headers')).json.data.find(
      (x: any) => x.accountId === id,
    )
    expect(again.version).toBe('2.1.7')
    expect((await r.admin('DELETE', `/admin/claude-code-headers/${id}`)).status).toBe(200)
    const gone = (await r.admin('GET', '/admin/claude-code-headers')).json.data
    expect(gone.some((x: any) => x.accountId === id)).toBe(false)
  })

  test('useUnifiedUserAgent and useUnifiedClientId', async () => {
    const id = await r.createOAuthAccount('ident-b', {
      useUnifiedUserAgent: true,
      useUnifiedClientId: true,
    })
    const key = (await r.createKey({ claudeAccountId: id })).key
    // The newest Claude Code seen (2.1.7, from the test above) wins over this client's older one.
    await send(
      key,
      { ...CC, 'user-agent': 'claude-cli/1.0.9 (external, cli)' },
      {
        metadata: { user_id: `user_${HEX_A}_account__session_s1` },
      },
    )
    const first = up.received.at(-1)!
    expect(first.headers['user-agent']).toBe('claude-cli/2.1.7 (external, cli)')
    const sent1 = (first.body.metadata as any).user_id as string
    expect(sent1).not.toContain(HEX_A)
    expect(sent1).toEndWith('_account__session_s1')
    // Another client id on the same account goes up as the same one.
    await send(key, CC, { metadata: { user_id: `user_${HEX_B}_account__session_s2` } })
    const sent2 = (up.received.at(-1)!.body.metadata as any).user_id as string
    expect(sent2.slice(0, 70)).toBe(sent1.slice(0, 70))
    const version = await r.admin('GET', '/admin/claude-code-version')
    expect(version.json.data.userAgent).toBe('claude-cli/2.1.7 (external, cli)')
  })

  test('subscription end: past it the account is skipped; shortly before, a webhook', async () => {
    const ended = await r.createOAuthAccount('ident-ended', {
      subscriptionExpiresAt: new Date(Date.now() - 60_000).toISOString(),
    })
    const key = (await r.createKey({ claudeAccountId: ended })).key
    const res = await send(key, CC)
    expect(res.status).toBeGreaterThanOrEqual(500)
    const view = (await r.admin('GET', `/admin/claude-accounts/${ended}`)).json.data
    expect(view.unavailableReason).toBe('subscription expired')
    await r.createOAuthAccount('ident-soon', {
      subscriptionExpiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    })
    // The sweep (every minute in service) runs until the pool has the new account and the
    // webhook arrived; a second sweep must not announce it again.
    const t0 = Date.now()
    while (!hooks.some((h) => h.type === 'subscription_expiring') && Date.now() - t0 < 20_000) {
      await r.relay.services.session.sweep()
      await Bun.sleep(50)
    }
    await r.relay.services.session.sweep()
    await Bun.sleep(200)
    const notes = hooks.filter((h) => h.type === 'subscription_expiring')
    expect(notes.map((n) => n.accountName)).toEqual(['ident-soon'])
  })
})
