/**
 * Benchmark upstream: a minimal Anthropic Messages server (its own process, PORT from the
 * environment). A streaming answer is 50 SSE events; the model name selects variants:
 * `bench-delay-<ms>` waits before the first byte, `bench-5mb` streams 5 MB of text, `bench-300`
 * streams 300 events (the length of a typical Claude Code answer, in 30 writes), `bench-slow-<n>`
 * sends one text delta a second for n seconds (a long answer that keeps a connection open).
 */
const enc = new TextEncoder()
const ev = (e: string, d: unknown) => `event: ${e}\ndata: ${JSON.stringify(d)}\n\n`
const usage = {
  input_tokens: 25,
  output_tokens: 1,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
}

function events(model: string, deltas: number, text: string): string[] {
  const out = [
    ev('message_start', {
      type: 'message_start',
      message: {
        id: 'msg_bench',
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        usage,
      },
    }),
    ev('content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    }),
  ]
  for (let i = 0; i < deltas; i++)
    out.push(
      ev('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text },
      }),
    )
  out.push(
    ev('content_block_stop', { type: 'content_block_stop', index: 0 }),
    ev('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn' },
      usage: { output_tokens: deltas },
    }),
    ev('message_stop', { type: 'message_stop' }),
  )
  return out
}

// 50 events in total: 5 framing events + 45 deltas, sent in 5 writes.
const STREAM = (() => {
  const all = events('claude-sonnet-4-6', 45, 'hello world ')
  const chunks: Uint8Array[] = []
  for (let i = 0; i < all.length; i += 10) chunks.push(enc.encode(all.slice(i, i + 10).join('')))
  return chunks
})()
const LONG = (() => {
  const all = events('claude-sonnet-4-6', 295, 'some code ')
  const chunks: Uint8Array[] = []
  for (let i = 0; i < all.length; i += 10) chunks.push(enc.encode(all.slice(i, i + 10).join('')))
  return chunks
})()
const BIG = (() => {
  const piece = 'x'.repeat(16 * 1024)
  const all = events('claude-sonnet-4-6', 320, piece) // ≈ 5 MB
  return all.map((e) => enc.encode(e))
})()
// Gemini (`…:streamGenerateContent?alt=sse`): 50 events, each with the running usage, in 5 writes.
const GEMINI_STREAM = (() => {
  const all: string[] = []
  for (let i = 0; i < 50; i++)
    all.push(
      `data: ${JSON.stringify({
        candidates: [
          {
            content: { role: 'model', parts: [{ text: 'hello world ' }] },
            ...(i === 49 ? { finishReason: 'STOP' } : {}),
            index: 0,
          },
        ],
        usageMetadata: {
          promptTokenCount: 25,
          candidatesTokenCount: i + 1,
          totalTokenCount: 26 + i,
        },
        modelVersion: 'gemini-2.5-flash',
      })}\r\n\r\n`,
    )
  const chunks: Uint8Array[] = []
  for (let i = 0; i < all.length; i += 10) chunks.push(enc.encode(all.slice(i, i + 10).join('')))
  return chunks
})()
const JSON_BODY = JSON.stringify({
  id: 'msg_bench',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-6',
  content: [{ type: 'text', text: 'hello world '.repeat(45) }],
  stop_reason: 'end_turn',
  usage: { ...usage, output_tokens: 45 },
})

/** A Responses API stream (OpenAI accounts): 50 events as well, in 5 writes. */
const RESPONSES_STREAM = (() => {
  const base = { id: 'resp_bench', object: 'response', model: 'gpt-5' }
  const ev2 = (d: Record<string, unknown>) =>
    `event: ${String(d.type)}\ndata: ${JSON.stringify(d)}\n\n`
  const item = { id: 'msg_b', type: 'message', role: 'assistant', content: [] as unknown[] }
  const all = [
    ev2({ type: 'response.created', response: { ...base, status: 'in_progress', output: [] } }),
    ev2({ type: 'response.output_item.added', output_index: 0, item }),
  ]
  for (let i = 0; i < 45; i++)
    all.push(
      ev2({
        type: 'response.output_text.delta',
        item_id: 'msg_b',
        output_index: 0,
        content_index: 0,
        delta: 'hello world ',
      }),
    )
  const done = { ...item, content: [{ type: 'output_text', text: 'hello world '.repeat(45) }] }
  all.push(
    ev2({ type: 'response.output_text.done', item_id: 'msg_b', output_index: 0, content_index: 0 }),
    ev2({ type: 'response.output_item.done', output_index: 0, item: done }),
    ev2({
      type: 'response.completed',
      response: {
        ...base,
        status: 'completed',
        output: [done],
        usage: { input_tokens: 25, input_tokens_details: { cached_tokens: 0 }, output_tokens: 45 },
      },
    }),
  )
  const chunks: Uint8Array[] = []
  for (let i = 0; i < all.length; i += 10) chunks.push(enc.encode(all.slice(i, i + 10).join('')))
  return chunks
})()

function streamOf(chunks: Uint8Array[], delayMs: number): ReadableStream<Uint8Array> {
  let i = 0
  return new ReadableStream({
    async pull(c) {
      if (i === 0 && delayMs > 0) await Bun.sleep(delayMs)
      const next = chunks[i++]
      if (next) c.enqueue(next)
      else c.close()
    },
  })
}

/** One delta a second for `seconds` seconds, framed like every other answer. */
function slowStream(seconds: number): ReadableStream<Uint8Array> {
  const all = events('claude-sonnet-4-6', seconds, 'tick ')
  const head = enc.encode(all.slice(0, 2).join(''))
  const deltas = all.slice(2, 2 + seconds).map((e) => enc.encode(e))
  const tail = enc.encode(all.slice(2 + seconds).join(''))
  let i = -1
  return new ReadableStream({
    async pull(c) {
      if (i >= 0) await Bun.sleep(1000)
      const next = i < 0 ? head : i < deltas.length ? deltas[i] : i === deltas.length ? tail : null
      i++
      if (next) c.enqueue(next)
      else c.close()
    },
  })
}

const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: '127.0.0.1',
  idleTimeout: 0,
  async fetch(req) {
    const text = await req.text()
    if (req.url.includes(':streamGenerateContent'))
      return new Response(streamOf(GEMINI_STREAM, 0), {
        headers: { 'content-type': 'text/event-stream' },
      })
    const head = text.slice(0, 300)
    const model = /"model"\s*:\s*"([^"]+)"/.exec(head)?.[1] ?? ''
    const stream = /"stream"\s*:\s*true/.test(text.length > 4096 ? text.slice(-300) + head : text)
    const delay = model.startsWith('bench-delay-') ? Number(model.slice(12)) : 0
    if (!stream) {
      if (delay) await Bun.sleep(delay)
      return new Response(JSON_BODY, { headers: { 'content-type': 'application/json' } })
    }
    if (req.url.endsWith('/responses'))
      return new Response(streamOf(RESPONSES_STREAM, delay), {
        headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
      })
    if (model.startsWith('bench-slow-'))
      return new Response(slowStream(Number(model.slice(11))), {
        headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
      })
    const chunks = model === 'bench-5mb' ? BIG : model === 'bench-300' ? LONG : STREAM
    return new Response(streamOf(chunks, delay), {
      headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
    })
  },
})
console.log(`READY ${server.port}`)
