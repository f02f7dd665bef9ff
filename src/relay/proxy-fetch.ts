// Over 400 lines: a SOCKS5 tunnel and the small HTTP/1.1 client over it, which Bun's fetch lacks.
/**
 * @module
 * Outbound proxies per account. `createProxyFetch` returns a `fetch` that sends every request
 * through one proxy. http and https proxies use Bun's own `fetch(url, { proxy })`, with
 * `respectNoProxy: false` so that `NO_PROXY` never lets a request bypass the account's proxy.
 * Bun 1.4.5's fetch rejects `socks5://` and `socks5h://` proxies (`UnsupportedProxyProtocol`), so
 * socks5 requests go through a small HTTP/1.1 client of our own: a SOCKS5 tunnel (RFC 1928, with
 * RFC 1929 username/password auth and the hostname resolved at the proxy), TLS on top for https
 * targets, one request per connection, and a response body that streams as the bytes arrive.
 */
import type { Socket } from 'node:net'
import { isIP, connect as netConnect } from 'node:net'
import type { ConnectionOptions } from 'node:tls'
import { connect as tlsConnect } from 'node:tls'
import { canonicalHost } from '../security/url-policy.ts'

/** Where and how to reach an outbound proxy. */
export interface ProxySettings {
  type: 'http' | 'https' | 'socks5'
  host: string
  port: number
  username?: string
  password?: string
}

/** Options of `createProxyFetch`. */
export interface ProxyFetchOptions {
  /** The fetch used for http and https proxies (default: the global `fetch`). */
  baseFetch?: typeof fetch
  /** Milliseconds allowed for the TCP connect, SOCKS5 handshake and TLS handshake (socks5). */
  connectTimeoutMs?: number
}

/** A `fetch` bound to one proxy. */
export type ProxyFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

type RequestBody = Uint8Array | ReadableStream<Uint8Array> | null

interface Target {
  url: URL
  method: string
  headers: Headers
  body: RequestBody
  signal: AbortSignal | undefined
  tls: BunFetchRequestInitTLS | undefined
}

const DEFAULT_CONNECT_TIMEOUT_MS = 30_000
const MAX_REDIRECTS = 20
const MAX_HEAD_BYTES = 64 * 1024
const MAX_LINE_BYTES = 8 * 1024
const BODY_HIGH_WATER_MARK = 64 * 1024
const CRLF = Buffer.from('\r\n')
const EMPTY = Buffer.alloc(0)
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const PROXY_TYPES: ProxySettings['type'][] = ['http', 'https', 'socks5']
/** Request headers we always set ourselves (framing, connection and proxy headers). */
const OWN_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'transfer-encoding',
  'content-length',
  'te',
  'trailer',
  'upgrade',
  'accept-encoding',
])
const SOCKS_REPLIES: Record<number, string> = {
  1: 'general SOCKS server failure',
  2: 'connection not allowed by ruleset',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
}

/** Returns a fetch that sends every request through the proxy. */
export function createProxyFetch(
  proxy: ProxySettings,
  options: ProxyFetchOptions = {},
): ProxyFetch {
  validateProxy(proxy)
  // A host that is not a hostname or an IP address (`x@y@127.0.0.1`, stored before it was
  // refused at entry) fails every request as a network error instead of reaching somewhere else.
  const host = canonicalHost(proxy.host)
  if (host === null) {
    const error = new TypeError(`Proxy host "${proxy.host}" is not a hostname or an IP address`)
    return () => Promise.reject(error)
  }
  const settings = { ...proxy, host }
  if (proxy.type === 'socks5') {
    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
    return (input, init) => socksFetch(settings, timeoutMs, input, init)
  }
  const url = proxyUrl(settings)
  if (typeof (globalThis as { Bun?: unknown }).Bun === 'undefined') {
    // Only Bun's fetch takes a `proxy` option; elsewhere the request would silently go direct.
    return () =>
      Promise.reject(
        new Error(
          'Cannot use an http(s) proxy on this runtime: run the relay on Bun, or use a socks5 proxy',
        ),
      )
  }
  return (input, init) => {
    const baseFetch = options.baseFetch ?? fetch
    const proxied: BunFetchRequestInit = { ...init, proxy: { url, respectNoProxy: false } }
    return baseFetch(input, proxied)
  }
}

/**
 * A proxy URL built with the URL API (credentials percent-encoded by it), e.g.
 * `http://u%40x:p%3Aw@host:8080` (never log it). Throws a TypeError when the host is not a
 * hostname or an IP address.
 */
export function proxyUrl(proxy: ProxySettings): string {
  const host = canonicalHost(proxy.host)
  if (host === null)
    throw new TypeError(`Proxy host "${proxy.host}" is not a hostname or an IP address`)
  if (!PROXY_TYPES.includes(proxy.type))
    throw new TypeError(`Unsupported proxy type: ${String(proxy.type)}`)
  const url = new URL(`${proxy.type}://proxy.invalid`)
  url.hostname = host
  url.port = String(proxy.port)
  const port = url.port || { 'http:': '80', 'https:': '443' }[url.protocol]
  if (url.hostname !== host || port !== String(proxy.port))
    throw new TypeError(`Cannot build a proxy URL for ${host}:${proxy.port}`)
  url.username = proxy.username ?? ''
  url.password = proxy.password ?? ''
  return url.href.replace(/\/$/, '')
}

function validateProxy(proxy: ProxySettings): void {
  if (!PROXY_TYPES.includes(proxy.type)) {
    throw new TypeError(`Unsupported proxy type: ${String(proxy.type)}`)
  }
  if (typeof proxy.host !== 'string' || proxy.host.trim() === '') {
    throw new TypeError('Proxy host must not be empty')
  }
  if (!Number.isInteger(proxy.port) || proxy.port < 1 || proxy.port > 65535) {
    throw new TypeError(`Proxy port must be an integer from 1 to 65535, got ${proxy.port}`)
  }
}

/** fetch over a SOCKS5 tunnel, following redirects as fetch does. */
async function socksFetch(
  proxy: ProxySettings,
  timeoutMs: number,
  input: string | URL | Request,
  init: RequestInit | undefined,
): Promise<Response> {
  const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined) ?? undefined
  signal?.throwIfAborted()
  const request =
    input instanceof Request ? new Request(input, init) : new Request(String(input), init)
  const headers = new Headers(request.headers)
  let body: RequestBody = null
  if (request.body !== null && isStreamingBody(init?.body)) {
    body = request.body
  } else if (request.body !== null) {
    // The blob carries the content type fetch derives from the body (a string gives text/plain).
    const blob = await request.blob()
    if (!headers.has('content-type') && blob.type !== '') headers.set('content-type', blob.type)
    body = Buffer.from(await blob.arrayBuffer())
  }
  const tls = (init as BunFetchRequestInit | undefined)?.tls
  let target: Target = {
    url: new URL(request.url),
    method: request.method,
    headers,
    body,
    signal,
    tls,
  }
  for (let hops = 0; ; hops++) {
    const response = await socksRequest(proxy, timeoutMs, target)
    const location = response.headers.get('location')
    if (!isRedirect(response.status) || location === null || request.redirect === 'manual') {
      if (hops > 0) Object.defineProperty(response, 'redirected', { value: true })
      return response
    }
    await response.body?.cancel()
    if (request.redirect === 'error') {
      throw new TypeError(`Redirect to ${location} refused (redirect: 'error')`)
    }
    if (hops >= MAX_REDIRECTS) throw new TypeError(`Too many redirects (${MAX_REDIRECTS})`)
    target = redirectTarget(target, response.status, location)
  }
}

function isStreamingBody(body: unknown): boolean {
  return (
    typeof body === 'object' &&
    body !== null &&
    (body instanceof ReadableStream || Symbol.asyncIterator in body)
  )
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308
}

/** The next request of a redirect chain, as the fetch standard builds it. */
function redirectTarget(previous: Target, status: number, location: string): Target {
  const url = new URL(location, previous.url)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`Redirect to unsupported URL scheme ${url.protocol}`)
  }
  const headers = new Headers(previous.headers)
  let method = previous.method
  let body = previous.body
  if (
    status === 303 ? method !== 'HEAD' : (status === 301 || status === 302) && method === 'POST'
  ) {
    method = 'GET'
    body = null
    for (const name of [
      'content-type',
      'content-encoding',
      'content-language',
      'content-location',
    ]) {
      headers.delete(name)
    }
  }
  if (body instanceof ReadableStream) {
    throw new TypeError('Cannot follow a redirect with a streamed request body')
  }
  if (url.origin !== previous.url.origin) {
    for (const name of ['authorization', 'cookie', 'x-api-key']) headers.delete(name)
  }
  return { ...previous, url, method, headers, body }
}

/** One request and response on a fresh connection through the proxy. */
async function socksRequest(proxy: ProxySettings, timeoutMs: number, target: Target) {
  const { url, signal } = target
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`Unsupported URL scheme ${url.protocol}`)
  }
  const host = stripBrackets(url.hostname)
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80
  const deadline = Date.now() + timeoutMs
  let socket = await openSocksTunnel(proxy, host, port, signal, timeoutMs)
  if (url.protocol === 'https:') {
    socket = await startTls(socket, host, target.tls, signal, Math.max(1, deadline - Date.now()))
  }
  return exchange(socket, target)
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
}

/** Connects to the proxy and asks it for a tunnel to host:port; resolves with the paused socket. */
function openSocksTunnel(
  proxy: ProxySettings,
  host: string,
  port: number,
  signal: AbortSignal | undefined,
  timeoutMs: number,
): Promise<Socket> {
  const where = `SOCKS5 proxy ${proxy.host}:${proxy.port}`
  const user = Buffer.from(proxy.username ?? '')
  const pass = Buffer.from(proxy.password ?? '')
  const withAuth = user.length > 0 || pass.length > 0
  if (user.length > 255 || pass.length > 255) {
    return Promise.reject(new TypeError('SOCKS5 username and password are limited to 255 bytes'))
  }
  const request = socksConnectRequest(host, port)
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: stripBrackets(proxy.host), port: proxy.port })
    socket.setNoDelay(true)
    let buffered: Buffer = EMPTY
    let step: 'method' | 'auth' | 'connect' = 'method'
    let done = false
    const timer = setTimeout(
      () => fail(new TypeError(`${where} did not complete the handshake within ${timeoutMs} ms`)),
      timeoutMs,
    )
    const onAbort = () => fail(signal?.reason)
    signal?.addEventListener('abort', onAbort, { once: true })
    socket.on('error', onError)
    socket.on('close', onClose)
    socket.on('data', onData)
    socket.once('connect', () => {
      socket.write(withAuth ? Buffer.from([5, 2, 0, 2]) : Buffer.from([5, 1, 0]))
    })

    function cleanup(): void {
      done = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      socket.off('error', onError)
      socket.off('close', onClose)
      socket.off('data', onData)
    }
    function fail(error: unknown): void {
      if (done) return
      cleanup()
      socket.destroy()
      reject(error)
    }
    function onError(error: Error): void {
      const code = (error as NodeJS.ErrnoException).code
      fail(new TypeError(`${where} unreachable: ${code ?? error.message}`, { cause: error }))
    }
    function onClose(): void {
      fail(new TypeError(`${where} closed the connection during the handshake`))
    }
    function onData(chunk: Buffer): void {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk])
      try {
        while (!done && advance()) {}
      } catch (error) {
        fail(error)
      }
    }
    /** Consumes one reply if it is complete; returns whether it did. */
    function advance(): boolean {
      if (step === 'method' || step === 'auth') {
        if (buffered.length < 2) return false
        const [version, code] = [buffered[0], buffered[1]]
        buffered = buffered.subarray(2)
        if (step === 'method') {
          if (version !== 5) throw new TypeError(`${where} is not a SOCKS5 server`)
          if (code === 2 && withAuth) {
            step = 'auth'
            socket.write(
              Buffer.concat([
                Buffer.from([1, user.length]),
                user,
                Buffer.from([pass.length]),
                pass,
              ]),
            )
            return true
          }
          if (code !== 0) {
            throw new TypeError(
              `${where} accepts none of the offered authentication methods` +
                (withAuth ? '' : ' (it may require a username and password)'),
            )
          }
        } else if (code !== 0) {
          throw new TypeError(`${where} rejected the username or password`)
        }
        step = 'connect'
        socket.write(request)
        return true
      }
      if (buffered.length < 5) return false
      const atyp = buffered[3]
      const length = atyp === 1 ? 10 : atyp === 4 ? 22 : atyp === 3 ? 7 + (buffered[4] ?? 0) : -1
      if (buffered[0] !== 5 || length < 0) throw new TypeError(`${where} sent an invalid reply`)
      if (buffered.length < length) return false
      const reply = buffered[1] ?? 1
      if (reply !== 0) {
        const reason = SOCKS_REPLIES[reply] ?? `error ${reply}`
        throw new TypeError(`${where} could not connect to ${host}:${port}: ${reason}`)
      }
      const rest = buffered.subarray(length)
      cleanup()
      socket.pause()
      if (rest.length > 0) socket.unshift(rest)
      resolve(socket)
      return false
    }
  })
}

/** The CONNECT request; hostnames go as ATYP 3 so that the proxy resolves them. */
function socksConnectRequest(host: string, port: number): Buffer {
  let address: Buffer
  const family = isIP(host)
  if (family === 4) {
    address = Buffer.from([1, ...host.split('.').map(Number)])
  } else if (family === 6) {
    address = Buffer.concat([Buffer.from([4]), ipv6Bytes(host)])
  } else {
    const name = Buffer.from(host)
    if (name.length === 0 || name.length > 255) {
      throw new TypeError('SOCKS5 target host name must be 1 to 255 bytes')
    }
    address = Buffer.concat([Buffer.from([3, name.length]), name])
  }
  return Buffer.concat([Buffer.from([5, 1, 0]), address, Buffer.from([port >> 8, port & 0xff])])
}

/** The 16 bytes of an IPv6 literal (already validated by isIP). */
function ipv6Bytes(host: string): Buffer {
  let text = host.split('%')[0] ?? host
  const groups: number[] = []
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number]
    text =
      text.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = text.split('::') as [string, string | undefined]
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)))
  const left = parse(head)
  const right = tail === undefined ? [] : parse(tail)
  groups.push(...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right)
  const bytes = Buffer.alloc(16)
  for (const [i, group] of groups.entries()) bytes.writeUInt16BE(group, i * 2)
  return bytes
}

/** Wraps the tunnel in TLS to the target; resolves with the paused TLS socket. */
function startTls(
  socket: Socket,
  host: string,
  tls: BunFetchRequestInitTLS | undefined,
  signal: AbortSignal | undefined,
  timeoutMs: number,
): Promise<Socket> {
  const options: ConnectionOptions = { socket, host, ALPNProtocols: ['http/1.1'] }
  const servername = tls?.servername ?? tls?.serverName ?? (isIP(host) === 0 ? host : undefined)
  if (servername !== undefined) options.servername = servername
  if (tls?.rejectUnauthorized !== undefined) options.rejectUnauthorized = tls.rejectUnauthorized
  if (tls?.checkServerIdentity !== undefined) options.checkServerIdentity = tls.checkServerIdentity
  const ca = pemList(tls?.ca)
  if (ca !== undefined) options.ca = ca
  return new Promise((resolve, reject) => {
    const secure = tlsConnect(options)
    const timer = setTimeout(
      () => fail(new TypeError(`TLS handshake with ${host} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    )
    const onAbort = () => fail(signal?.reason)
    signal?.addEventListener('abort', onAbort, { once: true })
    const onError = (error: Error) =>
      fail(new TypeError(`TLS to ${host}: ${error.message}`, { cause: error }))
    const onClose = () =>
      fail(new TypeError(`TLS to ${host}: connection closed during the handshake`))
    secure.on('error', onError)
    secure.on('close', onClose)
    secure.once('secureConnect', () => {
      cleanup()
      secure.pause()
      resolve(secure)
    })
    function cleanup(): void {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      secure.off('error', onError)
      secure.off('close', onClose)
    }
    function fail(error: unknown): void {
      cleanup()
      secure.destroy()
      socket.destroy()
      reject(error)
    }
  })
}

/** The `ca` values node:tls understands (strings and byte buffers); Bun files are not supported. */
function pemList(ca: BunFetchRequestInitTLS['ca']): Array<string | Buffer> | undefined {
  if (ca === undefined) return undefined
  const list = Array.isArray(ca) ? ca : [ca]
  const pems: Array<string | Buffer> = []
  for (const item of list) {
    if (typeof item === 'string') pems.push(item)
    else if (ArrayBuffer.isView(item)) {
      pems.push(Buffer.from(item.buffer, item.byteOffset, item.byteLength))
    } else if (item instanceof ArrayBuffer) pems.push(Buffer.from(item))
    else throw new TypeError('tls.ca through a SOCKS5 proxy must be a string or bytes')
  }
  return pems
}

/** The request line and headers. */
function requestHead(target: Target, framing: 'none' | 'chunked' | number): Buffer {
  const { url, method, headers } = target
  const lines = [`${method} ${url.pathname || '/'}${url.search} HTTP/1.1`, `host: ${url.host}`]
  for (const [name, value] of headers) {
    if (!OWN_HEADERS.has(name)) lines.push(`${name}: ${value}`)
  }
  if (!headers.has('accept')) lines.push('accept: */*')
  if (!headers.has('user-agent')) lines.push('user-agent: claude-relay-service')
  if (!headers.has('authorization') && (url.username !== '' || url.password !== '')) {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
    lines.push(`authorization: Basic ${Buffer.from(credentials).toString('base64')}`)
  }
  lines.push('accept-encoding: identity', 'connection: close')
  if (framing === 'chunked') lines.push('transfer-encoding: chunked')
  else if (typeof framing === 'number') lines.push(`content-length: ${framing}`)
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1')
}

/** Sends the request on the socket and resolves with the response once its head has arrived. */
function exchange(socket: Socket, target: Target): Promise<Response> {
  const { method, body, signal } = target
  return new Promise((resolve, reject) => {
    let state:
      | 'head'
      | 'length'
      | 'close'
      | 'chunk-size'
      | 'chunk-data'
      | 'chunk-end'
      | 'trailers' = 'head'
    let buffered: Buffer = EMPTY
    let remaining = 0
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined
    let settled = false
    let finished = false
    let upload: { cancel(): Promise<void> } | undefined

    const onAbort = () => fail(signal?.reason)
    if (signal?.aborted) {
      socket.destroy()
      reject(signal.reason)
      return
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    socket.on('data', onData)
    socket.on('end', onEnd)
    socket.on('error', (error: Error) => fail(new TypeError(error.message, { cause: error })))
    socket.on('close', () => fail(new TypeError('Connection closed before the response completed')))
    socket.resume()
    sendRequest().catch(fail)

    async function sendRequest(): Promise<void> {
      if (!(body instanceof ReadableStream)) {
        const hasBody = body !== null || !['GET', 'HEAD', 'OPTIONS', 'DELETE'].includes(method)
        const head = requestHead(target, hasBody ? (body?.length ?? 0) : 'none')
        socket.write(body === null ? head : Buffer.concat([head, body]))
        return
      }
      socket.write(requestHead(target, 'chunked'))
      const reader = body.getReader()
      upload = reader
      for (;;) {
        const { done, value } = await reader.read()
        if (finished) return
        if (done) break
        const bytes = typeof value === 'string' ? Buffer.from(value) : value
        if (bytes.byteLength === 0) continue
        const size = Buffer.from(bytes.byteLength.toString(16) + '\r\n')
        if (!socket.write(Buffer.concat([size, bytes, CRLF]))) await drained(socket)
      }
      socket.write('0\r\n\r\n')
    }

    function cleanup(): void {
      finished = true
      signal?.removeEventListener('abort', onAbort)
      upload?.cancel().catch(() => {})
      socket.destroy()
    }
    function fail(error: unknown): void {
      if (finished) return
      cleanup()
      if (!settled) {
        settled = true
        reject(error)
      } else {
        controller?.error(error)
      }
    }
    function complete(): void {
      if (finished) return
      cleanup()
      controller?.close()
    }
    function onEnd(): void {
      if (state === 'close' && settled) complete()
      else if (!settled) fail(new TypeError('Connection closed before the response headers'))
      else fail(new TypeError('Response body truncated: connection closed before its end'))
    }
    function onData(chunk: Buffer): void {
      if (finished) return
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk])
      try {
        parse()
      } catch (error) {
        fail(error)
      }
    }
    function push(bytes: Buffer): void {
      if (bytes.length === 0 || controller === undefined) return
      controller.enqueue(new Uint8Array(bytes))
      if ((controller.desiredSize ?? 0) <= 0) socket.pause()
    }
    /** Takes up to `remaining` body bytes; returns whether the current part is complete. */
    function takeBody(): boolean {
      const n = Math.min(remaining, buffered.length)
      push(buffered.subarray(0, n))
      buffered = buffered.subarray(n)
      remaining -= n
      return remaining === 0
    }
    /** Removes and returns the next CRLF-terminated line, or undefined if it has not arrived. */
    function takeLine(limit: number): string | undefined {
      const end = buffered.indexOf(CRLF)
      if (end < 0) {
        if (buffered.length > limit) throw new TypeError('HTTP response line too long')
        return undefined
      }
      const line = buffered.subarray(0, end).toString('latin1')
      buffered = buffered.subarray(end + 2)
      return line
    }
    function parse(): void {
      while (!finished) {
        if (state === 'head') {
          const end = buffered.indexOf('\r\n\r\n')
          if (end < 0) {
            if (buffered.length > MAX_HEAD_BYTES)
              throw new TypeError('HTTP response head too large')
            return
          }
          const head = buffered.subarray(0, end).toString('latin1')
          buffered = buffered.subarray(end + 4)
          onHead(head)
        } else if (state === 'close') {
          push(buffered)
          buffered = EMPTY
          return
        } else if (state === 'length') {
          if (takeBody()) complete()
          return
        } else if (state === 'chunk-data') {
          if (!takeBody()) return
          state = 'chunk-end'
        } else if (state === 'chunk-end') {
          if (buffered.length < 2) return
          if (buffered[0] !== 13 || buffered[1] !== 10) {
            throw new TypeError('Invalid chunked encoding: missing CRLF after chunk data')
          }
          buffered = buffered.subarray(2)
          state = 'chunk-size'
        } else if (state === 'chunk-size') {
          const line = takeLine(MAX_LINE_BYTES)
          if (line === undefined) return
          const size = (line.split(';')[0] ?? '').trim()
          if (!/^[0-9a-fA-F]{1,12}$/.test(size)) {
            throw new TypeError(`Invalid chunked encoding: bad chunk size ${JSON.stringify(size)}`)
          }
          remaining = parseInt(size, 16)
          state = remaining === 0 ? 'trailers' : 'chunk-data'
        } else {
          const line = takeLine(MAX_LINE_BYTES)
          if (line === undefined) return
          if (line === '') complete()
          if (line === '') return
        }
      }
    }
    function onHead(text: string): void {
      const lines = text.split('\r\n')
      const match = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? '')
      if (!match) throw new TypeError(`Invalid HTTP status line ${JSON.stringify(lines[0])}`)
      const status = Number(match[1])
      const headers = new Headers()
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':')
        const name = line.slice(0, Math.max(colon, 0))
        if (!TOKEN.test(name))
          throw new TypeError(`Invalid HTTP header line ${JSON.stringify(line)}`)
        headers.append(name, line.slice(colon + 1).trim())
      }
      if (status < 200) {
        if (status === 101) throw new TypeError('Unexpected 101 Switching Protocols')
        return // 1xx informational: the real response follows
      }
      const framing = bodyFraming(method, status, headers)
      headers.delete('transfer-encoding')
      const hasBody = framing !== 'none'
      const stream = hasBody
        ? new ReadableStream<Uint8Array>(
            {
              start: (c) => {
                controller = c
              },
              pull: () => {
                socket.resume()
              },
              cancel: () => {
                cleanup()
              },
            },
            new ByteLengthQueuingStrategy({ highWaterMark: BODY_HIGH_WATER_MARK }),
          )
        : null
      const response = new Response(stream, { status, statusText: match[2] ?? '', headers })
      Object.defineProperty(response, 'url', { value: target.url.href })
      settled = true
      resolve(response)
      if (framing === 'none' || framing === 0) complete()
      else if (framing === 'chunked') state = 'chunk-size'
      else if (framing === 'close') state = 'close'
      else {
        state = 'length'
        remaining = framing
      }
    }
  })
}

/** How the response body is delimited (RFC 9112 §6.3); framing errors throw. */
function bodyFraming(
  method: string,
  status: number,
  headers: Headers,
): 'none' | 'chunked' | 'close' | number {
  const transferEncoding = headers.get('transfer-encoding')
  const contentLength = headers.get('content-length')
  if (method === 'HEAD' || status === 204 || status === 304) return 'none'
  if (transferEncoding !== null) {
    if (contentLength !== null) {
      throw new TypeError('Invalid response: both transfer-encoding and content-length')
    }
    const codings = transferEncoding
      .split(',')
      .map((coding) => coding.trim().toLowerCase())
      .filter((coding) => coding !== '')
    if (codings.length !== 1 || codings[0] !== 'chunked') {
      throw new TypeError(`Unsupported transfer-encoding: ${transferEncoding}`)
    }
    return 'chunked'
  }
  if (contentLength !== null) {
    const values = new Set(contentLength.split(',').map((value) => value.trim()))
    const [value] = [...values]
    if (values.size !== 1 || value === undefined || !/^\d{1,15}$/.test(value)) {
      throw new TypeError(`Invalid content-length: ${contentLength}`)
    }
    return Number(value)
  }
  return 'close'
}

function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done)
      socket.off('close', done)
      resolve()
    }
    socket.on('drain', done)
    socket.on('close', done)
  })
}
