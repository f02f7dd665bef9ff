/**
 * @module
 * OpenAI chat-completions request → Anthropic Messages request (pure). Input must have passed
 * `validateChatRequest`. What maps to what:
 * - system/developer messages (any position) → `system`, joined with blank lines, in order;
 * - user/assistant text and text parts → text; `image_url` data URLs → base64 image blocks;
 * - assistant `tool_calls` → `tool_use` blocks after the message's text;
 * - consecutive `tool` messages → one user message of `tool_result` blocks;
 * - `tools`, `tool_choice`, `parallel_tool_calls: false` → Anthropic tools / tool_choice;
 * - `stop` → `stop_sequences`; `max_completion_tokens` ?? `max_tokens` ?? 4096 → `max_tokens`;
 * - `temperature` clamped from OpenAI's 0–2 to Anthropic's 0–1; `top_p` copied;
 * - `response_format` json_object/json_schema → an instruction appended to the system prompt;
 * - `reasoning_effort` low/medium/high → extended thinking (1024/4096/16384 budget tokens);
 * - `user` → `metadata.user_id`.
 */
import type {
  AssistantMessage,
  ChatCompletionRequest,
  ChatMessage,
  ResponseFormat,
  ToolChoice,
} from './model.ts'
import { parseImageDataUrl } from './model.ts'

/** `max_tokens` when the request names none. */
export const DEFAULT_MAX_TOKENS = 4096

/** Extended-thinking budget for each `reasoning_effort`. */
export const THINKING_BUDGET = { low: 1024, medium: 4096, high: 16384 } as const

/** An Anthropic content block we produce. */
export type AnthropicBlock =
  | { type: 'text'; text: string }
  | { type: 'image'; source: { type: 'base64'; media_type: string; data: string } }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | {
      type: 'tool_result'
      tool_use_id: string
      content: string | Array<{ type: 'text'; text: string }>
    }

/** An Anthropic message. */
export interface AnthropicMessage {
  role: 'user' | 'assistant'
  content: string | AnthropicBlock[]
}

/** The Anthropic Messages request produced. */
export interface AnthropicRequest {
  model: string
  max_tokens: number
  system?: string
  messages: AnthropicMessage[]
  stream?: boolean
  temperature?: number
  top_p?: number
  stop_sequences?: string[]
  tools?: Array<{ name: string; description?: string; input_schema: Record<string, unknown> }>
  tool_choice?:
    | { type: 'none' }
    | { type: 'auto' | 'any'; disable_parallel_tool_use?: boolean }
    | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }
  thinking?: { type: 'enabled'; budget_tokens: number }
  metadata?: { user_id: string }
}

/** Translates a validated chat-completions request into an Anthropic Messages request. */
export function toAnthropic(body: ChatCompletionRequest): AnthropicRequest {
  const systemParts: string[] = []
  const messages: AnthropicMessage[] = []
  let toolResults: AnthropicBlock[] | null = null
  for (const m of body.messages) {
    if (m.role === 'tool') {
      const block: AnthropicBlock = {
        type: 'tool_result',
        tool_use_id: m.tool_call_id,
        content:
          typeof m.content === 'string'
            ? m.content
            : m.content.map((p) => ({ type: 'text' as const, text: p.text })),
      }
      if (toolResults) toolResults.push(block)
      else {
        toolResults = [block]
        messages.push({ role: 'user', content: toolResults })
      }
      continue
    }
    if (m.role === 'system' || m.role === 'developer') {
      const text = textOf(m.content)
      if (text) systemParts.push(text)
      continue
    }
    toolResults = null
    if (m.role === 'user') messages.push({ role: 'user', content: userContent(m) })
    else if (m.role === 'assistant')
      messages.push({ role: 'assistant', content: assistantContent(m) })
  }

  const format = formatInstruction(body.response_format)
  if (format) systemParts.push(format)
  const out: AnthropicRequest = {
    model: body.model,
    max_tokens: body.max_completion_tokens ?? body.max_tokens ?? DEFAULT_MAX_TOKENS,
    ...(systemParts.length > 0 ? { system: systemParts.join('\n\n') } : {}),
    messages,
  }
  if (body.stream === true) out.stream = true
  if (body.temperature !== undefined) out.temperature = Math.min(1, Math.max(0, body.temperature))
  if (body.top_p !== undefined) out.top_p = body.top_p
  if (body.stop !== undefined) {
    const stops = (typeof body.stop === 'string' ? [body.stop] : body.stop).filter((s) => s)
    if (stops.length > 0) out.stop_sequences = stops
  }
  if (body.tools && body.tools.length > 0) {
    out.tools = body.tools.map((t) => ({
      name: t.function.name,
      ...(t.function.description !== undefined ? { description: t.function.description } : {}),
      input_schema: t.function.parameters ?? { type: 'object', properties: {} },
    }))
    const choice = toolChoice(body.tool_choice, body.parallel_tool_calls === false)
    if (choice) out.tool_choice = choice
  }
  const effort = body.reasoning_effort
  if (effort && effort !== 'none') {
    const budget = THINKING_BUDGET[effort]
    out.thinking = { type: 'enabled', budget_tokens: budget }
    // Anthropic requires max_tokens > budget_tokens; the answer keeps its requested room.
    if (out.max_tokens <= budget) out.max_tokens = budget + out.max_tokens
    // Extended thinking only runs at the default temperature.
    delete out.temperature
  }
  if (body.user) out.metadata = { user_id: body.user }
  return out
}

function textOf(content: string | Array<{ text: string }>): string {
  return typeof content === 'string' ? content : content.map((p) => p.text).join('')
}

function userContent(m: Extract<ChatMessage, { role: 'user' }>): string | AnthropicBlock[] {
  if (typeof m.content === 'string') return m.content
  const blocks: AnthropicBlock[] = []
  for (const p of m.content) {
    if (p.type === 'text') blocks.push({ type: 'text', text: p.text })
    else {
      const img = parseImageDataUrl(p.image_url.url)
      if (img)
        blocks.push({
          type: 'image',
          source: { type: 'base64', media_type: img.mediaType, data: img.data },
        })
    }
  }
  return blocks
}

function assistantContent(m: AssistantMessage): string | AnthropicBlock[] {
  const calls = m.tool_calls ?? []
  let text = ''
  if (typeof m.content === 'string') text = m.content
  else if (Array.isArray(m.content))
    text = m.content.map((p) => (p.type === 'text' ? p.text : p.refusal)).join('')
  else if (m.refusal) text = m.refusal
  if (calls.length === 0) return text
  const blocks: AnthropicBlock[] = []
  if (text.trim()) blocks.push({ type: 'text', text })
  for (const c of calls) {
    const args = c.function.arguments.trim()
    blocks.push({
      type: 'tool_use',
      id: c.id,
      name: c.function.name,
      input: args ? (JSON.parse(args) as Record<string, unknown>) : {},
    })
  }
  return blocks
}

function toolChoice(
  choice: ToolChoice | undefined,
  sequential: boolean,
): AnthropicRequest['tool_choice'] | undefined {
  const extra = sequential ? { disable_parallel_tool_use: true } : {}
  if (choice === 'none') return { type: 'none' }
  if (choice === 'required') return { type: 'any', ...extra }
  if (choice && typeof choice === 'object')
    return { type: 'tool', name: choice.function.name, ...extra }
  if (choice === 'auto' || sequential) return { type: 'auto', ...extra }
  return undefined
}

/** The system-prompt instruction that asks for JSON (null for text / no format). */
export function formatInstruction(format: ResponseFormat | undefined): string | null {
  if (!format || format.type === 'text') return null
  if (format.type === 'json_object')
    return 'Respond with a single valid JSON object and nothing else: no prose, no code fences.'
  const s = format.json_schema
  const lines = [
    `Respond with a single valid JSON value and nothing else (no prose, no code fences) that conforms to the JSON schema "${s.name}"${s.description ? ` (${s.description})` : ''}:`,
    JSON.stringify(s.schema ?? {}),
  ]
  return lines.join('\n')
}
