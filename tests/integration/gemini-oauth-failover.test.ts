/**
 * Quota and rate limits on Google-login (Code Assist) accounts: a 429 `RESOURCE_EXHAUSTED` as Code
 * Assist sends it (ErrorInfo, a fractional `RetryInfo` delay, "Your quota will reset after …" in
 * the message) moves the request to the next Google-login account in the same request, on the
 * standard routes (`@google/genai`) and on the Code Assist stream route the Gemini CLI uses; the
 * account's admin view shows when it is back, it is skipped until then, and it serves again by
 * itself once the reset has passed (the relay's clock moved, no admin action).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { GoogleGenAI } from '@google/genai'
import type { FakeGemini } from '../fakes/fake-gemini.ts'
import { type GeminiRig, resetGemini, startGeminiRig } from '../helpers/gemini-rig.ts'
import type { TestRelay } from '../helpers/relay.ts'

let rig: GeminiRig
let g: FakeGemini
let r: TestRelay
let key: string
let acctA: string
let acctB: string
let offset = 0
const clock = { now: () => Date.now() + offset }
const MODEL = 'gemini-2.5-pro'
const TOKEN_A = 'gla-a-access-0123456789abcdef'
const TOKEN_B = 'gla-b-access-0123456789abcdef'

/** A 429 as Code Assist answers it when a Google account's quota is used up. */
function codeAssistQuota(seconds: number, withRetryInfo = true) {
  const details: Record<string, unknown>[] = [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'RATE_LIMIT_EXCEEDED',
      domain: 'cloudcode-pa.googleapis.com',
      metadata: { uiMessage: 'true', model: MODEL },
    },
  ]
  if (withRetryInfo)
    details.push({
      '@type': 'type.googleapis.com/google.rpc.RetryInfo',
      retryDelay: `${seconds - 1}.177692s`,
    })
  return {
    error: {
      code: 429,
      message: `You have exhausted your capacity on this model. Your quota will reset after ${seconds}s.`,
      status: 'RESOURCE_EXHAUSTED',
      details,
    },
  }
}

async function createGoogleAccount(name: string, token: string, priority: number) {
  const res = await r.admin('POST', '/admin/gemini-accounts', {
    name,
    priority,
    codeAssistEndpoint: g.url,
    projectId: `project-${name}`,
    geminiOauth: {
      access_token: token,
      refresh_token: `${name}-refresh-0123456789abcdef`,
      expiry_date: Date.now() + 24 * 3_600_000,
    },
  })
  if (res.status !== 200) throw new Error(JSON.stringify(res.json))
  return res.json.data.id as string
}

const genai = () => new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: `${r.url}/gemini` } })
const credentials = () =>
  g.received.filter((x) => x.path.startsWith('/v1internal:')).map((x) => x.credential)
const viewOf = async (id: string) =>
  (await r.admin('GET', `/admin/gemini-accounts/${id}`)).json.data

beforeAll(async () => {
  rig = await startGeminiRig({ clock })
  ;({ g, r } = rig)
  acctA = await createGoogleAccount('gla-a', TOKEN_A, 10)
  acctB = await createGoogleAccount('gla-b', TOKEN_B, 20)
  ;({ key } = await r.createKey({ permissions: 'gemini' }))
})
afterAll(() => rig.stop())
beforeEach(async () => {
  offset = 0
  await resetGemini(rig, [acctA, acctB])
})

describe('429 RESOURCE_EXHAUSTED on Google-login accounts', () => {
  test('@google/genai: the next Google-login account answers, the first rests until its reset, then serves again', async () => {
    g.script({ kind: 'error', status: 429, body: codeAssistQuota(90) })
    const t0 = clock.now()
    const res = await genai().models.generateContent({ model: MODEL, contents: 'hi' })
    expect(res.text).toBe(`Hello from ${TOKEN_B.slice(0, 10)}`)
    expect(credentials()).toEqual([TOKEN_A, TOKEN_B])
    await r.settle()
    const o = r.outcomes.at(-1)!
    expect(o).toMatchObject({ outcome: 'success', accountId: acctB, platform: 'gemini-oauth' })
    expect(o.attempts.map((a) => [a.accountId, a.status])).toEqual([
      [acctA, 429],
      [acctB, 200],
    ])

    // The reset is RetryInfo's 89.18 s, rounded up; the admin view says when it is back.
    const a = await viewOf(acctA)
    expect(a.status).toBe('rate_limited')
    expect(a.state.rateLimitedUntil).toBeGreaterThanOrEqual(t0 + 89_000)
    expect(a.state.rateLimitedUntil).toBeLessThan(t0 + 100_000)
    expect(Date.parse(a.recoversAt)).toBe(a.state.rateLimitedUntil)

    // Skipped while it rests: Code Assist is not asked again.
    g.reset()
    await genai().models.generateContent({ model: MODEL, contents: 'again' })
    expect(credentials()).toEqual([TOKEN_B])

    // Back by itself once the reset has passed (priority puts it first again).
    offset = 100_000
    g.reset()
    const back = await genai().models.generateContent({ model: MODEL, contents: 'later' })
    expect(back.text).toBe(`Hello from ${TOKEN_A.slice(0, 10)}`)
    expect(credentials()).toEqual([TOKEN_A])
    expect((await viewOf(acctA)).status).toBe('active')
  })

  test('the Code Assist stream route (the Gemini CLI with Google login) fails over the same way', async () => {
    g.script({ kind: 'error', status: 429, body: codeAssistQuota(30) })
    const res = await fetch(`${r.url}/gemini/v1internal:streamGenerateContent?alt=sse`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: MODEL,
        project: 'whatever-the-cli-thinks',
        user_prompt_id: 'p-1',
        request: { contents: [{ role: 'user', parts: [{ text: 'stream' }] }] },
      }),
    })
    expect(res.status).toBe(200)
    const text = await res.text()
    // Code Assist's own framing, streamed from the second account.
    expect(text).toContain('"response":{"candidates"')
    expect(text).toContain(TOKEN_B.slice(0, 10))
    expect(credentials()).toEqual([TOKEN_A, TOKEN_B])
    const sent = g.received.at(-1)!
    expect(sent.body.project).toBe('project-gla-b')
    expect((await viewOf(acctA)).status).toBe('rate_limited')
  })

  test('a quota 429 whose delay is only in the message rests for that delay, not the default', async () => {
    g.script({ kind: 'error', status: 429, body: codeAssistQuota(3600, false) })
    const t0 = clock.now()
    await genai().models.generateContent({ model: MODEL, contents: 'hi' })
    expect(credentials()).toEqual([TOKEN_A, TOKEN_B])
    const a = await viewOf(acctA)
    expect(a.state.rateLimitedUntil).toBeGreaterThanOrEqual(t0 + 3_600_000)
    expect(a.state.rateLimitedUntil).toBeLessThan(t0 + 3_610_000)
  })

  test('both exhausted: Google 429 with retry-after until the first is back, then served again', async () => {
    g.script(
      { kind: 'error', status: 429, body: codeAssistQuota(120) },
      { kind: 'error', status: 429, body: codeAssistQuota(60) },
    )
    const res = await fetch(`${r.url}/gemini/v1beta/models/${MODEL}:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }),
    })
    expect(res.status).toBe(429)
    const retry = Number(res.headers.get('retry-after'))
    expect(retry).toBeGreaterThan(0)
    expect(retry).toBeLessThanOrEqual(60)
    const body = (await res.json()) as { error: { status: string } }
    expect(body.error.status).toBe('RESOURCE_EXHAUSTED')
    // Asked again at once, the relay answers itself without calling Code Assist.
    g.reset()
    const again = await fetch(`${r.url}/gemini/v1beta/models/${MODEL}:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }),
    })
    expect(again.status).toBe(429)
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(credentials()).toEqual([])
    await again.text()
    offset = 61_000
    const ok = await genai().models.generateContent({ model: MODEL, contents: 'later' })
    expect(ok.text).toBe(`Hello from ${TOKEN_B.slice(0, 10)}`)
  })
})
