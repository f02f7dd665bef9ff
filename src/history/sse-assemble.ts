/**
 * @module
 * Rebuilds the message a client received from the raw SSE text of a stream, so history shows the
 * answer (text, thinking, tool calls, stop reason, usage) instead of hundreds of event frames.
 *
 * Most of a stream is content deltas in the one shape the API writes them in, e.g.
 * `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"…"}}`. Those
 * are read without parsing the event: only the string literal at the end is parsed, which
 * also proves the line had that exact shape (a literal that swallowed more fields does not
 * parse). Anything else goes through `JSON.parse` of the whole event.
 */

interface Block {
  type: string
  text?: string
  thinking?: string
  id?: string
  name?: string
  input?: unknown
  partialJson?: string
}

const DELTA_PREFIX = '{"type":"content_block_delta","index":'
/** The delta shapes read without a full parse: the prefix after the index, and the field. */
const FAST_DELTAS = [
  { head: ',"delta":{"type":"text_delta","text":', field: 'text' },
  { head: ',"delta":{"type":"thinking_delta","thinking":', field: 'thinking' },
  { head: ',"delta":{"type":"input_json_delta","partial_json":', field: 'partialJson' },
] as const

/**
 * The message assembled from SSE text (null when the text holds no message events), and whether
 * text was left out. `textLimit` bounds the text and thinking kept (characters over all blocks):
 * the caller stores a prefix of the assembled JSON that long, and the JSON spells each kept
 * character with at least one, so what lies past the limit cannot show. Tool inputs are always
 * kept whole (their JSON is parsed and written again, possibly shorter).
 */
export function assembleSse(
  text: string,
  textLimit = Number.POSITIVE_INFINITY,
): { message: Record<string, unknown> | null; cut: boolean } {
  let message: Record<string, unknown> | null = null
  const blocks: Block[] = []
  let error: unknown = null
  let kept = 0
  let cut = false
  let from = 0
  while (from < text.length) {
    let nl = text.indexOf('\n', from)
    if (nl < 0) nl = text.length
    const start = from
    from = nl + 1
    if (!text.startsWith('data:', start)) continue
    let p = start + 5
    while (text.charCodeAt(p) === 32) p++
    let end = nl
    while (end > p && text.charCodeAt(end - 1) <= 32) end--

    if (text.startsWith(DELTA_PREFIX, p)) {
      const fast = fastDelta(text, p + DELTA_PREFIX.length, end, kept < textLimit)
      if (fast) {
        const b = blocks[fast.index]
        if (!b) continue
        if (fast.value === null) cut = true
        else if (fast.field === 'partialJson') b.partialJson = (b.partialJson ?? '') + fast.value
        else keep(b, fast.field, fast.value)
        continue
      }
    }

    let ev: Record<string, unknown>
    try {
      ev = JSON.parse(text.slice(p, end)) as Record<string, unknown>
    } catch {
      continue
    }
    switch (ev.type) {
      case 'message_start':
        message = { ...((ev.message ?? {}) as Record<string, unknown>) }
        break
      case 'content_block_start': {
        const cb = (ev.content_block ?? {}) as Block
        blocks[Number(ev.index ?? blocks.length)] = { ...cb, partialJson: '' }
        break
      }
      case 'content_block_delta': {
        const b = blocks[Number(ev.index ?? 0)]
        const d = (ev.delta ?? {}) as Record<string, unknown>
        if (!b) break
        if (d.type === 'input_json_delta') {
          b.partialJson = (b.partialJson ?? '') + String(d.partial_json ?? '')
          break
        }
        if (d.type === 'text_delta') keep(b, 'text', String(d.text ?? ''))
        else if (d.type === 'thinking_delta') keep(b, 'thinking', String(d.thinking ?? ''))
        break
      }
      case 'message_delta':
        if (message) {
          Object.assign(message, (ev.delta ?? {}) as Record<string, unknown>)
          message.usage = {
            ...((message.usage ?? {}) as Record<string, unknown>),
            ...((ev.usage ?? {}) as Record<string, unknown>),
          }
        }
        break
      case 'error':
        error = ev.error
        break
    }
  }
  if (!message && !error) return { message: null, cut }
  const content = blocks.filter(Boolean).map((b) => {
    const { partialJson, ...rest } = b
    if (b.type === 'tool_use' && partialJson) {
      try {
        rest.input = JSON.parse(partialJson)
      } catch {
        rest.input = partialJson
      }
    }
    return rest
  })
  return { message: { ...(message ?? {}), content, ...(error ? { error } : {}) }, cut }

  function keep(b: Block, field: 'text' | 'thinking', value: string): void {
    let v = value
    if (kept + v.length > textLimit) {
      cut = true
      v = v.slice(0, Math.max(0, textLimit - kept))
      if (!v) return
    }
    kept += v.length
    b[field] = (b[field] ?? '') + v
  }
}

/**
 * Reads a content delta of one of the {@link FAST_DELTAS} shapes from `text[at, end)` (just after
 * the `"index":`), or null when the line has any other shape. Without `readText`, a non-empty
 * text or thinking delta is recognised but not read (`value` null): it is past the limit.
 */
function fastDelta(
  text: string,
  at: number,
  end: number,
  readText: boolean,
): { index: number; field: 'text' | 'thinking' | 'partialJson'; value: string | null } | null {
  let i = at
  let index = 0
  while (i < end) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) break
    index = index * 10 + (c - 48)
    i++
  }
  if (i === at || i - at > 6) return null
  // The event and its delta close with `}}`; what is between the field name and them must be
  // one JSON string.
  if (text.charCodeAt(end - 1) !== 125 || text.charCodeAt(end - 2) !== 125) return null
  for (const shape of FAST_DELTAS) {
    if (!text.startsWith(shape.head, i)) continue
    const lit = i + shape.head.length
    if (text.charCodeAt(lit) !== 34 || text.charCodeAt(end - 3) !== 34 || end - 3 <= lit)
      return null
    if (!readText && shape.field !== 'partialJson' && end - 2 - lit > 2)
      return { index, field: shape.field, value: null }
    try {
      const value: unknown = JSON.parse(text.slice(lit, end - 2))
      return typeof value === 'string' ? { index, field: shape.field, value } : null
    } catch {
      return null
    }
  }
  return null
}
