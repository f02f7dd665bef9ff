/**
 * A stream that stays silent for 60 seconds (a model thinking) must survive: the server's idle
 * timeout (set to 10 s here) is lifted for streaming requests, and the relay's own idle timeout
 * is REQUEST_TIMEOUT (10 minutes by default).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let r: TestRelay

beforeAll(async () => {
  up = startFakeUpstream()
  r = await startRelay({ upstream: up, listen: true, idleTimeout: 10 })
})
afterAll(async () => {
  await r.stop()
  up.stop()
})

test(
  'a stream with a 60-second silence between events survives',
  async () => {
    await r.createConsoleAccount('thinker')
    const { key } = await r.createKey()
    up.script('*', { kind: 'silence', afterEvents: 3, ms: 60_000 })
    const t0 = performance.now()
    const res = await fetch(`${r.url}/api/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key },
      body: JSON.stringify({
        model: 'claude-sonnet-4-6',
        max_tokens: 10,
        stream: true,
        messages: [{ role: 'user', content: 'think' }],
      }),
    })
    const text = await res.text()
    expect(performance.now() - t0).toBeGreaterThan(59_000)
    expect(text).toContain('event: message_stop')
    expect(text).not.toContain('event: error')
    await r.settle()
    expect(r.outcomes.at(-1)?.outcome).toBe('success')
  },
  { timeout: 90_000 },
)
