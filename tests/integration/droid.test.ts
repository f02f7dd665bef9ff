/**
 * Droid (Factory.ai) end to end: Droid accounts created through `/admin/droid-accounts` with
 * Factory API keys, the Anthropic SDK on `/droid/claude/v1/messages` with a `droid` key, the relay
 * calling a fake Factory gateway the way the Factory CLI does; the `droid` permission and the
 * `droidAccountId` binding (an account or a group); the seed's endpoint-type rule; and no account
 * taken out by a client's 400.
 */

import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import { FAKE_USAGE, type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { runDroidCli } from '../helpers/droid-cli.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let r: TestRelay

beforeAll(async () => {
  up = startFakeUpstream()
  r = await startRelay({ upstream: up, listen: true })
})
afterAll(async () => {
  await r.stop()
  up.stop()
})
beforeEach(() => up.reset())

async function clean() {
  for (const a of await r.relay.services.accounts.list())
    await r.relay.services.accounts.remove(a.id)
}

async function createDroid(name: string, input: Record<string, unknown> = {}) {
  const res = await r.admin('POST', '/admin/droid-accounts', {
    name,
    apiUrl: up.url,
    apiKeys: [`fk-${name}`],
    ...input,
  })
  if (res.status !== 200) throw new Error(JSON.stringify(res.json))
  return res.json.data.id as string
}

const droidSdk = (key: string) =>
  new Anthropic({ baseURL: `${r.url}/droid/claude`, apiKey: key, maxRetries: 0 })
const ask = {
  model: 'claude-sonnet-4-5-20250929',
  max_tokens: 32,
  system: 'Be brief.',
  metadata: { user_id: 'u1' },
  messages: [{ role: 'user' as const, content: 'Hi' }],
}

describe('Droid accounts', () => {
  test('admin: Factory keys sealed and counted, never listed', async () => {
    await clean()
    const id = await createDroid('droid-admin', { apiKeys: ['fk-one', { key: 'fk-two' }] })
    const view = (await r.admin('GET', `/admin/droid-accounts/${id}`)).json.data
    expect(view).toMatchObject({ platform: 'droid', apiKeyCount: 2, hasApiKey: true })
    const list = JSON.stringify((await r.admin('GET', '/admin/droid-accounts')).json)
    expect(list).not.toContain('fk-one')
    await r.admin('PUT', `/admin/droid-accounts/${id}`, { apiKeys: ['fk-three'] })
    expect((await r.admin('GET', `/admin/droid-accounts/${id}`)).json.data.apiKeyCount).toBe(1)
    expect((await r.admin('POST', '/admin/droid-accounts', { name: 'empty' })).status).toBe(400)
  })

  test('SDK stream on /droid/claude/v1/messages: Factory headers, Droid system prompt, usage and history', async () => {
    await clean()
    await createDroid('droid-1')
    const { id: keyId, key } = await r.createKey({ permissions: 'droid' })
    const msg = await droidSdk(key).messages.stream(ask).finalMessage()
    expect(msg.usage.input_tokens).toBe(FAKE_USAGE.input_tokens)
    const seen = up.received.at(-1)!
    expect(seen.path).toBe('/a/v1/messages')
    expect(seen.account).toBe('fk-droid-1')
    expect(seen.headers).toMatchObject({
      'x-api-provider': 'anthropic',
      'x-factory-client': 'cli',
      'user-agent': 'factory-cli/0.19.12',
      'anthropic-version': '2023-06-01',
    })
    expect(seen.headers['x-session-id']).toBeTruthy()
    expect(JSON.stringify(seen.headers)).not.toContain(key)
    expect(seen.body.metadata).toBeUndefined()
    expect(seen.body.system).toEqual([
      { type: 'text', text: 'You are Droid, an AI software engineering agent built by Factory.' },
      { type: 'text', text: 'Be brief.' },
    ])
    await r.settle()
    await r.relay.services.history.flush()
    const [rec] = (await r.admin('GET', `/admin/request-history?apiKeyId=${keyId}`)).json.data
      .history as any[]
    expect(rec).toMatchObject({
      platform: 'droid',
      endpoint: '/droid/claude/v1/messages',
      inputTokens: FAKE_USAGE.input_tokens,
      outputTokens: FAKE_USAGE.output_tokens,
    })
    expect(rec.costNanos).toBeGreaterThan(0)
    // Models list.
    const models = (await (
      await fetch(`${r.url}/droid/claude/v1/models`, { headers: { 'x-api-key': key } })
    ).json()) as any
    expect(models.data.map((m: any) => m.id)).toContain('claude-sonnet-4-5-20250929')
  })

  test('permissions: a claude key is refused on Droid routes, a droid key on Claude routes', async () => {
    await clean()
    await createDroid('droid-perm')
    await r.createConsoleAccount('console-perm')
    const claudeKey = (await r.createKey({ permissions: 'claude' })).key
    const droidKey = (await r.createKey({ permissions: 'droid' })).key
    const refused = await droidSdk(claudeKey)
      .messages.create(ask)
      .catch((e: unknown) => e as { status: number })
    expect((refused as { status: number }).status).toBe(403)
    const other = await new Anthropic({
      baseURL: `${r.url}/api`,
      apiKey: droidKey,
      maxRetries: 0,
    }).messages
      .create(ask)
      .catch((e: unknown) => e as { status: number })
    expect((other as { status: number }).status).toBe(403)
    // Droid requests never reach Claude accounts, nor Claude requests Droid accounts.
    const allKey = (await r.createKey()).key
    await droidSdk(allKey).messages.create(ask)
    expect(up.received.at(-1)!.account).toBe('fk-droid-perm')
  })

  test('droidAccountId binds a key to an account or a group; comm accounts serve no Messages', async () => {
    await clean()
    const a = await createDroid('droid-a', { priority: 1 })
    const b = await createDroid('droid-b', { priority: 50, accountType: 'dedicated' })
    await createDroid('droid-comm', { priority: 1, endpointType: 'comm' })
    const bound = (await r.createKey({ droidAccountId: b })).key
    await droidSdk(bound).messages.create(ask)
    expect(up.received.at(-1)!.account).toBe('fk-droid-b')
    const group = await r.admin('POST', '/admin/account-groups', {
      name: 'droids',
      platform: 'droid',
    })
    const gid = group.json.data.id
    await r.admin('PUT', `/admin/droid-accounts/${a}`, { groupIds: [gid], accountType: 'group' })
    const viaGroup = (await r.createKey({ droidAccountId: `group:${gid}` })).key
    await droidSdk(viaGroup).messages.create(ask)
    expect(up.received.at(-1)!.account).toBe('fk-droid-a')
    // The shared pool has only the comm account now: it does not take Messages requests.
    const pooled = (await r.createKey()).key
    const none = await droidSdk(pooled)
      .messages.create(ask)
      .catch((e: unknown) => e as { status: number })
    expect((none as { status: number }).status).toBe(503)
    expect(up.received.some((x) => x.account === 'fk-droid-comm')).toBe(false)
  })

  test('a 400 from Factory reaches the client and leaves the account in service', async () => {
    await clean()
    const id = await createDroid('droid-400')
    const { key } = await r.createKey()
    up.script(
      'fk-droid-400',
      {
        kind: 'error',
        status: 400,
        body: {
          type: 'error',
          error: { type: 'invalid_request_error', message: 'bad tool schema' },
        },
      },
      { kind: 'ok' },
    )
    const err = await droidSdk(key)
      .messages.create(ask)
      .catch((e: unknown) => e as { status: number; message: string })
    expect((err as { status: number }).status).toBe(400)
    expect((err as { message: string }).message).toContain('bad tool schema')
    const st = await r.relay.services.accounts.getState(id)
    expect(st.status).toBe('active')
    const view = (await r.admin('GET', `/admin/droid-accounts/${id}`)).json.data
    expect(view.schedulable).toBe(true)
    const ok = await droidSdk(key).messages.create(ask)
    expect(ok.content[0]).toMatchObject({ type: 'text' })
  })

  test('the Droid CLI (a custom model on /droid/claude) through the relay: exit 0, its answer printed', async () => {
    await clean()
    await createDroid('droid-cli')
    const { id: keyId, key } = await r.createKey({ permissions: 'droid' })
    const { code, stdout: out } = await runDroidCli({
      model: 'claude-sonnet-4-5-20250929',
      displayName: 'Sonnet via relay',
      baseUrl: `${r.url}/droid/claude`,
      apiKey: key,
      provider: 'anthropic',
    })
    expect(code).toBe(0)
    expect(out).toContain('Hello from fk-droid-cli')
    const calls = up.received.filter((x) => x.account === 'fk-droid-cli')
    expect(calls.length).toBeGreaterThan(0)
    for (const c of calls) {
      expect(c.path).toBe('/a/v1/messages')
      expect(JSON.stringify(c.headers)).not.toContain(key)
    }
    await r.settle()
    await r.relay.services.history.flush()
    const records = (await r.admin('GET', `/admin/request-history?apiKeyId=${keyId}&limit=50`)).json
      .data.history as any[]
    expect(records).toHaveLength(calls.length)
    for (const h of records) expect(h).toMatchObject({ platform: 'droid', status: 200 })
  }, 150_000)
})
