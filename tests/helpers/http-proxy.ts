/** A counting HTTP forward proxy (absolute-form requests and CONNECT), no authentication. */
import http from 'node:http'
import net, { type Socket } from 'node:net'

/** A running proxy: its port and how many requests it carried. */
export interface CountingProxy {
  port: number
  readonly count: number
  /** What it carried: the path (and query) of each plain request, `host:port` of each tunnel. */
  readonly carried: string[]
  stop(): void
}

/** Starts the proxy on a free loopback port. */
export async function startCountingProxy(): Promise<CountingProxy> {
  let count = 0
  const carried: string[] = []
  const server = http.createServer((req, res) => {
    count++
    const url = new URL(req.url ?? '')
    carried.push(url.pathname + url.search)
    const headers = { ...req.headers }
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
    req.pipe(upstream)
  })
  server.on('connect', (req: http.IncomingMessage, client: Socket, head: Buffer) => {
    count++
    carried.push(req.url ?? '')
    const [host, port] = (req.url ?? '').split(':')
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    get count() {
      return count
    },
    carried,
    stop: () => void server.close(),
  }
}
