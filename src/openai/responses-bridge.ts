/**
 * @module
 * Chat Completions ↔ Responses, for chat clients whose model an OpenAI account serves (the
 * unified `/v1/chat/completions` routes). The request becomes a Responses request: system
 * messages become the `instructions` (the client's own words, kept), the other messages input
 * items (text, images, tool calls and tool results), tools, tool choice, token limit, reasoning
 * effort and response format their Responses forms. The answer becomes a `chat.completion`, and a
 * Responses event stream becomes `chat.completion.chunk` events ending in `[DONE]`, with the
 * usage chunk when the client asked for it.
 */
import { SseDataReader } from '../dialects/sse-lines.ts'

type Obj = Record<string, unknown>

const str = (v: unknown) => (typeof v === 'string' ? v : '')

/** The text of a chat message's content (string or parts). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return (content as Obj[])
    .map((p) => (p?.type === 'text' ? str(p.text) : ''))
    .filter(Boolean)
    .join('\n')
}

/** A user message's content as Responses input parts. */
function userParts(content: unknown): unknown {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return (content as Obj[]).map((p) => {
    if (p?.type === 'image_url') {
      const img = p.image_url as Obj | string
      const url = typeof img === 'string' ? img : str(img?.url)
      const detail = typeof img === 'object' ? str(img?.detail) : ''
      return { type: 'input_image', image_url: url, ...(detail ? { detail } : {}) }
    }
    return { type: 'input_text', text: str(p?.text) }
  })
}

/** A Chat Completions request as a Responses request. */
export function chatToResponses(chat: Obj): Obj {
  const instructions: string[] = []
  const input: Obj[] = []
  for (const m of (Array.isArray(chat.messages) ? chat.messages : []) as Obj[]) {
    switch (m?.role) {
      case 'system':
        instructions.push(textOf(m.content))
        break
      case 'developer':
        input.push({ role: 'developer', content: textOf(m.content) })
        break
      case 'user':
        input.push({ role: 'user', content: userParts(m.content) })
        break
      case 'assistant': {
        const text = textOf(m.content)
        if (text) input.push({ role: 'assistant', content: text })
        for (const tc of (Array.isArray(m.tool_calls) ? m.tool_calls : []) as Obj[]) {
          const fn = (tc.function ?? {}) as Obj
          input.push({
            type: 'function_call',
            call_id: str(tc.id),
            name: str(fn.name),
            arguments: str(fn.arguments) || '{}',
          })
        }
        break
      }
      case 'tool':
        input.push({
          type: 'function_call_output',
          call_id: str(m.tool_call_id),
          output: textOf(m.content),
        })
        break
    }
  }
  const out: Obj = { model: chat.model, input }
  if (instructions.length) out.instructions = instructions.join('\n\n')
  if (chat.stream === true) out.stream = true
  const max = chat.max_completion_tokens ?? chat.max_tokens
  if (typeof max === 'number') out.max_output_tokens = max
  for (const f of ['temperature', 'top_p', 'user', 'parallel_tool_calls', 'store', 'metadata'])
    if (chat[f] !== undefined) out[f] = chat[f]
  if (typeof chat.reasoning_effort === 'string') out.reasoning = { effort: chat.reasoning_effort }
  if (Array.isArray(chat.tools))
    out.tools = (chat.tools as Obj[]).map((t) => {
      const fn = (t.function ?? {}) as Obj
      return {
        type: 'function',
        name: fn.name,
        ...(fn.description !== undefined ? { description: fn.description } : {}),
        parameters: fn.parameters ?? { type: 'object', properties: {} },
        ...(fn.strict !== undefined ? { strict: fn.strict } : {}),
      }
    })
  const tc = chat.tool_choice
  if (typeof tc === 'string') out.tool_choice = tc
  else if (tc && typeof tc === 'object')
    out.tool_choice = { type: 'function', name: str(((tc as Obj).function as Obj)?.name) }
  const rf = chat.response_format as Obj | undefined
  if (rf?.type === 'json_object') out.text = { format: { type: 'json_object' } }
  else if (rf?.type === 'json_schema') {
    const js = (rf.json_schema ?? {}) as Obj
    out.text = {
      format: {
        type: 'json_schema',
        name: js.name ?? 'response',
        schema: js.schema ?? {},
        ...(js.strict !== undefined ? { strict: js.strict } : {}),
      },
    }
  }
  return out
}

/** Responses usage as Chat Completions usage. */
export function chatUsageOf(u: unknown): Obj | null {
  if (!u || typeof u !== 'object') return null
  const x = u as Obj
  const input = Number(x.input_tokens ?? 0)
  const output = Number(x.output_tokens ?? 0)
  const cached = Number((x.input_tokens_details as Obj | undefined)?.cached_tokens ?? 0)
  const reasoning = Number((x.output_tokens_details as Obj | undefined)?.reasoning_tokens ?? 0)
  return {
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: Number(x.total_tokens ?? input + output),
    prompt_tokens_details: { cached_tokens: cached },
    completion_tokens_details: { reasoning_tokens: reasoning },
  }
}

function finishOf(resp: Obj, hasTools: boolean): string {
  if (hasTools) return 'tool_calls'
  const reason = str((resp.incomplete_details as Obj | undefined)?.reason)
  if (resp.status === 'incomplete') return reason === 'content_filter' ? 'content_filter' : 'length'
  return 'stop'
}

/** A Responses answer as a `chat.completion`. */
export function responsesToChat(resp: Obj, model: string): Obj {
  let text = ''
  const toolCalls: Obj[] = []
  for (const item of (Array.isArray(resp.output) ? resp.output : []) as Obj[]) {
    if (item?.type === 'message' && Array.isArray(item.content))
      for (const p of item.content as Obj[]) if (p?.type === 'output_text') text += str(p.text)
    if (item?.type === 'function_call')
      toolCalls.push({
        id: str(item.call_id) || str(item.id),
        type: 'function',
        function: { name: str(item.name), arguments: str(item.arguments) },
      })
  }
  const usage = chatUsageOf(resp.usage)
  return {
    id: `chatcmpl-${str(resp.id) || 'relay'}`,
    object: 'chat.completion',
    created: Number(resp.created_at) || Math.floor(Date.now() / 1000),
    model: str(resp.model) || model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: toolCalls.length && !text ? null : text,
          refusal: null,
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: finishOf(resp, toolCalls.length > 0),
      },
    ],
    ...(usage ? { usage } : {}),
  }
}

/** The `chat.completion.chunk` stream of a Responses event stream. */
export function createResponsesToChatStream(options: {
  model: string
  includeUsage: boolean
}): TransformStream<Uint8Array, Uint8Array> {
  const enc = new TextEncoder()
  let id = 'chatcmpl-relay'
  let model = options.model
  let created = Math.floor(Date.now() / 1000)
  let started = false
  let ended = false
  /** Output index of each function call → its tool_calls index. */
  const tools = new Map<number, number>()
  let out: TransformStreamDefaultController<Uint8Array> | null = null
  const send = (data: unknown) => out?.enqueue(enc.encode(`data: ${JSON.stringify(data)}\n\n`))
  const chunk = (delta: Obj, finish: string | null = null, usage?: Obj | null) =>
    send({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(options.includeUsage ? { usage: usage ?? null } : {}),
    })
  const start = () => {
    if (started) return
    started = true
    chunk({ role: 'assistant', content: '' })
  }
  const finish = (resp: Obj) => {
    if (ended) return
    ended = true
    start()
    chunk({}, finishOf(resp, tools.size > 0))
    if (options.includeUsage)
      send({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [],
        usage: chatUsageOf(resp.usage),
      })
    out?.enqueue(enc.encode('data: [DONE]\n\n'))
  }
  const onEvent = (payload: string) => {
    let ev: Obj
    try {
      ev = JSON.parse(payload) as Obj
    } catch {
      return
    }
    const resp = (ev.response ?? {}) as Obj
    switch (ev.type) {
      case 'response.created':
        id = `chatcmpl-${str(resp.id) || 'relay'}`
        model = str(resp.model) || model
        created = Number(resp.created_at) || created
        start()
        break
      case 'response.output_text.delta':
        start()
        chunk({ content: str(ev.delta) })
        break
      case 'response.output_item.added': {
        const item = (ev.item ?? {}) as Obj
        if (item.type !== 'function_call') break
        start()
        const index = tools.size
        tools.set(Number(ev.output_index ?? index), index)
        chunk({
          tool_calls: [
            {
              index,
              id: str(item.call_id) || str(item.id),
              type: 'function',
              function: { name: str(item.name), arguments: str(item.arguments) },
            },
          ],
        })
        break
      }
      case 'response.function_call_arguments.delta': {
        const index = tools.get(Number(ev.output_index ?? 0))
        if (index === undefined) break
        chunk({ tool_calls: [{ index, function: { arguments: str(ev.delta) } }] })
        break
      }
      case 'response.completed':
      case 'response.incomplete':
        finish(resp)
        break
      case 'response.failed':
      case 'error': {
        const e = (ev.type === 'error' ? ev : (resp.error ?? {})) as Obj
        if (ended) break
        ended = true
        send({
          error: {
            message: str(e.message) || 'The upstream response failed',
            type: 'server_error',
            param: null,
            code: str(e.code) || null,
          },
        })
        out?.enqueue(enc.encode('data: [DONE]\n\n'))
        break
      }
    }
  }
  const reader = new SseDataReader(onEvent)
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(bytes, controller) {
      out = controller
      reader.push(bytes)
    },
    flush(controller) {
      out = controller
      reader.close()
    },
  })
}
