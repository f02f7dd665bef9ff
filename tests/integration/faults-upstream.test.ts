/**
 * Fault injection: the upstream misbehaves. Refused connections, TCP resets before and during a
 * stream, stalls before the headers and mid-stream (the relay gives up after REQUEST_TIMEOUT), and
 * garbage answers (non-JSON 200, invalid SSE, an HTML 502 page, truncated JSON). For each the
 * client gets an Anthropic-shaped error (an SSE `error` event once the stream has started), the
 * history record says what happened, the key's concurrency lease is released, the relay closes its
 * upstream connection, and the next request works. (Failover to a second account on refusal, a
 * mid-stream `controller.error` cut and client disconnects are covered in failover.test.ts and
 * streaming.test.ts.)
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import {
  type FakeUpstream,
  type RawScript,
  type RawUpstream,
  startFakeUpstream,
  startRawUpstream,
} from '../fakes/fake-upstream.ts'
import { postMessages } from '../helpers/messages.ts'
import { freePort } from '../helpers/net.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

/** REQUEST_TIMEOUT of the relay under test (the upstream idle timeout). */
const IDLE_MS = 1500
/** Client-side deadline of every request. */
const DEADLINE_MS = 8000

let up: FakeUpstream
let raw: RawUpstream
let r: TestRelay

beforeAll(async () => {
  up = startFakeUpstream()
  raw = await startRawUpstream()
  r = await startRelay({ upstream: up, listen: true, env: { REQUEST_TIMEOUT: String(IDLE_MS) } })
})
afterAll(async () => {
  await r?.stop()
  raw?.stop()
  up?.stop()
})
beforeEach(async () => {
  for (const a of await r.relay.services.accounts.list())
    await r.relay.services.accounts.remove(a.id)
})

interface Seen {
  status: number
  requestId: string
  contentType: string
  text: string
  json: any
  ms: number
}

/** One request with a client-side deadline (a hang fails the test instead of timing it out). */
async function send(key: string, stream: boolean): Promise<Seen> {
  const t0 = performance.now()
  const res = await postMessages(
    r.url,
    key,
    { stream, messages: [{ role: 'user', content: 'fault' }] },
    AbortSignal.timeout(DEADLINE_MS),
  )
  const text = await res.text()
  let json: any = null
  try {
    json = JSON.parse(text)
  } catch {}
  return {
    status: res.status,
    requestId: res.headers.get('request-id') ?? '',
    contentType: res.headers.get('content-type') ?? '',
    text,
    json,
    ms: performance.now() - t0,
  }
}

/** A key limited to one request at a time: a leaked lease makes the next request fail (429). */
async function setup(scripts: RawScript[], apiUrl = raw.url) {
  raw.script(...scripts, { kind: 'ok' })
  await r.createConsoleAccount(`raw-${crypto.randomUUID().slice(0, 6)}`, { apiUrl })
  return r.createKey({ concurrencyLimit: 1 })
}

/** The client saw an Anthropic-shaped JSON error with a 5xx status. */
function expectJsonError(seen: Seen, status: number, type: string, message?: RegExp) {
  expect(seen.status).toBe(status)
  expect(seen.contentType).toContain('application/json')
  expect(seen.json).toMatchObject({ type: 'error', error: { type } })
  expect(typeof seen.json.error.message).toBe('string')
  if (message) expect(seen.json.error.message).toMatch(message)
  expect(seen.json.request_id).toBe(seen.requestId)
}

/** The client got 200, some events, then an SSE `error` event (Anthropic-shaped) and the end. */
function expectSseError(seen: Seen, type: string, message?: RegExp) {
  expect(seen.status).toBe(200)
  expect(seen.contentType).toContain('text/event-stream')
  expect(seen.text).not.toContain('event: message_stop')
  const frames = seen.text.split('\n\n').filter((f) => f.startsWith('event: error\n'))
  expect(frames.length).toBe(1)
  expect(seen.text.trimEnd().endsWith(frames[0]!.trimEnd())).toBe(true)
  const data = JSON.parse(frames[0]!.split('\ndata: ')[1]!)
  expect(data).toMatchObject({ type: 'error', error: { type } })
  if (message) expect(data.error.message).toMatch(message)
}

/** History says `outcome`, the lease is gone, the upstream socket is closed, the next call works. */
async function expectSettled(
  seen: Seen,
  key: { key: string; id: string },
  expected: { outcome: string; errorType?: string; stream: boolean },
) {
  let rec = null
  for (let i = 0; i < 100 && !rec; i++) {
    await r.relay.services.history.flush()
    rec = await r.relay.services.history.get(seen.requestId)
    if (!rec) await Bun.sleep(20)
  }
  expect(rec).toMatchObject({ outcome: expected.outcome })
  if (expected.errorType) expect(rec!.errorType).toBe(expected.errorType)
  expect(rec!.errorMessage.length).toBeGreaterThan(0)
  expect(await r.relay.stores.limits.countLeases(key.id, Date.now())).toBe(0)
  for (let i = 0; i < 50 && raw.openConnections() > 0; i++) await Bun.sleep(20)
  expect(raw.openConnections()).toBe(0)
  const next = await send(key.key, expected.stream)
  expect(next.status).toBe(200)
  if (expected.stream) expect(next.text).toContain('event: message_stop')
  else expect(next.json.content[0].text).toBe('Hello from the raw upstream')
}

describe('upstream refuses connections', () => {
  for (const stream of [false, true]) {
    test(`${stream ? 'streamed' : 'non-streamed'}: the only account's port is closed → 502 api_error, recorded as error, lease released`, async () => {
      const dead = `http://127.0.0.1:${await freePort()}`
      const key = await setup([], dead)
      const seen = await send(key.key, stream)
      expectJsonError(seen, 502, 'api_error', /Upstream connection failed/)
      expect(seen.ms).toBeLessThan(2000)
      // The account is replaced by a working one: the key is not stuck.
      for (const a of await r.relay.services.accounts.list())
        await r.relay.services.accounts.remove(a.id)
      await r.createConsoleAccount('alive', { apiUrl: raw.url })
      await expectSettled(seen, key, { outcome: 'error', errorType: 'api_error', stream })
    })
  }
})

describe('upstream resets the connection (TCP RST)', () => {
  for (const stream of [false, true]) {
    test(`${stream ? 'streamed' : 'non-streamed'}: a reset before the status line → 502 api_error`, async () => {
      const key = await setup([{ kind: 'reset', afterEvents: null }])
      const seen = await send(key.key, stream)
      expectJsonError(seen, 502, 'api_error', /Upstream connection failed/)
      await expectSettled(seen, key, { outcome: 'error', errorType: 'api_error', stream })
    })
  }

  test('a reset after 3 events of a chunked stream → the client gets the 3 events, then an SSE error event', async () => {
    const key = await setup([{ kind: 'reset', afterEvents: 3 }])
    const seen = await send(key.key, true)
    expect(seen.text).toContain('event: message_start')
    expectSseError(seen, 'api_error', /Upstream connection lost/)
    await expectSettled(seen, key, { outcome: 'error', errorType: 'api_error', stream: true })
  })

  test('a reset after 3 events of a close-delimited stream (no chunked terminator) → an SSE error event, not a silent end', async () => {
    const key = await setup([{ kind: 'reset', afterEvents: 3, closeDelimited: true }])
    const seen = await send(key.key, true)
    expect(seen.text).toContain('event: message_start')
    expectSseError(seen, 'api_error')
    await expectSettled(seen, key, { outcome: 'error', stream: true })
  })
})

describe('upstream stalls (the relay gives up after REQUEST_TIMEOUT)', () => {
  for (const stream of [false, true]) {
    test(`${stream ? 'streamed' : 'non-streamed'}: no status line ever → 504 timeout_error after the idle timeout`, async () => {
      const key = await setup([{ kind: 'stall', afterEvents: null }])
      const seen = await send(key.key, stream)
      expectJsonError(seen, 504, 'timeout_error', /timed out/)
      expect(seen.ms).toBeGreaterThan(IDLE_MS - 100)
      expect(seen.ms).toBeLessThan(IDLE_MS + 1500)
      await expectSettled(seen, key, { outcome: 'error', errorType: 'timeout_error', stream })
    })
  }

  test('streamed: silent forever after 3 events → an SSE timeout_error event after the idle timeout', async () => {
    const key = await setup([{ kind: 'stall', afterEvents: 3 }])
    const seen = await send(key.key, true)
    expect(seen.text).toContain('event: message_start')
    expectSseError(seen, 'timeout_error', /idle/)
    expect(seen.ms).toBeGreaterThan(IDLE_MS - 100)
    expect(seen.ms).toBeLessThan(IDLE_MS + 1500)
    await expectSettled(seen, key, { outcome: 'error', errorType: 'timeout_error', stream: true })
  })

  test('non-streamed: headers and half the JSON body, then silence → a 5xx error after the idle timeout', async () => {
    const key = await setup([{ kind: 'stall', afterEvents: 0 }])
    const seen = await send(key.key, false)
    expect(seen.status).toBeGreaterThanOrEqual(500)
    expect(seen.json).toMatchObject({ type: 'error', error: { type: expect.any(String) } })
    expect(seen.ms).toBeLessThan(IDLE_MS + 1500)
    await expectSettled(seen, key, { outcome: 'error', stream: false })
  })
})

describe('upstream answers garbage', () => {
  test('an HTML 502 page → 502 with an Anthropic-shaped api_error', async () => {
    const html = '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>'
    const key = await setup([])
    for (const stream of [false, true]) {
      raw.script(
        { kind: 'reply', status: 502, contentType: 'text/html', body: html },
        { kind: 'ok' },
      )
      const seen = await send(key.key, stream)
      expectJsonError(seen, 502, 'api_error', /502 Bad Gateway/)
      await expectSettled(seen, key, { outcome: 'error', stream })
    }
  })

  test('200 with a JSON content type and a body that is not JSON → 502 api_error, not a 200 with garbage', async () => {
    const key = await setup([
      { kind: 'reply', status: 200, contentType: 'application/json', body: 'upstream says hi' },
    ])
    const seen = await send(key.key, false)
    expectJsonError(seen, 502, 'api_error')
    await expectSettled(seen, key, { outcome: 'error', stream: false })
  })

  test('200 with a body that is not JSON fails over to the next account before the client sees anything', async () => {
    const key = await setup([
      { kind: 'reply', status: 200, contentType: 'application/json', body: 'upstream says hi' },
    ])
    // A second, healthy account on the regular fake upstream, tried after the raw one.
    await r.createConsoleAccount('healthy-after-garbage', { priority: 90 })
    const seen = await send(key.key, false)
    expect(seen.status).toBe(200)
    expect(seen.json.content[0].text).toContain('healthy-after-garbage')
    await r.relay.services.history.flush()
    const rec = await r.relay.services.history.get(seen.requestId)
    expect(rec).toMatchObject({ outcome: 'success', tries: 2 })
    expect(rec!.attempts[0]!.error).toMatch(/not valid JSON/)
  })

  test('200 with truncated JSON (the connection closes before content-length bytes) → 502 api_error', async () => {
    const key = await setup([
      {
        kind: 'truncated',
        contentType: 'application/json',
        body: '{"id":"msg_1","type":"mes',
        missing: 200,
      },
    ])
    const seen = await send(key.key, false)
    expectJsonError(seen, 502, 'api_error')
    await expectSettled(seen, key, { outcome: 'error', stream: false })
  })

  test('200 with JSON cut short but a matching content-length → 502 api_error', async () => {
    const key = await setup([
      {
        kind: 'reply',
        status: 200,
        contentType: 'application/json',
        body: '{"id":"msg_1","type":"mes',
      },
    ])
    const seen = await send(key.key, false)
    expectJsonError(seen, 502, 'api_error')
    await expectSettled(seen, key, { outcome: 'error', stream: false })
  })

  test('200 text/event-stream that is not SSE → the stream ends with an SSE error event, recorded as error', async () => {
    const key = await setup([
      {
        kind: 'reply',
        status: 200,
        contentType: 'text/event-stream',
        body: 'this is not a server-sent event stream\n\n{"nor":"this"}\n\n',
      },
    ])
    const seen = await send(key.key, true)
    expectSseError(seen, 'api_error')
    await expectSettled(seen, key, { outcome: 'error', stream: true })
  })
})
