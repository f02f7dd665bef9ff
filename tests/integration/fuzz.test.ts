/**
 * Fuzz of the client routes with a seeded PRNG (FUZZ_SEED=<n> replays a run; the seed is printed
 * and named in every failure). A few thousand requests, with and without a valid key: random
 * bytes, random JSON, mutations of valid requests (types swapped, fields removed, huge numbers,
 * NaN-like strings, 10,000-deep arrays, 1e6-element arrays, huge strings, prototype-pollution
 * keys), bad UTF-8, wrong content types; raw TCP for CR/LF header injection and oversized
 * headers; bodies over MAX_BODY_SIZE. Never a 5xx, every JSON error Anthropic-shaped (OpenAI-shaped
 * on the OpenAI routes), nothing logged at error level, and the relay still healthy afterwards.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { connect } from 'node:net'
import { loadConfig } from '../../src/config/load.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import {
  BAD_UTF8,
  CONTENT_TYPES,
  paths,
  prng,
  type Rng,
  randomBytes,
  randomValue,
  setAt,
  WEIRD_NUMBERS,
  WEIRD_STRINGS,
} from '../helpers/fuzz.ts'
import { messagesRequest } from '../helpers/messages.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 4000)

function validMessages(rng: Rng): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: rng.pick(['claude-sonnet-4-6', 'claude-haiku-4-5', 'claude-opus-4-5']),
    max_tokens: 16,
    messages: [{ role: 'user', content: 'hello' }],
  }
  if (rng.chance(0.3)) body.stream = true
  if (rng.chance(0.3)) body.system = [{ type: 'text', text: 'be brief' }]
  if (rng.chance(0.2)) body.metadata = { user_id: 'user_abc_account__session_123' }
  if (rng.chance(0.2)) body.temperature = 0.5
  if (rng.chance(0.1))
    body.tools = [{ name: 't', description: 'd', input_schema: { type: 'object' } }]
  return body
}

function validChat(rng: Rng): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: rng.pick(['claude-sonnet-4-6', 'claude-opus-4-6', 'claude-haiku-4-5']),
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hello' },
    ],
  }
  if (rng.chance(0.3)) body.stream = true
  if (rng.chance(0.3)) body.max_tokens = 16
  if (rng.chance(0.2)) body.tools = [{ type: 'function', function: { name: 'f', parameters: {} } }]
  return body
}

const DEEP = `${'['.repeat(10_000)}${']'.repeat(10_000)}`
const HUGE_ARRAY = `[${new Array(1_000_000).fill('0').join(',')}]`
const HUGE_STRING = JSON.stringify('a'.repeat(2 * 1024 * 1024))

/** A mutated valid body as text (some mutations are only expressible as text). */
function mutate(rng: Rng, body: Record<string, unknown>): string {
  const b = structuredClone(body)
  const all = paths(b)
  const n = 1 + rng.int(3)
  for (let i = 0; i < n; i++) {
    const p = rng.pick(all)
    switch (rng.int(4)) {
      case 0:
        setAt(b, p, undefined, true)
        break
      case 1:
        setAt(b, p, randomValue(rng))
        break
      case 2:
        setAt(b, p, rng.pick(WEIRD_NUMBERS))
        break
      default:
        setAt(b, p, rng.pick(WEIRD_STRINGS))
    }
  }
  const text = JSON.stringify(b)
  // Text-level mutations: rare and expensive ones.
  const r = rng.int(40)
  if (r === 0) return text.replace(/"max_tokens":\d+/, '"max_tokens":1e400')
  if (r === 1) return text.replace(/"messages":/, `"messages":${DEEP},"x":`)
  if (r === 2) return text.replace(/"content":"hello"/, `"content":${DEEP}`)
  if (r === 3) return text.replace(/"content":"hello"/, `"content":${HUGE_ARRAY}`)
  if (r === 4) return text.replace(/"content":"hello"/, `"content":${HUGE_STRING}`)
  if (r === 5)
    return text.replace(
      /^\{/,
      '{"__proto__":{"polluted":true,"isAdmin":true},"constructor":{"prototype":{"polluted":true}},',
    )
  if (r === 6) return text.replace(/"model":/, '"model":"a","model":')
  if (r === 7) return text.slice(0, rng.int(text.length))
  if (r === 8) return `${text}garbage`
  if (r === 9) return text.replace(/hello/, '\\ud800\\udfff\\u0000')
  return text
}

interface Shot {
  method: string
  path: string
  headers: Record<string, string>
  body?: Uint8Array | string
  what: string
}

const POST_PATHS = [
  '/api/v1/messages',
  '/claude/v1/messages',
  '/v1/messages',
  '/api/v1/messages/count_tokens',
  '/v1/messages/count_tokens',
]
const CHAT_PATHS = ['/openai/claude/v1/chat/completions', '/api/v1/chat/completions']
const GET_PATHS = [
  '/api/v1/key-info',
  '/api/v1/usage',
  '/claude/v1/usage',
  '/api/v1/request-history',
  '/api/v1/request-stats',
  '/api/v1/models',
  '/claude/v1/me',
  '/openai/v1/models',
]

function isOpenAI(path: string) {
  return path.includes('chat/completions') || path.startsWith('/openai/')
}

function randomQuery(rng: Rng): string {
  const keys = [
    'limit',
    'offset',
    'page',
    'pageSize',
    'date',
    'from',
    'to',
    'model',
    'status',
    'sort',
    'q',
  ]
  const vals = [
    '-1',
    '0',
    '1e99',
    'NaN',
    'abc',
    '2024-13-45',
    '2024-02-31',
    '__proto__',
    'constructor',
    'toString',
    'success',
    '9999999999999999999',
    '',
    '%00',
    '../x',
    '[]',
    '{}',
    'x'.repeat(3000),
  ]
  const parts: string[] = []
  for (let i = rng.int(4); i > 0; i--)
    parts.push(`${rng.pick(keys)}=${encodeURIComponent(rng.pick(vals))}`)
  if (rng.chance(0.1)) parts.push('limit=1&limit=2')
  return parts.length ? `?${parts.join('&')}` : ''
}

function shot(rng: Rng, keys: { valid: string; other: string }): Shot {
  const keyChoice = rng.int(10)
  const headers: Record<string, string> = {}
  let keyLabel = 'none'
  if (keyChoice < 5) {
    headers[rng.chance(0.7) ? 'x-api-key' : 'authorization'] =
      keyChoice < 4 ? keys.valid : keys.other
    if (headers.authorization) headers.authorization = `Bearer ${headers.authorization}`
    keyLabel = keyChoice < 4 ? 'valid' : 'other'
  } else if (keyChoice === 5) {
    headers['x-api-key'] = `${keys.valid.slice(0, -1)}${keys.valid.endsWith('a') ? 'b' : 'a'}`
    keyLabel = 'typo'
  } else if (keyChoice === 6) {
    headers['x-api-key'] = rng.pick(['', 'cr_', 'Bearer', 'cr_' + 'f'.repeat(8000), 'é\u00ff'])
    keyLabel = 'garbage'
  } else if (keyChoice === 7) {
    headers.authorization = rng.pick([
      'Bearer',
      'Basic Zm9vOmJhcg==',
      'Bearer  ',
      `bearer ${keys.valid}`,
    ])
    keyLabel = 'auth-garbage'
  }
  if (rng.chance(0.1)) headers['anthropic-version'] = rng.pick(['2023-06-01', '', 'x'.repeat(200)])
  if (rng.chance(0.1))
    headers['anthropic-beta'] = rng.pick(['a,b,,c', 'oauth-2025-04-20', '\u00ff'])
  if (rng.chance(0.05)) headers['user-agent'] = rng.pick(['claude-cli/1.0.0 (external, cli)', ''])

  const kind = rng.int(100)
  if (kind < 18) {
    const path = rng.pick(GET_PATHS) + randomQuery(rng)
    return { method: 'GET', path, headers, what: `GET ${path.slice(0, 80)} key=${keyLabel}` }
  }
  if (kind < 24) {
    const id = rng.pick([
      'req_nope',
      '..%2F..%2Fadmin',
      '%00',
      'x'.repeat(5000),
      '%E2%82',
      '__proto__',
      'constructor',
      encodeURIComponent('"; DROP TABLE history; --'),
    ])
    const path = `${rng.pick(['/api', '/claude'])}/v1/request-history/${id}`
    return { method: 'GET', path, headers, what: `GET history/${id.slice(0, 40)} key=${keyLabel}` }
  }
  const chat = kind >= 85
  const path = chat ? rng.pick(CHAT_PATHS) : rng.pick(POST_PATHS)
  const ct = rng.pick(CONTENT_TYPES)
  if (ct) headers['content-type'] = ct
  const form = rng.int(10)
  let body: Uint8Array | string
  let label: string
  if (form === 0) {
    body = randomBytes(rng, rng.int(2048))
    label = 'random bytes'
  } else if (form === 1) {
    body = rng.pick(BAD_UTF8)
    label = 'bad utf-8'
  } else if (form === 2) {
    body = JSON.stringify(randomValue(rng))
    label = 'random json'
  } else if (form === 3) {
    body = rng.pick(['', ' ', 'null', '[]', '{}', '"x"', '1', 'true', '{"model":null}'])
    label = `literal ${String(body)}`
  } else {
    body = mutate(rng, chat ? validChat(rng) : validMessages(rng))
    label = 'mutated valid'
  }
  if (form >= 7 && rng.chance(0.6)) {
    body = JSON.stringify(chat ? validChat(rng) : validMessages(rng))
    label = 'valid'
  }
  return {
    method: 'POST',
    path,
    headers,
    body,
    what: `POST ${path} key=${keyLabel} ct=${ct || '-'} body=${label} (${typeof body === 'string' ? body.length : body.byteLength} bytes)`,
  }
}

/** Problems with a response, or null. */
async function judge(res: Response, path: string): Promise<string | null> {
  const status = res.status
  const type = res.headers.get('content-type') ?? ''
  const text = await res.text()
  if (status >= 500) return `status ${status}: ${text.slice(0, 300)}`
  if (status >= 400 && type.includes('json')) {
    let j: any
    try {
      j = JSON.parse(text)
    } catch {
      return `status ${status} with an unparsable JSON body: ${text.slice(0, 200)}`
    }
    const anthropic =
      j?.type === 'error' &&
      typeof j.error?.type === 'string' &&
      typeof j.error?.message === 'string'
    const openai =
      isOpenAI(path) && typeof j?.error?.message === 'string' && typeof j.error?.type === 'string'
    // One history record's 404/403 keep the old system's `{error, message}` for its scripts.
    const seed =
      /\/v1\/request-history\/./.test(path) &&
      (status === 404 || status === 403) &&
      typeof j?.error === 'string' &&
      typeof j.message === 'string'
    if (!anthropic && !openai && !seed)
      return `status ${status}, error body not Anthropic-shaped: ${text.slice(0, 200)}`
  }
  return null
}

describe(`fuzz of the client routes (FUZZ_SEED=${SEED})`, () => {
  let up: FakeUpstream
  let r: TestRelay
  let keys: { valid: string; other: string }
  const errorLines: string[] = []
  const originalError = console.error

  beforeAll(async () => {
    console.log(`fuzz seed: ${SEED} (replay with FUZZ_SEED=${SEED})`)
    // The test relay logs through console.error at level error: every such line is a finding.
    console.error = (...args: unknown[]) => {
      errorLines.push(args.map(String).join(' '))
    }
    up = startFakeUpstream()
    r = await startRelay({ upstream: up, listen: true })
    await r.createConsoleAccount('fuzz-account')
    keys = { valid: (await r.createKey()).key, other: (await r.createKey()).key }
  })
  afterAll(async () => {
    console.error = originalError
    await r.stop()
    up.stop()
  })

  test(`${ROUNDS} random requests: no 5xx, Anthropic-shaped errors, nothing logged as an error`, async () => {
    const rng = prng(SEED)
    const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort()
    const failures: string[] = []
    const statuses = new Map<number, number>()
    const t0 = performance.now()
    for (let i = 0; i < ROUNDS && failures.length < 10; i++) {
      const s = shot(rng, keys)
      let res: Response
      try {
        const init: RequestInit = {
          method: s.method,
          headers: s.headers,
          body: s.body as RequestInit['body'],
        }
        // Most go in-process (fast); every 8th through the real socket and Bun's HTTP parser.
        res =
          i % 8 === 0
            ? await fetch(`${r.url}${s.path}`, init)
            : await r.handle(new Request(`http://localhost${s.path}`, init))
      } catch (err) {
        failures.push(`#${i} ${s.what}: threw ${err instanceof Error ? err.message : String(err)}`)
        continue
      }
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
      const problem = await judge(res, s.path)
      if (problem) {
        const sent = typeof s.body === 'string' ? s.body.slice(0, 300) : ''
        failures.push(`#${i} ${s.what}: ${problem}${sent ? `\n    body: ${sent}` : ''}`)
      }
    }
    const ms = Math.round(performance.now() - t0)
    console.log(
      `fuzz: ${ROUNDS} requests in ${ms} ms, statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    )
    // Stats over the recorded history (models like "__proto__" included) must not pollute either.
    await r.relay.services.history.flush()
    const stats = await r.handle(
      new Request('http://localhost/api/v1/request-stats', {
        headers: { 'x-api-key': keys.valid },
      }),
    )
    expect(stats.status).toBe(200)
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoBefore)
    expect(({} as Record<string, unknown>).requests).toBeUndefined()
    if (failures.length > 0)
      throw new Error(
        `FUZZ_SEED=${SEED}: ${failures.length} failure(s)\n${failures.join('\n')}\nlogged:\n${errorLines.join('\n').slice(0, 3000)}`,
      )
    expect(statuses.get(200) ?? 0).toBeGreaterThan(50)
  }, 60_000)

  test('CR/LF header injection and request smuggling over raw TCP are refused cleanly', async () => {
    const { port } = new URL(r.url)
    const body = JSON.stringify({
      model: 'claude-sonnet-4-6',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'hi' }],
    })
    const raw = (head: string, payload = body) =>
      `${head}\r\nhost: x\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`
    const cases = [
      raw(
        `POST /api/v1/messages HTTP/1.1\r\nx-api-key: ${keys.valid}\rset-cookie: pwned=1\r\ncontent-type: application/json`,
      ),
      raw(
        `POST /api/v1/messages HTTP/1.1\r\nx-api-key: ${keys.valid}\nx-injected: pwned\r\ncontent-type: application/json`,
      ),
      raw(
        `POST /api/v1/messages HTTP/1.1\r\nx-api-key: ${keys.valid}\u0000pwned\r\ncontent-type: application/json`,
      ),
      raw(
        `POST /api/v1/messages HTTP/1.1\r\nx-api-key: ${keys.valid}\r\n folded: pwned\r\ncontent-type: application/json`,
      ),
      raw(
        `POST /api/v1/messages HTTP/1.1\r\ntransfer-encoding: chunked\r\nx-api-key: ${keys.valid}`,
      ),
      `POST /api/v1/messages HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\ncontent-length: 50\r\n\r\nhello`,
      `GET /api/v1/key-info?x=1\r\nset-cookie:pwned HTTP/1.1\r\nhost: x\r\n\r\n`,
      `GET /api/v1/key-info HTTP/1.1\r\nhost: x\r\nx-api-key: a\r\rb\r\n\r\n`,
      `POST /api/v1/messages HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`,
    ]
    for (const [i, c] of cases.entries()) {
      const reply = await rawExchange(Number(port), c)
      const head = reply.split('\r\n\r\n')[0] ?? ''
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)
      // 505 is Bun's HTTP parser refusing a request line without a version, not a crash.
      const crashed = status >= 500 && status !== 505
      expect({ i, crashed, reply: crashed ? reply : '' }).toEqual({
        i,
        crashed: false,
        reply: '',
      })
      expect({ i, injected: /pwned|x-injected|folded/i.test(head) }).toEqual({ i, injected: false })
    }
  })

  test('oversized request headers get 431 (or a clean close), never a crash', async () => {
    const { port } = new URL(r.url)
    for (const size of [64 * 1024, 256 * 1024, 1024 * 1024]) {
      const reply = await rawExchange(
        Number(port),
        `GET /api/v1/key-info HTTP/1.1\r\nhost: x\r\nx-api-key: ${keys.valid}\r\nx-big: ${'a'.repeat(size)}\r\n\r\n`,
      )
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0)
      expect({ size, ok: status === 0 || status === 431 || status === 400 }).toEqual({
        size,
        ok: true,
      })
    }
    const many = Array.from({ length: 2000 }, (_, i) => `x-h${i}: ${'v'.repeat(40)}`).join('\r\n')
    const reply = await rawExchange(
      Number(port),
      `GET /api/v1/key-info HTTP/1.1\r\nhost: x\r\n${many}\r\n\r\n`,
    )
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0)
    expect(status === 0 || status === 431 || status === 400).toBe(true)
  })

  test('the relay is healthy afterwards: /health 200, a normal request 200, no error logged', async () => {
    const health = await fetch(`${r.url}/health`)
    expect(health.status).toBe(200)
    const res = await fetch(`${r.url}/api/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': keys.valid, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'claude-sonnet-4-6',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    })
    expect(res.status).toBe(200)
    expect(((await res.json()) as any).type).toBe('message')
    expect(errorLines.filter((l) => l.includes('"level":"error"'))).toEqual([])
  })
})

describe('MAX_BODY_SIZE', () => {
  let up: FakeUpstream
  beforeAll(() => {
    up = startFakeUpstream()
  })
  afterAll(() => up.stop())

  test("defaults to Anthropic's 32 MB request limit", () => {
    expect(loadConfig({}).MAX_BODY_SIZE).toBe(32 * 1024 * 1024)
  })

  test('a body over the default limit gets an Anthropic-shaped 413; one just under is relayed', async () => {
    const r = await startRelay({ upstream: up })
    try {
      await r.createConsoleAccount('size-default')
      const { key } = await r.createKey()
      const prefix =
        '{"model":"claude-sonnet-4-6","max_tokens":5,"messages":[{"role":"user","content":"'
      const suffix = '"}]}'
      const sized = (n: number) => prefix + 'a'.repeat(n - prefix.length - suffix.length) + suffix
      const send = (text: string) =>
        r.handle(
          new Request('http://localhost/api/v1/messages', {
            method: 'POST',
            headers: { 'x-api-key': key, 'content-type': 'application/json' },
            body: text,
          }),
        )
      const over = await send(sized(32 * 1024 * 1024 + 1))
      expect(over.status).toBe(413)
      expect(await over.json()).toMatchObject({
        type: 'error',
        error: { type: 'request_too_large' },
      })
      const under = await send(sized(32 * 1024 * 1024 - 16))
      expect(under.status).toBe(200)
      await under.text()
    } finally {
      await r.stop()
    }
  }, 30_000)

  test('a configured MAX_BODY_SIZE applies to the Messages, count_tokens and OpenAI routes', async () => {
    const r = await startRelay({ upstream: up, env: { MAX_BODY_SIZE: '4096' } })
    try {
      await r.createConsoleAccount('size-small')
      const { key } = await r.createKey()
      const big = JSON.stringify({
        model: 'claude-sonnet-4-6',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'a'.repeat(5000) }],
      })
      for (const path of [
        '/api/v1/messages',
        '/v1/messages/count_tokens',
        '/openai/claude/v1/chat/completions',
      ]) {
        const res = await r.handle(
          new Request(`http://localhost${path}`, {
            method: 'POST',
            headers: { 'x-api-key': key, 'content-type': 'application/json' },
            body: big,
          }),
        )
        expect({ path, status: res.status }).toEqual({ path, status: 413 })
        const j = (await res.json()) as any
        expect(typeof j.error.message).toBe('string')
        if (!path.includes('chat'))
          expect(j).toMatchObject({ type: 'error', error: { type: 'request_too_large' } })
      }
      const small = await r.handle(messagesRequest(key, { max_tokens: 5 }))
      expect(small.status).toBe(200)
    } finally {
      await r.stop()
    }
  })
})

/** Writes `text` to a fresh connection and collects the reply until close or a short quiet time. */
function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    const chunks: Buffer[] = []
    let timer: ReturnType<typeof setTimeout> | undefined
    const finish = () => {
      clearTimeout(timer)
      socket.destroy()
      resolve(Buffer.concat(chunks).toString('latin1'))
    }
    const arm = (ms: number) => {
      clearTimeout(timer)
      timer = setTimeout(finish, ms)
    }
    socket.on('connect', () => {
      socket.write(text, 'latin1')
      arm(2000)
    })
    socket.on('data', (c: Buffer) => {
      chunks.push(c)
      arm(300)
    })
    socket.on('error', finish)
    socket.on('close', finish)
  })
}
