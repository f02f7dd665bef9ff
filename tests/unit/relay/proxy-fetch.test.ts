/**
 * createProxyFetch against local proxies on 127.0.0.1: an HTTP proxy (forward and CONNECT) and a
 * SOCKS5 server, both requiring credentials, in front of a Bun.serve target.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo, Server, Socket } from 'node:net'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ProxySettings } from '../../../src/relay/proxy-fetch.ts'
import { createProxyFetch, proxyUrl } from '../../../src/relay/proxy-fetch.ts'

const USER = 'us@er'
const PASS = 'pa:ss/w#rd'

interface StreamRecord {
  sent: number[]
  cancelled: boolean
}

const streams = new Map<string, StreamRecord>()
const httpProxyStats = { requests: 0, connects: 0 }
const socksStats = { connections: 0, open: 0, hosts: [] as string[] }
let target: ReturnType<typeof Bun.serve>
let tlsTarget: ReturnType<typeof Bun.serve> | undefined
let tlsCert = ''
let httpProxy: http.Server
let socksServer: Server
let rawServer: Server
const sockets = new Set<Socket>()

function streamBody(id: string, count: number): ReadableStream<Uint8Array> {
  const record: StreamRecord = { sent: [], cancelled: false }
  streams.set(id, record)
  let i = 0
  return new ReadableStream({
    async pull(controller) {
      if (i > 0) await Bun.sleep(50)
      if (i === count) return controller.close()
      controller.enqueue(new TextEncoder().encode(`data: chunk${i}\n\n`))
      record.sent.push(performance.now())
      i++
    },
    cancel() {
      record.cancelled = true
    },
  })
}

async function handle(req: Request): Promise<Response> {
  const url = new URL(req.url)
  if (url.pathname === '/big') return new Response(new Uint8Array(8 * 1024 * 1024).fill(120))
  if (url.pathname === '/stream') {
    const id = url.searchParams.get('id') ?? 'default'
    const body = streamBody(id, Number(url.searchParams.get('n') ?? 5))
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
  }
  return Response.json({
    method: req.method,
    path: url.pathname + url.search,
    header: req.headers.get('x-test'),
    host: req.headers.get('host'),
    contentType: req.headers.get('content-type'),
    body: await req.text(),
  })
}

function authorized(header: string | undefined): boolean {
  return header === `Basic ${Buffer.from(`${USER}:${PASS}`).toString('base64')}`
}

function track(socket: Socket): void {
  sockets.add(socket)
  socket.on('close', () => sockets.delete(socket))
}

function listen(server: Server | http.Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}

/** An HTTP proxy: absolute-form forwarding and CONNECT tunnels, Basic auth required. */
function startHttpProxy(): http.Server {
  const server = http.createServer((req, res) => {
    httpProxyStats.requests++
    if (!authorized(req.headers['proxy-authorization'])) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"', 'content-length': '0' })
      res.end()
      return
    }
    const url = new URL(req.url ?? '')
    const headers = { ...req.headers }
    delete headers['proxy-authorization']
    delete headers['proxy-connection']
    const upstream = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: req.method,
        headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.destroy())
    res.on('close', () => upstream.destroy())
    req.pipe(upstream)
  })
  server.on('connection', track)
  server.on('connect', (req: http.IncomingMessage, client: Socket, head: Buffer) => {
    httpProxyStats.connects++
    if (!authorized(req.headers['proxy-authorization'])) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n')
      return
    }
    const [host, port] = (req.url ?? '').split(':')
    const upstream = net.connect(Number(port), host === 'localhost' ? '127.0.0.1' : host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
    client.on('close', () => upstream.destroy())
  })
  return server
}

/** A SOCKS5 server (RFC 1928/1929) that requires username/password and records target hosts. */
function startSocks(): Server {
  return net.createServer((client) => {
    track(client)
    socksStats.connections++
    socksStats.open++
    client.on('close', () => socksStats.open--)
    client.on('error', () => {})
    let buffered = Buffer.alloc(0)
    let step: 'greeting' | 'auth' | 'request' = 'greeting'
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      if (step === 'greeting') {
        const n = buffered[1] ?? 0
        if (buffered.length < 2 + n) return
        const methods = [...buffered.subarray(2, 2 + n)]
        buffered = buffered.subarray(2 + n)
        if (!methods.includes(2)) return void client.end(Buffer.from([5, 0xff]))
        client.write(Buffer.from([5, 2]))
        step = 'auth'
      }
      if (step === 'auth') {
        const ulen = buffered[1] ?? 0
        const plen = buffered[2 + ulen] ?? 0
        if (buffered.length < 3 + ulen || buffered.length < 3 + ulen + plen) return
        const user = buffered.subarray(2, 2 + ulen).toString()
        const pass = buffered.subarray(3 + ulen, 3 + ulen + plen).toString()
        buffered = buffered.subarray(3 + ulen + plen)
        if (user !== USER || pass !== PASS) return void client.end(Buffer.from([1, 1]))
        client.write(Buffer.from([1, 0]))
        step = 'request'
      }
      if (buffered.length < 5) return
      const atyp = buffered[3]
      const length = atyp === 3 ? 7 + (buffered[4] ?? 0) : atyp === 1 ? 10 : 22
      if (buffered.length < length) return
      const host =
        atyp === 3
          ? buffered.subarray(5, 5 + (buffered[4] ?? 0)).toString()
          : [...buffered.subarray(4, 8)].join('.')
      const port = buffered.readUInt16BE(length - 2)
      const rest = buffered.subarray(length)
      socksStats.hosts.push(host)
      client.off('data', onData)
      const upstream = net.connect(port, host === 'localhost' ? '127.0.0.1' : host, () => {
        client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]))
        if (rest.length > 0) upstream.write(rest)
        upstream.pipe(client)
        client.pipe(upstream)
      })
      upstream.on('error', () => client.end(Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0])))
      client.on('close', () => upstream.destroy())
    }
    client.on('data', onData)
  })
}

/** A target that answers with a fixed, badly framed response chosen by the request path. */
function startRawServer(): Server {
  return net.createServer((socket) => {
    track(socket)
    socket.once('data', (data) => {
      const path = data.toString('latin1').split(' ')[1]
      if (path === '/truncated') {
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a few bytes')
      } else if (path === '/conflict') {
        socket.end(
          'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
        )
      } else {
        socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n')
      }
    })
  })
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer()
  const port = await listen(server)
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function waitFor(condition: () => boolean, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (condition()) return true
    await Bun.sleep(10)
  }
  return condition()
}

let httpSettings: ProxySettings
let socksSettings: ProxySettings
let base = ''
let localBase = ''
let rawBase = ''

beforeAll(async () => {
  target = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: handle })
  base = `http://127.0.0.1:${target.port}`
  localBase = `http://localhost:${target.port}`
  httpProxy = startHttpProxy()
  socksServer = startSocks()
  rawServer = startRawServer()
  const [httpPort, socksPort, rawPort] = [
    await listen(httpProxy),
    await listen(socksServer),
    await listen(rawServer),
  ]
  rawBase = `http://127.0.0.1:${rawPort}`
  httpSettings = { type: 'http', host: '127.0.0.1', port: httpPort, username: USER, password: PASS }
  socksSettings = {
    type: 'socks5',
    host: '127.0.0.1',
    port: socksPort,
    username: USER,
    password: PASS,
  }
  const dir = mkdtempSync(join(tmpdir(), 'proxy-fetch-'))
  const made = spawnSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
  ])
  if (made.status === 0) {
    tlsCert = readFileSync(join(dir, 'cert.pem'), 'utf8')
    const key = readFileSync(join(dir, 'key.pem'), 'utf8')
    tlsTarget = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      tls: { cert: tlsCert, key },
      fetch: handle,
    })
  }
})

afterAll(async () => {
  target.stop(true)
  tlsTarget?.stop(true)
  for (const socket of sockets) socket.destroy()
  await Promise.all(
    [httpProxy, socksServer, rawServer].map(
      (server) => new Promise((resolve) => server.close(resolve)),
    ),
  )
})

describe('proxyUrl', () => {
  test('percent-encodes credentials and brackets IPv6 hosts', () => {
    const url = proxyUrl({
      type: 'http',
      host: 'proxy.local',
      port: 8080,
      username: 'u@x',
      password: 'p:w/#',
    })
    expect(url).toBe('http://u%40x:p%3Aw%2F%23@proxy.local:8080')
    expect(new URL(url).host).toBe('proxy.local:8080')
    expect(proxyUrl({ type: 'socks5', host: '::1', port: 1080 })).toBe('socks5://[::1]:1080')
  })

  test('rejects invalid settings early', () => {
    expect(() => createProxyFetch({ type: 'http', host: '', port: 80 })).toThrow(TypeError)
    expect(() => createProxyFetch({ type: 'socks5', host: 'h', port: 70000 })).toThrow(TypeError)
  })
})

async function expectStreaming(
  proxyFetch: typeof fetch | ReturnType<typeof createProxyFetch>,
  url: string,
  id: string,
) {
  const res = await proxyFetch(`${url}/stream?id=${id}`)
  expect(res.status).toBe(200)
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  const first = await reader.read()
  const firstAt = performance.now()
  let text = decoder.decode(first.value)
  let reads = 1
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    reads++
    text += decoder.decode(value)
  }
  const sent = streams.get(id)?.sent ?? []
  expect(sent.length).toBe(5)
  expect(text).toBe([0, 1, 2, 3, 4].map((i) => `data: chunk${i}\n\n`).join(''))
  expect(reads).toBeGreaterThanOrEqual(3)
  expect(firstAt).toBeLessThan((sent[4] ?? 0) - 100)
}

async function expectAbort(
  proxyFetch: ReturnType<typeof createProxyFetch>,
  url: string,
  id: string,
) {
  const controller = new AbortController()
  const res = await proxyFetch(`${url}/stream?id=${id}&n=100`, { signal: controller.signal })
  const reader = res.body!.getReader()
  const first = await reader.read()
  expect(new TextDecoder().decode(first.value)).toStartWith('data: chunk0')
  controller.abort()
  const started = Date.now()
  let error: unknown
  try {
    for (;;) {
      const { done } = await reader.read()
      if (done) break
    }
  } catch (caught) {
    error = caught
  }
  expect(error).toBeDefined()
  expect(Date.now() - started).toBeLessThan(1000)
  expect(await waitFor(() => streams.get(id)?.cancelled === true)).toBe(true)
  expect((streams.get(id)?.sent.length ?? 0) < 100).toBe(true)
}

describe('http proxy (Bun native fetch proxy option)', () => {
  test('forwards method, path, headers and body through the proxy', async () => {
    const proxyFetch = createProxyFetch(httpSettings)
    const before = httpProxyStats.requests
    const res = await proxyFetch(`${base}/echo?q=1`, {
      method: 'POST',
      headers: { 'x-test': 'héllo-ok', 'content-type': 'application/json' },
      body: JSON.stringify({ a: 1 }),
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      method: 'POST',
      path: '/echo?q=1',
      header: 'héllo-ok',
      host: `127.0.0.1:${target.port}`,
      contentType: 'application/json',
      body: '{"a":1}',
    })
    expect(httpProxyStats.requests).toBe(before + 1)
  })

  test('streams chunks as they arrive', async () => {
    const before = httpProxyStats.requests
    await expectStreaming(createProxyFetch(httpSettings), base, 'http-stream')
    expect(httpProxyStats.requests).toBe(before + 1)
  })

  test('abort mid-stream rejects the read and closes the upstream stream', async () => {
    await expectAbort(createProxyFetch(httpSettings), base, 'http-abort')
  })

  test('wrong credentials give 407, not a hang', async () => {
    const proxyFetch = createProxyFetch({ ...httpSettings, password: 'wrong' })
    const res = await proxyFetch(`${base}/echo`, { signal: AbortSignal.timeout(3000) })
    expect(res.status).toBe(407)
  })

  test('an unreachable proxy rejects quickly', async () => {
    const proxyFetch = createProxyFetch({ ...httpSettings, port: await closedPort() })
    const started = Date.now()
    await expect(
      proxyFetch(`${base}/echo`, { signal: AbortSignal.timeout(3000) }),
    ).rejects.toThrow()
    expect(Date.now() - started).toBeLessThan(1500)
  })

  test('https targets go through a CONNECT tunnel; wrong credentials reject', async () => {
    if (tlsTarget === undefined) return // openssl not available
    const url = `https://localhost:${tlsTarget.port}/echo`
    const init: BunFetchRequestInit = { tls: { ca: tlsCert }, method: 'PUT', body: 'tls body' }
    const before = httpProxyStats.connects
    const res = await createProxyFetch(httpSettings)(url, init)
    expect(await res.json()).toMatchObject({ method: 'PUT', body: 'tls body' })
    expect(httpProxyStats.connects).toBeGreaterThan(before)
    const wrong = createProxyFetch({ ...httpSettings, username: 'nobody' })
    await expect(wrong(`https://localhost:${tlsTarget.port}/other`, init)).rejects.toThrow()
  })
})

describe('socks5 proxy (own SOCKS5 client)', () => {
  test('Bun 1.4.5 fetch itself does not support socks5 proxies', async () => {
    const proxy = { url: proxyUrl(socksSettings), respectNoProxy: false }
    await expect(fetch(`${base}/echo`, { proxy })).rejects.toThrow()
  })

  test('forwards method, path, headers and body; the proxy resolves the host name', async () => {
    const proxyFetch = createProxyFetch(socksSettings)
    const before = socksStats.hosts.length
    const res = await proxyFetch(`${localBase}/echo?x=%20y`, {
      method: 'POST',
      headers: { 'x-test': 'socks-ok' },
      body: 'a'.repeat(200_000),
    })
    expect(res.status).toBe(200)
    expect(res.url).toBe(`${localBase}/echo?x=%20y`)
    const echoed = (await res.json()) as Record<string, unknown>
    expect(echoed).toMatchObject({
      method: 'POST',
      path: '/echo?x=%20y',
      header: 'socks-ok',
      host: `localhost:${target.port}`,
      contentType: 'text/plain;charset=utf-8',
    })
    expect(echoed.body).toBe('a'.repeat(200_000))
    expect(socksStats.hosts.slice(before)).toEqual(['localhost'])
  })

  test('sends a streamed request body chunked', async () => {
    const parts = ['one ', 'two ', 'three']
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const part = parts.shift()
        if (part === undefined) return controller.close()
        await Bun.sleep(5)
        controller.enqueue(new TextEncoder().encode(part))
      },
    })
    const res = await createProxyFetch(socksSettings)(`${base}/echo`, { method: 'PUT', body })
    expect(await res.json()).toMatchObject({ method: 'PUT', body: 'one two three' })
  })

  test('a large body read slowly arrives complete and intact', async () => {
    const res = await createProxyFetch(socksSettings)(`${base}/big`)
    const reader = res.body!.getReader()
    let total = 0
    let reads = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (value.some((byte: number) => byte !== 120)) throw new Error('corrupted body')
      total += value.byteLength
      if (++reads % 20 === 0) await Bun.sleep(5)
    }
    expect(total).toBe(8 * 1024 * 1024)
  })

  test('streams chunks as they arrive', async () => {
    await expectStreaming(createProxyFetch(socksSettings), localBase, 'socks-stream')
  })

  test('abort mid-stream rejects the read and closes the proxy connection', async () => {
    await expectAbort(createProxyFetch(socksSettings), localBase, 'socks-abort')
    expect(await waitFor(() => socksStats.open === 0)).toBe(true)
  })

  test('an already aborted signal rejects without connecting', async () => {
    const before = socksStats.connections
    const proxyFetch = createProxyFetch(socksSettings)
    await expect(proxyFetch(`${base}/echo`, { signal: AbortSignal.abort() })).rejects.toThrow()
    expect(socksStats.connections).toBe(before)
  })

  test('wrong credentials reject, not hang', async () => {
    const wrong = createProxyFetch({ ...socksSettings, password: 'nope' })
    await expect(wrong(`${base}/echo`)).rejects.toThrow(/username or password/)
    const none = createProxyFetch({ ...socksSettings, username: undefined, password: undefined })
    await expect(none(`${base}/echo`)).rejects.toThrow(/authentication methods/)
  })

  test('an unreachable proxy rejects quickly', async () => {
    const proxyFetch = createProxyFetch({ ...socksSettings, port: await closedPort() })
    const started = Date.now()
    await expect(proxyFetch(`${base}/echo`)).rejects.toThrow(/unreachable/)
    expect(Date.now() - started).toBeLessThan(1500)
  })

  test('a proxy that never answers times out', async () => {
    const silent = net.createServer(track)
    const port = await listen(silent)
    const proxyFetch = createProxyFetch({ ...socksSettings, port }, { connectTimeoutMs: 200 })
    await expect(proxyFetch(`${base}/echo`)).rejects.toThrow(/handshake/)
    for (const socket of sockets) if (socket.localPort === port) socket.destroy()
    await new Promise((resolve) => silent.close(resolve))
  })

  test('framing errors reject instead of passing silently', async () => {
    const proxyFetch = createProxyFetch(socksSettings)
    const truncated = await proxyFetch(`${rawBase}/truncated`)
    await expect(truncated.text()).rejects.toThrow(/truncated/)
    await expect(proxyFetch(`${rawBase}/conflict`)).rejects.toThrow(/transfer-encoding/)
    const badChunk = await proxyFetch(`${rawBase}/bad-chunk`)
    await expect(badChunk.text()).rejects.toThrow(/chunk/)
  })

  test('https targets: TLS over the tunnel, certificate checked', async () => {
    if (tlsTarget === undefined) return // openssl not available
    const proxyFetch = createProxyFetch(socksSettings)
    const url = `https://localhost:${tlsTarget.port}/echo`
    const init: BunFetchRequestInit = { tls: { ca: tlsCert }, method: 'POST', body: 'secret' }
    const res = await proxyFetch(url, init)
    expect(await res.json()).toMatchObject({
      method: 'POST',
      body: 'secret',
      host: `localhost:${tlsTarget.port}`,
    })
    await expect(proxyFetch(url, { method: 'POST', body: 'x' })).rejects.toThrow(/TLS/)
  })
})
