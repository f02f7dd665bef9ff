/**
 * @module
 * OpenAI chat completions on Gemini accounts: a validated chat request (`openai/model.ts`) as a
 * Gemini `generateContent` request (system and developer messages as `systemInstruction`, images
 * as `inlineData`, tool calls and results as `functionCall` / `functionResponse` parts, sampling
 * and JSON output in `generationConfig`), and Gemini answers back in OpenAI's shape: a whole
 * `chat.completion`, or a `chat.completion.chunk` stream ending with `data: [DONE]`.
 */

import { unwrapResponse } from '../dialects/gemini/usage.ts'
import { SseDataReader } from '../dialects/sse-lines.ts'
import type { ChatCompletionRequest } from './model.ts'
import { parseImageDataUrl } from './model.ts'

type Obj = Record<string, unknown>
const encoder = new TextEncoder()

function textOf(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content.map((p) => (typeof p?.text === 'string' ? p.text : '')).join('')
}

function argsOf(json: string): Obj {
  try {
    const v = JSON.parse(json || '{}') as unknown
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : { value: v }
  } catch {
    return { arguments: json }
  }
}

/** The Gemini request of a chat request. */
export function toGeminiRequest(body: ChatCompletionRequest): Obj {
  const system: string[] = []
  const contents: { role: string; parts: Obj[] }[] = []
  const toolNames = new Map<string, string>()
  const push = (role: string, parts: Obj[]) => {
    if (parts.length === 0) return
    const last = contents.at(-1)
    if (last && last.role === role) last.parts.push(...parts)
    else contents.push({ role, parts })
  }
  for (const m of body.messages) {
    if (m.role === 'system' || m.role === 'developer') {
      system.push(textOf(m.content))
    } else if (m.role === 'user') {
      const parts: Obj[] = []
      if (typeof m.content === 'string') parts.push({ text: m.content })
      else
        for (const p of m.content) {
          if (p.type === 'text') parts.push({ text: p.text })
          else {
            const img = parseImageDataUrl(p.image_url.url)
            if (img) parts.push({ inlineData: { mimeType: img.mediaType, data: img.data } })
          }
        }
      push('user', parts)
    } else if (m.role === 'assistant') {
      const parts: Obj[] = []
      const text = textOf(m.content)
      if (text) parts.push({ text })
      for (const c of m.tool_calls ?? []) {
        toolNames.set(c.id, c.function.name)
        parts.push({ functionCall: { name: c.function.name, args: argsOf(c.function.arguments) } })
      }
      push('model', parts)
    } else if (m.role === 'tool') {
      const name = toolNames.get(m.tool_call_id) ?? m.tool_call_id
      push('user', [{ functionResponse: { name, response: { content: textOf(m.content) } } }])
    }
  }
  const out: Obj = { contents }
  if (system.length) out.systemInstruction = { parts: [{ text: system.join('\n\n') }] }
  const config: Obj = {}
  if (body.temperature !== undefined) config.temperature = body.temperature
  if (body.top_p !== undefined) config.topP = body.top_p
  const max = body.max_completion_tokens ?? body.max_tokens
  if (max !== undefined) config.maxOutputTokens = max
  if (body.stop !== undefined)
    config.stopSequences = Array.isArray(body.stop) ? body.stop : [body.stop]
  const fmt = body.response_format
  if (fmt?.type === 'json_object') config.responseMimeType = 'application/json'
  if (fmt?.type === 'json_schema') {
    config.responseMimeType = 'application/json'
    if (fmt.json_schema.schema) config.responseJsonSchema = fmt.json_schema.schema
  }
  if (Object.keys(config).length) out.generationConfig = config
  if (body.tools?.length) {
    out.tools = [
      {
        functionDeclarations: body.tools.map((t) => ({
          name: t.function.name,
          ...(t.function.description ? { description: t.function.description } : {}),
          ...(t.function.parameters ? { parametersJsonSchema: t.function.parameters } : {}),
        })),
      },
    ]
    const choice = body.tool_choice
    if (choice === 'none') out.toolConfig = { functionCallingConfig: { mode: 'NONE' } }
    else if (choice === 'required') out.toolConfig = { functionCallingConfig: { mode: 'ANY' } }
    else if (typeof choice === 'object')
      out.toolConfig = {
        functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] },
      }
  }
  return out
}

/** OpenAI's finish reason of a Gemini one. */
export function finishReasonOf(reason: unknown, toolCalls: boolean): string | null {
  if (reason === undefined || reason === null) return null
  if (toolCalls) return 'tool_calls'
  if (reason === 'STOP') return 'stop'
  if (reason === 'MAX_TOKENS') return 'length'
  return reason === 'SAFETY' ||
    reason === 'RECITATION' ||
    reason === 'BLOCKLIST' ||
    reason === 'PROHIBITED_CONTENT' ||
    reason === 'SPII'
    ? 'content_filter'
    : 'stop'
}

/** OpenAI usage of a Gemini `usageMetadata`. */
export function chatUsageOf(meta: unknown): Obj | undefined {
  if (!meta || typeof meta !== 'object') return undefined
  const m = meta as Record<string, number | undefined>
  const prompt = (m.promptTokenCount ?? 0) + (m.toolUsePromptTokenCount ?? 0)
  const completion = (m.candidatesTokenCount ?? 0) + (m.thoughtsTokenCount ?? 0)
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: m.cachedContentTokenCount ?? 0 },
    completion_tokens_details: { reasoning_tokens: m.thoughtsTokenCount ?? 0 },
  }
}

interface Collected {
  text: string
  calls: { name: string; args: unknown }[]
  finish: unknown
}

function collect(ev: Obj | null, into: Collected): void {
  const cand = (Array.isArray(ev?.candidates) ? ev.candidates[0] : null) as Obj | null
  if (!cand) return
  if (cand.finishReason) into.finish = cand.finishReason
  const parts = (cand.content as { parts?: unknown } | undefined)?.parts
  for (const p of (Array.isArray(parts) ? parts : []) as Obj[]) {
    if (typeof p.text === 'string' && !p.thought) into.text += p.text
    const fc = p.functionCall as { name?: unknown; args?: unknown } | undefined
    if (fc && typeof fc.name === 'string') into.calls.push({ name: fc.name, args: fc.args ?? {} })
  }
}

function toolCallsOf(calls: Collected['calls'], id: string) {
  return calls.map((c, i) => ({
    id: `call_${id.slice(-8)}_${i}`,
    type: 'function',
    function: { name: c.name, arguments: JSON.stringify(c.args) },
  }))
}

/** A whole Gemini answer (or a non-SSE stream's array) as a `chat.completion`. */
export function toChatCompletionFromGemini(answer: unknown, model: string, id: string): Obj {
  const list = (Array.isArray(answer) ? answer : [answer]).map(unwrapResponse)
  const c: Collected = { text: '', calls: [], finish: undefined }
  let usage: unknown
  for (const ev of list) {
    collect(ev, c)
    if (ev?.usageMetadata) usage = ev.usageMetadata
  }
  const message: Obj = { role: 'assistant', content: c.text || (c.calls.length ? null : '') }
  if (c.calls.length) message.tool_calls = toolCallsOf(c.calls, id)
  return {
    id: `chatcmpl-${id}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message,
        finish_reason: finishReasonOf(c.finish ?? 'STOP', c.calls.length > 0),
      },
    ],
    usage: chatUsageOf(usage),
  }
}

/** Turns a Gemini SSE stream into OpenAI `chat.completion.chunk` events. */
export function createGeminiChatStreamTransform(options: {
  model: string
  id: string
  includeUsage: boolean
}): TransformStream<Uint8Array, Uint8Array> {
  const { model, id, includeUsage } = options
  const created = Math.floor(Date.now() / 1000)
  let started = false
  let calls = 0
  let finish: unknown
  let usage: unknown
  let done = false
  let reader: SseDataReader
  const frame = (choices: Obj[], extra: Obj = {}) =>
    encoder.encode(
      `data: ${JSON.stringify({
        id: `chatcmpl-${id}`,
        object: 'chat.completion.chunk',
        created,
        model,
        choices,
        ...extra,
      })}\n\n`,
    )
  const chunk = (delta: Obj, finishReason: string | null = null) =>
    frame([{ index: 0, delta, finish_reason: finishReason }])
  return new TransformStream({
    start(controller) {
      reader = new SseDataReader((payload) => {
        let ev: Obj | null
        try {
          ev = unwrapResponse(JSON.parse(payload))
        } catch {
          return
        }
        if (ev && 'error' in ev) {
          controller.enqueue(encoder.encode(`data: ${JSON.stringify({ error: ev.error })}\n\n`))
          return
        }
        if (!started) {
          started = true
          controller.enqueue(chunk({ role: 'assistant', content: '' }))
        }
        if (ev?.usageMetadata) usage = ev.usageMetadata
        const c: Collected = { text: '', calls: [], finish: undefined }
        collect(ev, c)
        if (c.finish) finish = c.finish
        if (c.text) controller.enqueue(chunk({ content: c.text }))
        if (c.calls.length) {
          const list = toolCallsOf(c.calls, id).map((t, i) => ({ index: calls + i, ...t }))
          calls += c.calls.length
          controller.enqueue(chunk({ tool_calls: list }))
        }
      })
    },
    transform(bytes) {
      reader.push(bytes)
    },
    flush(controller) {
      reader.close()
      if (done) return
      done = true
      if (finish !== undefined) controller.enqueue(chunk({}, finishReasonOf(finish, calls > 0)))
      if (includeUsage) controller.enqueue(frame([], { usage: chatUsageOf(usage) ?? null }))
      controller.enqueue(encoder.encode('data: [DONE]\n\n'))
    },
  })
}
