/**
 * CCR accounts end to end with the official Anthropic SDK: a `ccr,<model>` model on the Claude
 * routes reaches CCR accounts only (whatever the key is bound to), the prefix removed upstream and
 * the account's mapping applied; a model without the prefix never reaches them; a rate limit
 * ends by itself (the seed's CCR accounts stayed out until an admin reset them).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import { FAKE_USAGE, type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
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

async function createCcr(name: string, input: Record<string, unknown> = {}) {
  const res = await r.admin('POST', '/admin/ccr-accounts', {
    name,
    apiUrl: up.url,
    apiKey: name,
    ...input,
  })
  if (res.status !== 200) throw new Error(JSON.stringify(res.json))
  return res.json.data.id as string
}

const sdk = (key: string) => new Anthropic({ baseURL: `${r.url}/api`, apiKey: key, maxRetries: 0 })
const ask = (model: string) => ({
  model,
  max_tokens: 32,
  messages: [{ role: 'user' as const, content: 'Hi' }],
})

describe('CCR accounts', () => {
  test('ccr,<model> reaches the CCR account with the prefix removed; bindings do not apply', async () => {
    await clean()
    const consoleId = await r.createConsoleAccount('console-acct')
    await createCcr('ccr-acct')
    const { id: keyId, key } = await r.createKey({ claudeConsoleAccountId: consoleId })
    const stream = sdk(key).messages.stream(ask('ccr,gemini-2.5-pro'))
    const msg = await stream.finalMessage()
    expect(msg.usage.input_tokens).toBe(FAKE_USAGE.input_tokens)
    const seen = up.received.at(-1)!
    expect(seen.account).toBe('ccr-acct')
    expect(seen.body.model).toBe('gemini-2.5-pro')
    expect(seen.path).toBe('/v1/messages')
    // Without the prefix: the bound Console account, never CCR.
    await sdk(key).messages.create(ask('claude-sonnet-4-6'))
    expect(up.received.at(-1)!.account).toBe('console-acct')
    await r.settle()
    await r.relay.services.history.flush()
    const hist = (await r.admin('GET', `/admin/request-history?apiKeyId=${keyId}&limit=10`)).json
      .data.history as any[]
    expect(hist.map((h) => h.platform).sort()).toEqual(['ccr', 'claude-console'])
    const ccrRec = hist.find((h) => h.platform === 'ccr')
    expect(ccrRec).toMatchObject({ stream: true, inputTokens: FAKE_USAGE.input_tokens })
  })

  test('the account’s model mapping applies to the model after the prefix; no CCR account → 503', async () => {
    await clean()
    await createCcr('ccr-map', { supportedModels: { 'gemini-2.5-pro': 'google/gemini-2.5-pro' } })
    const { key } = await r.createKey()
    await sdk(key).messages.create(ask('CCR,gemini-2.5-pro'))
    expect(up.received.at(-1)!.body.model).toBe('google/gemini-2.5-pro')
    // Not in the mapping: nothing serves it.
    const err = await sdk(key)
      .messages.create(ask('ccr,other-model'))
      .catch((e: unknown) => e as { status: number })
    expect((err as { status: number }).status).toBe(503)
    // Only Claude accounts: a ccr, model has nowhere to go.
    await clean()
    await r.createConsoleAccount('only-console')
    const none = await sdk(key)
      .messages.create(ask('ccr,gemini-2.5-pro'))
      .catch((e: unknown) => e as { status: number })
    expect((none as { status: number }).status).toBe(503)
    expect(up.received.filter((x) => x.account === 'only-console')).toHaveLength(0)
  })

  test('a rate-limited CCR account comes back by itself', async () => {
    await clean()
    const id = await createCcr('ccr-limited')
    const { key } = await r.createKey()
    up.script(
      'ccr-limited',
      { kind: 'error', status: 429, headers: { 'retry-after': '2' } },
      { kind: 'ok' },
    )
    const first = await sdk(key)
      .messages.create(ask('ccr,m'))
      .catch((e: unknown) => e as { status: number })
    expect((first as { status: number }).status).toBe(429)
    const st = await r.relay.services.accounts.getState(id)
    expect(st.rateLimitedUntil).toBeGreaterThan(Date.now() - 1000)
    // Still limited: refused by the relay without reaching upstream.
    const during = await sdk(key)
      .messages.create(ask('ccr,m'))
      .catch((e: unknown) => e as { status: number })
    expect((during as { status: number }).status).toBe(429)
    expect(up.received.filter((x) => x.account === 'ccr-limited')).toHaveLength(1)
    const t0 = Date.now()
    let ok = false
    while (!ok && Date.now() - t0 < 10_000) {
      ok = await sdk(key)
        .messages.create(ask('ccr,m'))
        .then(() => true)
        .catch(() => false)
      if (!ok) await Bun.sleep(100)
    }
    expect(ok).toBe(true)
  })
})
