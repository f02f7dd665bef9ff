/**
 * @module
 * Rebuilds the answer a client received from the captured text of an OpenAI stream, for history.
 * Responses: the final `response.completed` (or `incomplete` / `failed`) event carries the whole
 * response; when the capture ends before it (a cut stream, or a capture limit), the response is
 * put together from `response.created`, the output items and their text and argument deltas.
 * Chat Completions: the chunks' deltas become one `chat.completion` (text, tool calls, finish
 * reason, usage). Text beyond `textLimit` characters is left out and reported as cut.
 */
import { sseDataOf } from '../sse-lines.ts'

type Obj = Record<string, unknown>

/** Cuts the text of output items so all of them hold at most `limit` characters. */
function capOutput(output: unknown[], limit: number): boolean {
  let left = limit
  let cut = false
  for (const item of output as Obj[]) {
    const parts = Array.isArray(item?.content) ? (item.content as Obj[]) : []
    for (const p of parts) {
      if (typeof p?.text !== 'string') continue
      let t: string = p.text
      if (t.length > left) {
        t = t.slice(0, Math.max(0, left))
        p.text = t
        cut = true
      }
      left -= t.length
    }
  }
  return cut
}

const FINAL_TYPES = ['response.completed', 'response.incomplete', 'response.failed']

/** The final event's response, found without parsing the rest of the stream, or null. */
function finalResponse(text: string): Obj | null {
  for (const type of FINAL_TYPES) {
    const at = text.lastIndexOf(`"type":"${type}"`)
    if (at < 0) continue
    const start = text.lastIndexOf('\n', at) + 1
    const nl = text.indexOf('\n', at)
    const line = text.slice(start, nl < 0 ? text.length : nl).trim()
    if (!line.startsWith('data:')) continue
    try {
      const ev = JSON.parse(line.slice(5)) as Obj
      if (ev.type === type && ev.response && typeof ev.response === 'object')
        return ev.response as Obj
    } catch {
      // cut or odd: assembled from the events below
    }
  }
  return null
}

/** The Responses answer in a stream's text, or null when it holds no Responses events. */
export function assembleResponses(
  text: string,
  textLimit = Number.POSITIVE_INFINITY,
): { message: Obj; cut: boolean } | null {
  // A complete stream ends with the whole response: only that event is parsed.
  const whole = finalResponse(text)
  if (whole) {
    // Parsed here and seen by no one else: its parts are cut in place.
    const message: Obj = { ...whole }
    const output = (Array.isArray(whole.output) ? whole.output : []) as Obj[]
    message.output = output
    const cut = Number.isFinite(textLimit) ? capOutput(output, textLimit) : false
    return { message, cut }
  }
  let base: Obj | null = null
  let final: Obj | null = null
  let error: Obj | null = null
  const items: Obj[] = []
  for (const payload of sseDataOf(text)) {
    let ev: Obj
    try {
      ev = JSON.parse(payload) as Obj
    } catch {
      continue
    }
    const index = Number(ev.output_index ?? 0)
    switch (ev.type) {
      case 'response.created':
      case 'response.in_progress':
        base = (ev.response as Obj) ?? base
        break
      case 'response.completed':
      case 'response.incomplete':
      case 'response.failed':
      case 'response.done':
        final = (ev.response as Obj) ?? final
        break
      case 'response.output_item.added':
      case 'response.output_item.done':
        if (ev.item && typeof ev.item === 'object') items[index] = { ...(ev.item as Obj) }
        break
      case 'response.output_text.delta': {
        items[index] ??= { type: 'message', role: 'assistant', content: [] }
        const item = items[index]
        const content = (Array.isArray(item.content) ? item.content : []) as Obj[]
        item.content = content
        const ci = Number(ev.content_index ?? 0)
        content[ci] ??= { type: 'output_text', text: '' }
        const part = content[ci]
        part.text = String(part.text ?? '') + String(ev.delta ?? '')
        break
      }
      case 'response.function_call_arguments.delta': {
        items[index] ??= { type: 'function_call', arguments: '' }
        const item = items[index]
        item.arguments = String(item.arguments ?? '') + String(ev.delta ?? '')
        break
      }
      case 'error':
        error = ev
        break
    }
  }
  if (!base && !final && !error && items.length === 0) return null
  const message: Obj = final
    ? { ...final }
    : { ...(base ?? { object: 'response' }), output: items.filter(Boolean) }
  if (!Array.isArray(message.output)) message.output = []
  if (error) message.error = { code: error.code ?? null, message: error.message ?? '' }
  // Every object here was parsed by this call: parts are cut in place.
  const output = message.output as Obj[]
  const cut = Number.isFinite(textLimit) ? capOutput(output, textLimit) : false
  return { message, cut }
}

/** The text of a Responses answer (its `output_text` parts). */
export function responsesText(answer: unknown): string {
  const out = (answer as { output?: unknown } | null)?.output
  if (!Array.isArray(out)) return ''
  let text = ''
  for (const item of out as Obj[]) {
    if (item?.type !== 'message' || !Array.isArray(item.content)) continue
    for (const p of item.content as Obj[])
      if (p?.type === 'output_text' && typeof p.text === 'string') text += p.text
  }
  return text
}

/** The Chat Completions answer in a stream's text, or null when it holds no chunks. */
export function assembleChat(
  text: string,
  textLimit = Number.POSITIVE_INFINITY,
): { message: Obj; cut: boolean } | null {
  let head: Obj | null = null
  let content = ''
  let cut = false
  let finish: unknown = null
  let usage: unknown = null
  let error: unknown = null
  const calls: Obj[] = []
  for (const payload of sseDataOf(text)) {
    if (payload === '[DONE]') continue
    let ev: Obj
    try {
      ev = JSON.parse(payload) as Obj
    } catch {
      continue
    }
    if (ev.error) error = ev.error
    head ??= ev
    if (ev.usage) usage = ev.usage
    const choice = (Array.isArray(ev.choices) ? ev.choices[0] : null) as Obj | null
    if (!choice) continue
    if (choice.finish_reason) finish = choice.finish_reason
    const delta = (choice.delta ?? {}) as Obj
    if (typeof delta.content === 'string') {
      const room = textLimit - content.length
      if (delta.content.length > room) cut = true
      content += room > 0 ? delta.content.slice(0, room) : ''
    }
    if (Array.isArray(delta.tool_calls))
      for (const tc of delta.tool_calls as Obj[]) {
        const i = Number(tc.index ?? 0)
        const fn = (tc.function ?? {}) as Obj
        calls[i] ??= { id: '', type: 'function', function: { name: '', arguments: '' } }
        const call = calls[i]
        const f = call.function as Obj
        if (typeof tc.id === 'string') call.id = tc.id
        if (typeof fn.name === 'string') f.name = String(f.name) + fn.name
        if (typeof fn.arguments === 'string') f.arguments = String(f.arguments) + fn.arguments
      }
  }
  if (!head && !error) return null
  const message: Obj = {
    id: head?.id ?? null,
    object: 'chat.completion',
    created: head?.created ?? null,
    model: head?.model ?? null,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content,
          ...(calls.length ? { tool_calls: calls.filter(Boolean) } : {}),
        },
        finish_reason: finish,
      },
    ],
    ...(usage ? { usage } : {}),
    ...(error ? { error } : {}),
  }
  return { message, cut }
}

/** The text of a Chat Completions answer. */
export function chatText(answer: unknown): string {
  const choices = (answer as { choices?: unknown } | null)?.choices
  if (!Array.isArray(choices)) return ''
  const m = ((choices[0] as Obj | undefined)?.message ?? {}) as Obj
  return typeof m.content === 'string' ? m.content : ''
}
