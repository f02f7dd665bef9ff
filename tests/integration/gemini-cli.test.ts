/**
 * The real Gemini CLI through the relay, set up as the old system's users do:
 * API-key mode (`GEMINI_API_KEY` = the relay key, `GOOGLE_GEMINI_BASE_URL` = the relay's
 * `/gemini`, `selectedType: gemini-api-key` in its settings) against a Gemini API-key account on
 * the fake Generative Language API. Exit 0, the fake's answer printed, and exactly one history
 * record per upstream call.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type FakeGemini, startFakeGemini } from '../fakes/fake-gemini.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { runGeminiCli } from '../helpers/gemini-cli.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let g: FakeGemini
let r: TestRelay

beforeAll(async () => {
  up = startFakeUpstream()
  g = startFakeGemini()
  r = await startRelay({ upstream: up, listen: true, idleTimeout: 120 })
})
afterAll(async () => {
  await r.stop()
  g.stop()
  up.stop()
})

describe('Gemini CLI → relay', () => {
  test('API-key mode: gemini -p answers, exit 0, one history record per upstream call', async () => {
    const res = await r.admin('POST', '/admin/gemini-api-accounts', {
      name: 'cli-api',
      baseUrl: g.url,
      apiKey: 'AIza-cli-api-0123456789abcdefghij',
    })
    expect(res.status).toBe(200)
    // A key that only Gemini CLI may use: the CLI's user agent passes the client rule.
    const { key } = await r.createKey({
      permissions: 'gemini',
      enableClientRestriction: true,
      allowedClients: ['gemini_cli'],
    })
    g.reset()
    const before = r.outcomes.length
    const run = await runGeminiCli(
      'Say hello',
      { GEMINI_API_KEY: key, GOOGLE_GEMINI_BASE_URL: `${r.url}/gemini` },
      { security: { auth: { selectedType: 'gemini-api-key' } } },
    )
    if (run.code !== 0) console.error(run.stderr)
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Hello from AIza-cli-a')
    const calls = g.received.filter((x) => /:(generateContent|streamGenerateContent)$/.test(x.path))
    expect(calls.length).toBeGreaterThan(0)
    for (const c of calls) {
      expect(c.credential).toBe('AIza-cli-api-0123456789abcdefghij')
      // The CLI's own user agent reaches Google (and a key's gemini_cli client rule matches it).
      expect(c.headers['user-agent']).toMatch(/^GeminiCLI(-[\w-]+)?\/\d+/)
    }
    const outcomes = (await r.waitOutcomes(before + calls.length)).slice(before)
    const relayed = outcomes.filter((o) => o.billable)
    expect(relayed.length).toBe(calls.length)
    expect(relayed.every((o) => o.status === 200 && o.outcome === 'success')).toBe(true)
    expect(relayed.some((o) => o.stream)).toBe(true)
    await r.relay.services.history.flush()
    const list = await r.admin('GET', '/admin/request-history?limit=50')
    const ids = new Set(relayed.map((o) => o.requestId))
    const records = list.json.data.history as { id: string }[]
    expect(records.filter((x) => ids.has(x.id)).length).toBe(calls.length)
  }, 150_000)
})
