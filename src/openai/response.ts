/**
 * @module
 * Anthropic Messages answers → OpenAI chat-completions answers (pure). `toChatCompletion` maps a
 * whole message; `createChatStreamTransform` maps an Anthropic SSE stream event by event as the
 * bytes arrive (lines are split across chunk boundaries (`dialects/sse-lines.ts`)). Text becomes
 * `content`, `tool_use` blocks become `tool_calls` numbered among tool calls only, thinking and
 * ping events are dropped, and usage counts cache writes and reads as prompt tokens.
 */
import { openAIErrorCode, openAIErrorType } from './errors.ts'

/** OpenAI `usage` of a completion. */
export interface ChatUsage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
  prompt_tokens_details: { cached_tokens: number }
  completion_tokens_details: { reasoning_tokens: number }
}

/** An OpenAI tool call. */
export interface ChatToolCall {
  id: string
  type: 'function'
  function: { name: string; arguments: string }
}

/** An OpenAI `chat.completion`. */
export interface ChatCompletion {
  id: string
  object: 'chat.completion'
  created: number
  model: string
  choices: Array<{
    index: 0
    message: {
      role: 'assistant'
      content: string | null
      tool_calls?: ChatToolCall[]
      refusal: null
    }
    finish_reason: FinishReason
    logprobs: null
  }>
  usage: ChatUsage
}

/** OpenAI finish reasons we produce. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter'

/** Anthropic `stop_reason` → OpenAI `finish_reason`. */
export function finishReason(stopReason: unknown): FinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length'
    case 'tool_use':
      return 'tool_calls'
    case 'refusal':
      return 'content_filter'
    default:
      return 'stop'
  }
}

/** Anthropic `usage` → OpenAI `usage` (prompt tokens include cache writes and reads). */
export function chatUsage(usage: unknown): ChatUsage {
  const u = isObject(usage) ? usage : {}
  const input = count(u.input_tokens)
  const cacheWrite = count(u.cache_creation_input_tokens)
  const cacheRead = count(u.cache_read_input_tokens)
  const output = count(u.output_tokens)
  const prompt = input + cacheWrite + cacheRead
  return {
    prompt_tokens: prompt,
    completion_tokens: output,
    total_tokens: prompt + output,
    prompt_tokens_details: { cached_tokens: cacheRead },
    completion_tokens_details: { reasoning_tokens: 0 },
  }
}

/** A whole Anthropic message → a `chat.completion` answering for `requestedModel`. */
export function toChatCompletion(
  message: unknown,
  requestedModel: string,
  now: number = Date.now(),
): ChatCompletion {
  const m = isObject(message) ? message : {}
  const texts: string[] = []
  const calls: ChatToolCall[] = []
  for (const block of Array.isArray(m.content) ? m.content : []) {
    if (!isObject(block)) continue
    if (block.type === 'text' && typeof block.text === 'string') texts.push(block.text)
    else if (block.type === 'tool_use')
      calls.push({
        id: String(block.id ?? ''),
        type: 'function',
        function: { name: String(block.name ?? ''), arguments: JSON.stringify(block.input ?? {}) },
      })
  }
  const msg: ChatCompletion['choices'][number]['message'] = {
    role: 'assistant',
    content: texts.length > 0 ? texts.join('') : null,
    refusal: null,
  }
  if (calls.length > 0) msg.tool_calls = calls
  return {
    id: completionId(m.id),
    object: 'chat.completion',
    created: Math.floor(now / 1000),
    model: requestedModel,
    choices: [
      { index: 0, message: msg, finish_reason: finishReason(m.stop_reason), logprobs: null },
    ],
    usage: chatUsage(m.usage),
  }
}

/** Options of {@link createChatStreamTransform}. */
export interface ChatStreamOptions {
  /** The model the client asked for (echoed in every chunk). */
  model: string
  /** `stream_options.include_usage`: send a final chunk with `choices: []` and `usage`. */
  includeUsage?: boolean
  /** Clock for `created` (ms). */
  now?: number
  /**
   * While upstream events produce no chunk (pings, thinking), an SSE comment is sent at most this
   * often (ms) so idle-timeouts between the client and us do not fire. 0 disables; default 15 s.
   */
  keepAliveMs?: number
}

const encoder = new TextEncoder()

/** Anthropic SSE bytes → OpenAI `chat.completion.chunk` SSE bytes, ending with `data: [DONE]`. */
export function createChatStreamTransform(
  options: ChatStreamOptions,
): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder()
  const created = Math.floor((options.now ?? Date.now()) / 1000)
  const includeUsage = options.includeUsage === true
  let pending = ''
  let id = ''
  let started = false
  /** How the answer ended; written out only when the source ends (see flush). */
  let outcome:
    | { kind: 'stop' }
    | { kind: 'error'; type: string; message: string; code: string | null }
    | null = null
  let toolCount = 0
  const toolIndex = new Map<number, number>()
  const usage: Record<string, number> = {}
  const keepAliveMs = options.keepAliveMs ?? 15_000
  let lastSent = Date.now()

  const chunk = (delta: Record<string, unknown>, finish: FinishReason | null = null) => {
    const out: Record<string, unknown> = {
      id,
      object: 'chat.completion.chunk',
      created,
      model: options.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    }
    if (includeUsage) out.usage = null
    return out
  }

  return new TransformStream<Uint8Array, Uint8Array>({
    transform(bytes, controller) {
      const data = pending + decoder.decode(bytes, { stream: true })
      const end = data.lastIndexOf('\n')
      if (end < 0) {
        pending = data
        return
      }
      pending = data.slice(end + 1)
      for (const line of data.slice(0, end).split('\n')) handleLine(line, controller)
      keepAlive(controller)
    },
    flush(controller) {
      const rest = pending + decoder.decode()
      pending = ''
      for (const line of rest.split('\n')) handleLine(line, controller)
      // The end is sent only now, after the relay has seen its upstream end and recorded the
      // request: clients close the connection on [DONE], which must not count as an abort.
      const end = outcome ?? {
        kind: 'error' as const,
        type: 'server_error',
        message: 'The upstream stream ended before the answer was complete',
        code: null,
      }
      if (end.kind === 'stop') {
        if (includeUsage)
          send(controller, {
            id,
            object: 'chat.completion.chunk',
            created,
            model: options.model,
            choices: [],
            usage: chatUsage(usage),
          })
      } else
        send(controller, {
          error: { message: end.message, type: end.type, param: null, code: end.code },
        })
      controller.enqueue(encoder.encode('data: [DONE]\n\n'))
    },
  })

  function send(controller: TransformStreamDefaultController<Uint8Array>, value: unknown) {
    lastSent = Date.now()
    controller.enqueue(encoder.encode(`data: ${JSON.stringify(value)}\n\n`))
  }

  function keepAlive(controller: TransformStreamDefaultController<Uint8Array>) {
    if (keepAliveMs <= 0 || Date.now() - lastSent < keepAliveMs) return
    lastSent = Date.now()
    controller.enqueue(encoder.encode(': keep-alive\n\n'))
  }

  function start(controller: TransformStreamDefaultController<Uint8Array>, messageId: unknown) {
    if (started) return
    started = true
    id = completionId(messageId)
    send(controller, chunk({ role: 'assistant', content: '' }))
  }

  function handleLine(rawLine: string, controller: TransformStreamDefaultController<Uint8Array>) {
    if (outcome) return
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine
    if (!line.startsWith('data:')) return
    const payload = line.slice(5).trim()
    if (!payload || payload === '[DONE]') return
    let ev: Record<string, unknown>
    try {
      const parsed: unknown = JSON.parse(payload)
      if (!isObject(parsed)) return
      ev = parsed
    } catch {
      return
    }
    switch (ev.type) {
      case 'message_start': {
        const msg = isObject(ev.message) ? ev.message : {}
        addUsage(usage, msg.usage)
        start(controller, msg.id)
        break
      }
      case 'content_block_start': {
        start(controller, undefined)
        const block = isObject(ev.content_block) ? ev.content_block : {}
        const blockIndex = count(ev.index)
        if (block.type === 'text') {
          if (typeof block.text === 'string' && block.text)
            send(controller, chunk({ content: block.text }))
        } else if (block.type === 'tool_use') {
          const index = toolCount++
          toolIndex.set(blockIndex, index)
          const input = isObject(block.input) && Object.keys(block.input).length > 0
          send(
            controller,
            chunk({
              tool_calls: [
                {
                  index,
                  id: String(block.id ?? ''),
                  type: 'function',
                  function: {
                    name: String(block.name ?? ''),
                    arguments: input ? JSON.stringify(block.input) : '',
                  },
                },
              ],
            }),
          )
        }
        break
      }
      case 'content_block_delta': {
        const delta = isObject(ev.delta) ? ev.delta : {}
        if (delta.type === 'text_delta' && typeof delta.text === 'string') {
          if (delta.text) send(controller, chunk({ content: delta.text }))
        } else if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string') {
          const index = toolIndex.get(count(ev.index))
          if (index !== undefined && delta.partial_json)
            send(
              controller,
              chunk({ tool_calls: [{ index, function: { arguments: delta.partial_json } }] }),
            )
        }
        break
      }
      case 'message_delta': {
        addUsage(usage, ev.usage)
        const delta = isObject(ev.delta) ? ev.delta : {}
        start(controller, undefined)
        send(controller, chunk({}, finishReason(delta.stop_reason)))
        break
      }
      case 'message_stop':
        outcome = { kind: 'stop' }
        break
      case 'error': {
        const err = isObject(ev.error) ? ev.error : {}
        const type = typeof err.type === 'string' ? err.type : 'api_error'
        const message = typeof err.message === 'string' ? err.message : 'Upstream error'
        outcome = {
          kind: 'error',
          type: openAIErrorType(type),
          message,
          code: openAIErrorCode(type),
        }
        break
      }
      // ping, content_block_stop, thinking/signature deltas: nothing to send
    }
  }
}

/** Adds an Anthropic usage object into running totals (counts are cumulative: keep the max). */
function addUsage(into: Record<string, number>, raw: unknown): void {
  if (!isObject(raw)) return
  for (const k of [
    'input_tokens',
    'output_tokens',
    'cache_creation_input_tokens',
    'cache_read_input_tokens',
  ]) {
    const v = count(raw[k])
    if (v > (into[k] ?? 0)) into[k] = v
  }
}

function completionId(messageId: unknown): string {
  return `chatcmpl-${typeof messageId === 'string' && messageId ? messageId : crypto.randomUUID()}`
}

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
