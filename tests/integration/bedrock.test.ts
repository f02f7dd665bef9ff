/**
 * Claude on AWS Bedrock end to end: Bedrock accounts created through `/admin/bedrock-accounts`,
 * Anthropic clients (the official SDK, Claude Code) on the usual Claude routes, the relay signing
 * InvokeModel calls with SigV4 to a fake Bedrock that checks every signature and answers in the
 * real event-stream framing; the answer the client reads is the Messages API's SSE, and usage,
 * cost and one history record per upstream call come out as for any Claude account.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { bedrockEvents, type FakeBedrock, startFakeBedrock } from '../fakes/fake-bedrock.ts'
import { FAKE_USAGE, type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { freePort } from '../helpers/net.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const GOOD = {
  accessKeyId: 'AKIAFAKEBEDROCK00001',
  secretAccessKey: 'fake/secret+key/0123456789abcdefghijklmn',
  sessionToken: 'FwoGZXIvYXdzEFAKESESSIONTOKEN//0123456789',
}
const OTHER = {
  accessKeyId: 'AKIAFAKEBEDROCK00002',
  secretAccessKey: 'other-secret-0123456789abcd',
}

let up: FakeUpstream
let bedrock: FakeBedrock
let r: TestRelay

beforeAll(async () => {
  up = startFakeUpstream()
  bedrock = startFakeBedrock({ credentials: [GOOD, OTHER], apiKeys: ['bedrock-api-key-123'] })
  r = await startRelay({ upstream: up, listen: true })
})
afterAll(async () => {
  await r.stop()
  bedrock.stop()
  up.stop()
})
beforeEach(() => bedrock.reset())

async function clean() {
  for (const a of await r.relay.services.accounts.list())
    await r.relay.services.accounts.remove(a.id)
}

async function createBedrock(name: string, input: Record<string, unknown> = {}) {
  const res = await r.admin('POST', '/admin/bedrock-accounts', {
    name,
    region: 'us-west-2',
    endpoint: bedrock.url,
    awsCredentials: GOOD,
    ...input,
  })
  if (res.status !== 200) throw new Error(JSON.stringify(res.json))
  return res.json.data.id as string
}

const sdk = (key: string) => new Anthropic({ baseURL: `${r.url}/api`, apiKey: key, maxRetries: 0 })
const ask = {
  model: 'claude-sonnet-4-5',
  max_tokens: 64,
  messages: [{ role: 'user' as const, content: 'Hi' }],
}

async function historyOf(keyId: string) {
  await r.settle()
  await r.relay.services.history.flush()
  return (await r.admin('GET', `/admin/request-history?apiKeyId=${keyId}&limit=50`)).json.data
    .history as any[]
}

describe('Bedrock accounts', () => {
  test('admin: created with sealed AWS credentials, listed without them', async () => {
    await clean()
    const id = await createBedrock('bed-admin', { defaultModel: 'claude-haiku-4-5' })
    const list = (await r.admin('GET', '/admin/bedrock-accounts')).json.data as any[]
    const view = list.find((a) => a.id === id)
    expect(view).toMatchObject({
      platform: 'bedrock',
      apiUrl: bedrock.url,
      hasAwsCredentials: true,
      options: { region: 'us-west-2', defaultModel: 'claude-haiku-4-5' },
    })
    expect(JSON.stringify(list)).not.toContain(GOOD.secretAccessKey)
    // Not under another kind's routes; refused without credentials.
    expect((await r.admin('GET', `/admin/claude-console-accounts/${id}`)).status).toBe(404)
    const bad = await r.admin('POST', '/admin/bedrock-accounts', { name: 'no-creds' })
    expect(bad.status).toBe(400)
    // An edit of the region keeps the credentials and the other options.
    await r.admin('PUT', `/admin/bedrock-accounts/${id}`, { region: 'eu-west-1' })
    const after = (await r.admin('GET', `/admin/bedrock-accounts/${id}`)).json.data
    expect(after.options).toEqual({ region: 'eu-west-1', defaultModel: 'claude-haiku-4-5' })
    expect(after.hasAwsCredentials).toBe(true)
    // Switching to a Bedrock API key drops the AWS credentials, and back.
    await r.admin('PUT', `/admin/bedrock-accounts/${id}`, { apiKey: 'bedrock-api-key-123' })
    let v = (await r.admin('GET', `/admin/bedrock-accounts/${id}`)).json.data
    expect([v.hasApiKey, v.hasAwsCredentials]).toEqual([true, false])
    await r.admin('PUT', `/admin/bedrock-accounts/${id}`, { awsCredentials: GOOD })
    v = (await r.admin('GET', `/admin/bedrock-accounts/${id}`)).json.data
    expect([v.hasApiKey, v.hasAwsCredentials]).toEqual([false, true])
  })

  test('SDK stream: SigV4-signed InvokeModelWithResponseStream, an Anthropic stream back, usage and one history record', async () => {
    await clean()
    await createBedrock('bed-1')
    const { id: keyId, key } = await r.createKey()
    const stream = sdk(key).messages.stream(ask, {
      headers: { 'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14' },
    })
    const events: string[] = []
    stream.on('streamEvent', (e) => events.push(e.type))
    const msg = await stream.finalMessage()
    const modelId = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0'
    expect(msg.content[0]).toMatchObject({ type: 'text', text: `Hello from Bedrock (${modelId})` })
    expect(msg.usage).toMatchObject({
      input_tokens: FAKE_USAGE.input_tokens,
      output_tokens: FAKE_USAGE.output_tokens,
      cache_read_input_tokens: FAKE_USAGE.cache_read_input_tokens,
    })
    expect(events[0]).toBe('message_start')
    expect(events.at(-1)).toBe('message_stop')
    expect(events).toContain('content_block_start')
    // What Bedrock received: the client's model as a regional inference profile, a Bedrock body.
    expect(bedrock.rejected).toEqual([])
    expect(bedrock.received).toHaveLength(1)
    const got = bedrock.received[0]!
    expect(got.action).toBe('invoke-with-response-stream')
    expect(got.modelId).toBe(modelId)
    expect(got.principal).toBe(GOOD.accessKeyId)
    expect(got.region).toBe('us-west-2')
    expect(got.headers['x-amz-security-token']).toBe(GOOD.sessionToken)
    expect(got.headers['x-api-key']).toBeUndefined()
    expect(JSON.stringify(got.headers)).not.toContain(key)
    expect(got.body).toMatchObject({
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 64,
      anthropic_beta: ['interleaved-thinking-2025-05-14'],
    })
    expect(got.body.model).toBeUndefined()
    expect(got.body.stream).toBeUndefined()
    // Recorded once, as Bedrock, with the stream's usage and a cost.
    const [rec, ...more] = await historyOf(keyId)
    expect(more).toHaveLength(0)
    expect(rec).toMatchObject({
      platform: 'bedrock',
      status: 200,
      stream: true,
      inputTokens: FAKE_USAGE.input_tokens,
      outputTokens: FAKE_USAGE.output_tokens,
      cacheReadTokens: FAKE_USAGE.cache_read_input_tokens,
    })
    // Sonnet 4.5 through a regional (us.) profile: Bedrock's 10% over the list price (424,500).
    expect(rec.costNanos).toBe(466_950)
    const outcome = r.outcomes.find((o) => o.key.id === keyId)!
    expect(outcome).toMatchObject({ requestedModel: 'claude-sonnet-4-5', upstreamModel: modelId })
    await r.relay.services.usage.flush()
    const usage = (await (
      await fetch(`${r.url}/api/v1/usage`, { headers: { 'x-api-key': key } })
    ).json()) as any
    expect(usage.usage.total).toMatchObject({ requests: 1, inputTokens: FAKE_USAGE.input_tokens })
  })

  test('the SSE a client reads is byte for byte the Messages API stream', async () => {
    await clean()
    await createBedrock('bed-bytes')
    const { key } = await r.createKey()
    bedrock.script({ kind: 'ok', text: 'byte-exact 你好 🌍', bytewise: true })
    const res = await fetch(`${r.url}/api/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ ...ask, stream: true }),
    })
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    const text = await res.text()
    const expected = bedrockEvents('claude-sonnet-4-5-20250929', 'byte-exact 你好 🌍')
      .map(({ 'amazon-bedrock-invocationMetrics': _m, ...e }) => {
        return `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`
      })
      .join('')
    expect(text).toBe(expected)
  })

  test('SDK non-streaming and count_tokens', async () => {
    await clean()
    await createBedrock('bed-json', { inferenceProfile: 'global' })
    const { key } = await r.createKey()
    const msg = await sdk(key).messages.create({ ...ask, model: 'claude-opus-4-1-20250805' })
    const modelId = 'global.anthropic.claude-opus-4-1-20250805-v1:0'
    expect(msg.content[0]).toMatchObject({ text: `Hello from Bedrock (${modelId})` })
    expect(msg.usage.input_tokens).toBe(FAKE_USAGE.input_tokens)
    expect(bedrock.received[0]).toMatchObject({ action: 'invoke', modelId })
    const counted = await sdk(key).messages.countTokens({
      model: 'claude-sonnet-4-5',
      messages: ask.messages,
    })
    expect(counted.input_tokens).toBe(42)
    expect(bedrock.received[1]).toMatchObject({
      action: 'count-tokens',
      modelId: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
    })
    const inner = JSON.parse(
      Buffer.from((bedrock.received[1]!.body as any).input.invokeModel.body, 'base64').toString(),
    )
    expect(inner.anthropic_version).toBe('bedrock-2023-05-31')
  })

  test('the admin account test runs through Bedrock and reads the stream', async () => {
    await clean()
    const id = await createBedrock('bed-probe')
    const { status, json } = await (async () => {
      const res = await r.relay.app.handle(
        new Request(`http://localhost/admin/bedrock-accounts/${id}/test`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${await r.adminToken()}`,
            'content-type': 'application/json',
          },
          body: '{}',
        }),
      )
      const text = await res.text()
      const last = text.split('event: test_complete\ndata: ')[1] ?? '{}'
      return { status: res.status, json: JSON.parse(last.trim()) }
    })()
    expect(status).toBe(200)
    expect(json).toMatchObject({ success: true, status: 200 })
    expect(json.text).toContain('Hello from Bedrock (us.anthropic.claude-haiku-4-5-20251001-v1:0)')
  })

  test('the OpenAI-compatible Claude route reaches Bedrock accounts too', async () => {
    await clean()
    await createBedrock('bed-openai')
    const { key } = await r.createKey()
    const client = new OpenAI({ baseURL: `${r.url}/openai/claude/v1`, apiKey: key, maxRetries: 0 })
    const stream = await client.chat.completions.create({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    let text = ''
    let usage: { prompt_tokens: number } | null | undefined = null
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? ''
      if (c.usage) usage = c.usage
    }
    expect(text).toBe('Hello from Bedrock (us.anthropic.claude-sonnet-4-5-20250929-v1:0)')
    expect(usage?.prompt_tokens).toBeGreaterThan(0)
    expect(bedrock.received[0]!.action).toBe('invoke-with-response-stream')
  })

  test('a Bedrock API key is sent as a Bearer token', async () => {
    await clean()
    await createBedrock('bed-key', { awsCredentials: undefined, apiKey: 'bedrock-api-key-123' })
    const { key } = await r.createKey()
    const msg = await sdk(key).messages.create(ask)
    expect(msg.content[0]).toMatchObject({ type: 'text' })
    expect(bedrock.received[0]!.principal).toBe('bedrock-api-key-123')
  })

  test('rejected signature → unauthorized and failover; throttling → short rate limit and failover', async () => {
    await clean()
    const wrong = await createBedrock('bed-wrong', {
      priority: 1,
      awsCredentials: { ...OTHER, secretAccessKey: 'not-the-secret' },
    })
    const good = await createBedrock('bed-good', { priority: 5 })
    const { key } = await r.createKey()
    const msg = await sdk(key).messages.create(ask)
    expect(msg.content[0]).toMatchObject({ type: 'text' })
    expect(bedrock.rejected.map((x) => x.exception)).toEqual(['InvalidSignatureException'])
    expect((await r.relay.services.accounts.getState(wrong)).status).toBe('unauthorized')

    await r.relay.services.accounts.remove(wrong)
    const spare = await createBedrock('bed-spare', { priority: 9 })
    bedrock.script({
      kind: 'error',
      status: 429,
      exception: 'ThrottlingException',
      message: 'Too many requests, please wait before trying again.',
    })
    const t0 = Date.now()
    const again = await sdk(key).messages.create(ask)
    expect(again.content[0]).toMatchObject({ type: 'text' })
    const st = await r.relay.services.accounts.getState(good)
    expect(st.rateLimitedUntil).toBeGreaterThan(t0 + 20_000)
    expect(st.rateLimitedUntil).toBeLessThan(Date.now() + 31_000)
    expect(st.lastError).toContain('Too many requests')
    expect(bedrock.received.at(-1)!.principal).toBe(GOOD.accessKeyId)
    expect(spare).toBeTruthy()

    // Every account throttled: the client gets a 429 in Anthropic's shape with retry-after.
    await r.relay.services.accounts.resetState(good)
    bedrock.script(
      { kind: 'error', status: 429, exception: 'ThrottlingException' },
      { kind: 'error', status: 429, exception: 'ThrottlingException' },
    )
    const limited = await fetch(`${r.url}/api/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key },
      body: JSON.stringify(ask),
    })
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(((await limited.json()) as any).error.type).toBe('rate_limit_error')
  })

  test('an exception inside the stream becomes an Anthropic error event and an error record', async () => {
    await clean()
    await createBedrock('bed-midstream')
    const { id: keyId, key } = await r.createKey()
    bedrock.script({
      kind: 'stream-exception',
      afterEvents: 3,
      exception: 'throttlingException',
      message: 'Too many tokens, please wait before trying again.',
    })
    const stream = sdk(key).messages.stream(ask)
    const err = await stream.finalMessage().then(
      () => null,
      (e: unknown) => e,
    )
    expect(String(err)).toContain('Too many tokens')
    const [rec] = await historyOf(keyId)
    expect(rec).toMatchObject({
      platform: 'bedrock',
      outcome: 'error',
      errorType: 'rate_limit_error',
    })
    expect(rec.inputTokens).toBe(FAKE_USAGE.input_tokens)
  })

  test('Claude Code through the relay to Bedrock: exit 0 and its answer printed', async () => {
    await clean()
    await createBedrock('bed-cc')
    const { id: keyId, key } = await r.createKey()
    const home = mkdtempSync(join(tmpdir(), 'cc-bedrock-'))
    const closed = await freePort()
    const proc = Bun.spawn(
      [
        join(import.meta.dir, '../../node_modules/.bin/claude'),
        '-p',
        'Say hello',
        '--model',
        'claude-sonnet-4-5',
      ],
      {
        cwd: home,
        stdin: 'ignore',
        stdout: 'pipe',
        stderr: 'pipe',
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: home,
          ANTHROPIC_BASE_URL: `${r.url}/api`,
          ANTHROPIC_API_KEY: key,
          HTTPS_PROXY: `http://127.0.0.1:${closed}`,
          HTTP_PROXY: `http://127.0.0.1:${closed}`,
          NO_PROXY: '127.0.0.1,localhost',
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
          DISABLE_AUTOUPDATER: '1',
          DISABLE_TELEMETRY: '1',
          DISABLE_ERROR_REPORTING: '1',
        },
      },
    )
    const timer = setTimeout(() => proc.kill(), 120_000)
    const [out, errText, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ])
    clearTimeout(timer)
    if (code !== 0) console.error(errText)
    expect(code).toBe(0)
    expect(out).toContain('Hello from Bedrock')
    const invokes = bedrock.received.filter((x) => x.action !== 'count-tokens')
    expect(invokes.length).toBeGreaterThan(0)
    expect(bedrock.rejected).toEqual([])
    // One history record per upstream call, all on Bedrock.
    const records = await historyOf(keyId)
    const relayed = records.filter((h) => h.endpoint === '/api/v1/messages')
    expect(relayed).toHaveLength(invokes.length)
    for (const h of relayed) expect(h.platform).toBe('bedrock')
  }, 150_000)
})
