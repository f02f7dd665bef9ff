/**
 * @module
 * The OpenAI chat-completions request this relay accepts (TypeBox = types) and its validation.
 * `null` values count as absent (OpenAI's SDKs send them). Validation walks messages and content
 * parts one by one so a 400 names the exact field, e.g.
 * `messages[2].content[0].image_url.url: http(s) image URLs are not supported; send a data: URL`.
 * Parameters that cannot be honoured on Claude are rejected here; the ones that are ignored are
 * simply not read by the translation (see README "OpenAI-compatible endpoint").
 */
import { type Static, Type as T, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

/** A text content part. */
export const TextPart = T.Object({ type: T.Literal('text'), text: T.String() })
export type TextPart = Static<typeof TextPart>

/** An image content part (only `data:` URLs are accepted). */
export const ImagePart = T.Object({
  type: T.Literal('image_url'),
  image_url: T.Object({
    url: T.String({ minLength: 1 }),
    detail: T.Optional(T.String()),
  }),
})
export type ImagePart = Static<typeof ImagePart>

/** A refusal part of an earlier assistant message. */
export const RefusalPart = T.Object({ type: T.Literal('refusal'), refusal: T.String() })
export type RefusalPart = Static<typeof RefusalPart>

/** A function call made by the assistant in an earlier turn. */
export const ToolCall = T.Object({
  id: T.String({ minLength: 1 }),
  type: T.Literal('function'),
  function: T.Object({ name: T.String({ minLength: 1 }), arguments: T.String() }),
})
export type ToolCall = Static<typeof ToolCall>

const TextContent = T.Union([T.String(), T.Array(TextPart)], {
  description: 'a string or an array of text parts',
})

/** A system or developer message (both become the Anthropic system prompt). */
export const SystemMessage = T.Object({
  role: T.Union([T.Literal('system'), T.Literal('developer')]),
  content: TextContent,
  name: T.Optional(T.String()),
})
export type SystemMessage = Static<typeof SystemMessage>

/** A user message. */
export const UserMessage = T.Object({
  role: T.Literal('user'),
  content: T.Union([T.String(), T.Array(T.Union([TextPart, ImagePart]))], {
    description: 'a string or an array of content parts',
  }),
  name: T.Optional(T.String()),
})
export type UserMessage = Static<typeof UserMessage>

/** An earlier assistant turn: text, tool calls, or both. */
export const AssistantMessage = T.Object({
  role: T.Literal('assistant'),
  content: T.Optional(
    T.Union([T.String(), T.Array(T.Union([TextPart, RefusalPart]))], {
      description: 'a string, null or an array of text parts',
    }),
  ),
  tool_calls: T.Optional(T.Array(ToolCall)),
  refusal: T.Optional(T.String()),
  name: T.Optional(T.String()),
})
export type AssistantMessage = Static<typeof AssistantMessage>

/** The result of a tool call. */
export const ToolMessage = T.Object({
  role: T.Literal('tool'),
  tool_call_id: T.String({ minLength: 1 }),
  content: TextContent,
})
export type ToolMessage = Static<typeof ToolMessage>

/** Any accepted message. */
export const ChatMessage = T.Union([SystemMessage, UserMessage, AssistantMessage, ToolMessage])
export type ChatMessage = Static<typeof ChatMessage>

/** A function tool. */
export const FunctionTool = T.Object({
  type: T.Literal('function'),
  function: T.Object({
    name: T.String({ minLength: 1 }),
    description: T.Optional(T.String()),
    parameters: T.Optional(T.Record(T.String(), T.Unknown())),
    strict: T.Optional(T.Union([T.Boolean(), T.Null()])),
  }),
})
export type FunctionTool = Static<typeof FunctionTool>

/** `tool_choice`. */
export const ToolChoice = T.Union(
  [
    T.Literal('none'),
    T.Literal('auto'),
    T.Literal('required'),
    T.Object({
      type: T.Literal('function'),
      function: T.Object({ name: T.String({ minLength: 1 }) }),
    }),
  ],
  {
    description:
      "'none', 'auto', 'required' or { type: 'function', function: { name } } (a named tool)",
  },
)
export type ToolChoice = Static<typeof ToolChoice>

/** `response_format`. */
export const ResponseFormat = T.Union(
  [
    T.Object({ type: T.Literal('text') }),
    T.Object({ type: T.Literal('json_object') }),
    T.Object({
      type: T.Literal('json_schema'),
      json_schema: T.Object({
        name: T.String({ minLength: 1 }),
        description: T.Optional(T.String()),
        schema: T.Optional(T.Record(T.String(), T.Unknown())),
        strict: T.Optional(T.Union([T.Boolean(), T.Null()])),
      }),
    }),
  ],
  {
    description:
      "{ type: 'text' }, { type: 'json_object' } or { type: 'json_schema', json_schema: { name, schema } }",
  },
)
export type ResponseFormat = Static<typeof ResponseFormat>

/** `reasoning_effort` values that map to an extended-thinking budget ('none' = no thinking). */
export const ReasoningEffort = T.Union(
  [T.Literal('none'), T.Literal('low'), T.Literal('medium'), T.Literal('high')],
  { description: "one of 'none', 'low', 'medium', 'high'" },
)
export type ReasoningEffort = Static<typeof ReasoningEffort>

const StringOrStrings = T.Union([T.String(), T.Array(T.String(), { maxItems: 16 })], {
  description: 'a string or an array of strings',
})

/** The request fields read by the translation, plus the unsupported ones that are checked. */
const RequestFields = {
  model: T.String({ minLength: 1 }),
  max_tokens: T.Optional(T.Integer({ minimum: 1 })),
  max_completion_tokens: T.Optional(T.Integer({ minimum: 1 })),
  temperature: T.Optional(T.Number({ minimum: 0, maximum: 2 })),
  top_p: T.Optional(T.Number({ minimum: 0, maximum: 1 })),
  stream: T.Optional(T.Boolean()),
  stream_options: T.Optional(T.Object({ include_usage: T.Optional(T.Boolean()) })),
  stop: T.Optional(StringOrStrings),
  tools: T.Optional(T.Array(FunctionTool)),
  tool_choice: T.Optional(ToolChoice),
  parallel_tool_calls: T.Optional(T.Boolean()),
  response_format: T.Optional(ResponseFormat),
  reasoning_effort: T.Optional(ReasoningEffort),
  user: T.Optional(T.String()),
  n: T.Optional(T.Integer({ minimum: 1 })),
  logprobs: T.Optional(T.Boolean()),
  top_logprobs: T.Optional(T.Integer({ minimum: 0 })),
}

/** An accepted chat-completions request (after validation; unknown fields are kept, unread). */
export const ChatCompletionRequest = T.Object(
  { ...RequestFields, messages: T.Array(ChatMessage, { minItems: 1 }) },
  { additionalProperties: true },
)
export type ChatCompletionRequest = Static<typeof ChatCompletionRequest>

const TopLevel = T.Object(RequestFields, { additionalProperties: true })

/** Parameters that cannot be honoured and are refused with a 400 (checked after the schema). */
const REJECTED: Array<[field: string, when: (v: unknown) => boolean, why: string]> = [
  ['n', (v) => typeof v === 'number' && v > 1, 'only n: 1 is supported (one choice per request)'],
  ['logprobs', (v) => v === true, 'log probabilities are not available from Claude'],
  [
    'top_logprobs',
    (v) => typeof v === 'number' && v > 0,
    'log probabilities are not available from Claude',
  ],
  ['audio', () => true, 'audio output is not supported'],
  [
    'modalities',
    (v) => !Array.isArray(v) || v.some((m) => m !== 'text'),
    "only ['text'] is supported",
  ],
  ['functions', () => true, 'legacy function calling is not supported; use tools'],
  ['function_call', () => true, 'legacy function calling is not supported; use tool_choice'],
]

/** Outcome of {@link validateChatRequest}. */
export type Validation =
  | { ok: true; value: ChatCompletionRequest }
  | { ok: false; message: string; param: string | null }

const DATA_URL = /^data:([^;,]+)((?:;[^;,]+)*);base64,(.*)$/s
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp'])

/** Media type and base64 data of an image `data:` URL (null when it is not one). */
export function parseImageDataUrl(url: string): { mediaType: string; data: string } | null {
  const m = DATA_URL.exec(url)
  if (!m) return null
  const mediaType = (m[1] ?? '').toLowerCase()
  return { mediaType: mediaType === 'image/jpg' ? 'image/jpeg' : mediaType, data: m[3] ?? '' }
}

/** Validates a parsed JSON body; on failure the message names the offending field. */
export function validateChatRequest(input: unknown): Validation {
  if (!isObject(input)) return fail('', 'the request body must be a JSON object')
  const body = withoutNulls(input)
  const top = firstError(TopLevel, body, '')
  if (top) return top
  for (const [field, when, why] of REJECTED) {
    if (body[field] !== undefined && when(body[field])) return fail(field, why)
  }
  const messages = body.messages
  if (!Array.isArray(messages) || messages.length === 0)
    return fail('messages', 'must be a non-empty array of messages')
  const cleaned: unknown[] = []
  for (let i = 0; i < messages.length; i++) {
    const where = `messages[${i}]`
    const raw = messages[i]
    if (!isObject(raw)) return fail(where, 'must be a message object')
    const msg = withoutNulls(raw)
    const problem = checkMessage(msg, where)
    if (problem) return problem
    cleaned.push(msg)
  }
  const value = { ...body, messages: cleaned }
  const tools = Array.isArray(body.tools) ? body.tools : []
  const choice = body.tool_choice
  if (tools.length === 0 && (choice === 'required' || isObject(choice)))
    return fail('tool_choice', "'required' or a named tool needs tools")
  if (!Value.Check(ChatCompletionRequest, value))
    return firstError(ChatCompletionRequest, value, '') ?? fail('', 'invalid request')
  return { ok: true, value }
}

const ROLE_SCHEMA: Record<string, TSchema> = {
  system: SystemMessage,
  developer: SystemMessage,
  user: UserMessage,
  assistant: AssistantMessage,
  tool: ToolMessage,
}
const PART_TYPES: Record<string, Record<string, TSchema>> = {
  system: { text: TextPart },
  developer: { text: TextPart },
  tool: { text: TextPart },
  user: { text: TextPart, image_url: ImagePart },
  assistant: { text: TextPart, refusal: RefusalPart },
}

function checkMessage(msg: Record<string, unknown>, where: string): Validation | null {
  const role = msg.role
  if (role === 'function')
    return fail(`${where}.role`, "'function' messages are not supported; use role 'tool'")
  // Own keys only: a role like 'constructor' must not find Object.prototype members.
  const known = typeof role === 'string' && Object.hasOwn(ROLE_SCHEMA, role)
  const schema = known ? ROLE_SCHEMA[role] : undefined
  const parts = known ? PART_TYPES[role] : undefined
  if (!schema || !parts)
    return fail(`${where}.role`, 'must be one of system, developer, user, assistant, tool')
  if (Array.isArray(msg.content)) {
    for (let j = 0; j < msg.content.length; j++) {
      const at = `${where}.content[${j}]`
      const part: unknown = msg.content[j]
      if (!isObject(part)) return fail(at, 'must be a content part object')
      const type = part.type
      const partSchema =
        typeof type === 'string' && Object.hasOwn(parts, type) ? parts[type] : undefined
      if (!partSchema)
        return fail(
          `${at}.type`,
          `'${String(type)}' parts are not supported in ${role} messages (accepted: ${Object.keys(parts).join(', ')})`,
        )
      const bad = firstError(partSchema, part, at)
      if (bad) return bad
      if (type === 'image_url') {
        const problem = checkImageUrl((part as ImagePart).image_url.url, `${at}.image_url.url`)
        if (problem) return problem
      }
    }
  }
  const bad = firstError(schema, msg, where)
  if (bad) return bad
  if (role === 'assistant' && Array.isArray(msg.tool_calls)) {
    for (let j = 0; j < msg.tool_calls.length; j++) {
      const call = msg.tool_calls[j] as ToolCall
      const args = call.function.arguments
      if (args.trim() === '') continue
      let parsed: unknown
      try {
        parsed = JSON.parse(args)
      } catch {
        parsed = undefined
      }
      if (!isObject(parsed))
        return fail(
          `${where}.tool_calls[${j}].function.arguments`,
          'must be a JSON object encoded as a string',
        )
    }
  }
  return null
}

function checkImageUrl(url: string, where: string): Validation | null {
  if (/^https?:/i.test(url))
    return fail(where, 'http(s) image URLs are not supported; send a data: URL')
  const img = parseImageDataUrl(url)
  if (!img) return fail(where, 'must be a base64 data: URL such as data:image/png;base64,<data>')
  if (!IMAGE_TYPES.has(img.mediaType))
    return fail(
      where,
      `image type '${img.mediaType}' is not supported (accepted: ${[...IMAGE_TYPES].join(', ')})`,
    )
  if (!img.data) return fail(where, 'the data: URL has no image data')
  return null
}

function firstError(schema: TSchema, value: unknown, base: string): Validation | null {
  const first = Value.Errors(schema, value).First()
  if (!first) return null
  const path = joinPath(base, first.path)
  const description = (first.schema as { description?: unknown }).description
  const message =
    first.value === undefined
      ? 'is required'
      : typeof description === 'string' && first.schema.anyOf
        ? `must be ${description}`
        : lowerFirst(first.message)
  return fail(path, message)
}

function joinPath(base: string, pointer: string): string {
  let out = base
  for (const seg of pointer.split('/').slice(1)) {
    const s = seg.replace(/~1/g, '/').replace(/~0/g, '~')
    out += /^\d+$/.test(s) ? `[${s}]` : out ? `.${s}` : s
  }
  return out
}

function fail(param: string, message: string): Validation {
  return { ok: false, message: param ? `${param}: ${message}` : message, param: param || null }
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1)
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function withoutNulls(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) if (v !== null) out[k] = v
  return out
}
