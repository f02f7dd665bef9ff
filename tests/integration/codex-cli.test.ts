/**
 * The real Codex CLI through the relay, configured as the relay's users do (a custom model
 * provider with `wire_api = "responses"` pointing at `/openai`): `codex exec` finishes with exit
 * 0 and prints the fake's answer, and every upstream call is recorded exactly once (usage and
 * history), once with an OpenAI-Responses account and once with a ChatGPT-login account behind
 * the relay.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/fake-openai.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { runCodex } from '../helpers/codex.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let oa: FakeOpenAI
let r: TestRelay

beforeAll(async () => {
  up = startFakeUpstream()
  oa = startFakeOpenAI()
  r = await startRelay({
    upstream: up,
    listen: true,
    env: { OPENAI_CHATGPT_BASE_URL: oa.url, OPENAI_OAUTH_TOKEN_URL: `${oa.url}/oauth/token` },
  })
})
afterAll(async () => {
  await r.stop()
  oa.stop()
  up.stop()
})

/** Upstream Responses calls the fake answered. */
const upstreamCalls = () => oa.received.filter((x) => /\/responses/.test(x.path))

describe('Codex CLI → relay', () => {
  test('codex exec through an OpenAI-Responses account: exit 0, one record per upstream call', async () => {
    const res = await r.admin('POST', '/admin/openai-responses-accounts', {
      name: 'codex-api',
      baseApi: `${oa.url}/v1`,
      apiKey: 'sk-codex-api',
    })
    expect(res.status).toBe(200)
    const { key } = await r.createKey({ permissions: 'openai' })
    oa.reset()
    oa.script('sk-codex-api', { kind: 'ok', text: 'Codex says hello through the relay' })
    r.outcomes.length = 0

    const run = await runCodex({ relayUrl: r.url, key, prompt: 'Say hello' })
    if (run.code !== 0) console.error(run.stderr)
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Codex says hello through the relay')

    const calls = upstreamCalls()
    expect(calls.length).toBeGreaterThanOrEqual(1)
    expect(calls.every((c) => c.account === 'sk-codex-api')).toBe(true)
    expect(calls[0]!.headers['user-agent']).toMatch(/^codex_exec\//)
    // The client's own prompt (a developer message) and tools went upstream untouched.
    expect(JSON.stringify(calls[0]!.body.input)).toContain('Codex CLI')
    expect(JSON.stringify(calls[0]!.body.input)).toContain('Say hello')
    const outs = await r.waitOutcomes(calls.length)
    await Bun.sleep(50)
    expect(r.outcomes).toHaveLength(calls.length)
    for (const o of outs)
      expect(o).toMatchObject({
        outcome: 'success',
        platform: 'openai-responses',
        endpoint: '/openai/responses',
        usage: { inputTokens: 100, cacheReadTokens: 20, outputTokens: 30 },
      })
    await r.relay.services.history.flush()
    const rec = await r.relay.services.history.get(outs[0]!.requestId)
    expect(JSON.parse(rec!.responseBody).output[0].content[0].text).toBe(
      'Codex says hello through the relay',
    )
  }, 120_000)

  test('codex exec through a ChatGPT-login account: exit 0, one record per upstream call', async () => {
    const acc = await r.admin('POST', '/admin/openai-accounts', {
      name: 'codex-chatgpt',
      openaiOauth: { accessToken: 'codex-chatgpt-token', refreshToken: 'rt-c', expires_in: 3600 },
      accountInfo: { accountId: 'acct-codex' },
      accountType: 'dedicated',
    })
    expect(acc.status).toBe(200)
    const { key } = await r.createKey({ permissions: 'openai', openaiAccountId: acc.json.data.id })
    oa.reset()
    oa.script('codex-chatgpt-token', { kind: 'ok', text: 'Hello via ChatGPT login' })
    r.outcomes.length = 0

    const run = await runCodex({ relayUrl: r.url, key, prompt: 'Say hello' })
    if (run.code !== 0) console.error(run.stderr)
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Hello via ChatGPT login')
    const calls = upstreamCalls()
    expect(calls.length).toBeGreaterThanOrEqual(1)
    for (const c of calls) {
      expect(c.path).toBe('/backend-api/codex/responses')
      expect(c.headers['chatgpt-account-id']).toBe('acct-codex')
      expect(c.body.store).toBe(false)
    }
    const outs = await r.waitOutcomes(calls.length)
    await Bun.sleep(50)
    expect(r.outcomes).toHaveLength(calls.length)
    for (const o of outs) expect(o).toMatchObject({ outcome: 'success', platform: 'openai' })
  }, 120_000)

  test('codex exec over WebSocket (supports_websockets): exit 0, one record per upstream call', async () => {
    const res = await r.admin('POST', '/admin/openai-responses-accounts', {
      name: 'codex-ws',
      baseApi: `${oa.url}/v1`,
      apiKey: 'sk-codex-ws',
      accountType: 'dedicated',
    })
    const { key } = await r.createKey({
      permissions: 'openai',
      openaiAccountId: `responses:${res.json.data.id}`,
    })
    oa.reset()
    oa.script('sk-codex-ws', { kind: 'ok', text: 'Hello over the relay WebSocket' })
    r.outcomes.length = 0

    const run = await runCodex({
      relayUrl: r.url,
      key,
      prompt: 'Say hello',
      providerExtra: 'supports_websockets = true',
    })
    if (run.code !== 0) console.error(run.stderr)
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Hello over the relay WebSocket')
    const calls = upstreamCalls()
    expect(calls.length).toBeGreaterThanOrEqual(1)
    // The warm-up message is answered by the relay: upstream sees only real turns.
    for (const c of calls) {
      expect(c.account).toBe('sk-codex-ws')
      expect(c.body.generate).toBeUndefined()
      // Sent by Codex on its WebSocket handshake only, and passed on by the relay.
      expect(c.headers['openai-beta']).toContain('responses_websockets')
      expect(c.body.stream).toBe(true)
    }
    const outs = await r.waitOutcomes(calls.length)
    await Bun.sleep(50)
    expect(r.outcomes).toHaveLength(calls.length)
    for (const o of outs)
      expect(o).toMatchObject({
        outcome: 'success',
        endpoint: '/openai/responses',
        usage: { inputTokens: 100, cacheReadTokens: 20, outputTokens: 30 },
      })
  }, 120_000)
})
