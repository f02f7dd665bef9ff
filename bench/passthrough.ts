/**
 * Benchmark baseline: the thinnest proxy Bun allows (its own process, PORT and UPSTREAM from the
 * environment). No auth, limits, accounting or history: it forwards the body and answers with the
 * upstream response object as is. The bench prints it between direct and the relay, so the
 * relay's cost reads against what the runtime itself costs.
 */
const upstream = process.env.UPSTREAM ?? ''
const proxy = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: '127.0.0.1',
  idleTimeout: 0,
  async fetch(req) {
    const u = new URL(req.url)
    const res = await fetch(`${upstream}${u.pathname}${u.search}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-bench' },
      body: await req.arrayBuffer(),
    })
    return new Response(res.body, { status: res.status, headers: res.headers })
  },
})
console.log(`READY ${proxy.port}`)
