/**
 * @module
 * Rebuilds the message a client received from the raw SSE text of a stream, so history shows the
 * answer (text, thinking, tool calls, stop reason, usage) instead of hundreds of event frames.
 *
 * Most of a stream is content deltas in the one shape the API writes them in, e.g.
 * `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"…"}}`. Those
 * are read without parsing the event: only the string literal at the end is read, which also
 * proves the line had that exact shape (a literal that swallowed more fields does not parse, and
 * one without escapes has no quote but its closing one). Anything else goes through
 * `JSON.parse` of the whole event.
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

type DeltaField = 'text' | 'thinking' | 'partialJson'

const DELTA_PREFIX = '{"type":"content_block_delta","index":'
/** The delta shapes read without a full parse: the prefix after the index, and the field. */
const FAST_DELTAS = [
  { head: ',"delta":{"type":"text_delta","text":', field: 'text' },
  { head: ',"delta":{"type":"thinking_delta","thinking":', field: 'thinking' },
  { head: ',"delta":{"type":"input_json_delta","partial_json":', field: 'partialJson' },
] as const

/**
 * The message assembled from SSE text (null when the text holds no message events), and whether
 * text was left out. `textLimit` bounds the text and thinking kept: the caller stores a prefix of
 * the assembled JSON that long, the JSON writes blocks in index order and spells each character
 * with at least one, so a delta whose block and the blocks before it already hold `textLimit`
 * characters cannot show and is left out (in any arrival order). Tool inputs are always kept
 * whole (their JSON is parsed and written again, possibly shorter).
 */
export function assembleSse(
  text: string,
  textLimit = Number.POSITIVE_INFINITY,
): { message: Record<string, unknown> | null; cut: boolean } {
  let message: Record<string, unknown> | null = null
  const blocks: Block[] = []
  let error: unknown = null
  /** Text and thinking kept over all blocks: while under the limit, nothing needs counting. */
  let kept = 0
  let cut = false
  let from = 0
  while (from < text.length) {
    let nl = text.indexOf('\n', from)
    if (nl < 0) nl = text.length
    const start = from
    from = nl + 1
    if (!text.startsWith('data:', start)) continue
    // The event is the line after `data:`, trimmed. As the API writes it (one space, `{…}`), that
    // is a range of `text`; anything else is cut out and trimmed.
    let line = text
    let p = start + 6
    let end = nl
    if (
      text.charCodeAt(p - 1) !== 32 ||
      text.charCodeAt(p) !== 123 ||
      text.charCodeAt(end - 1) !== 125
    ) {
      line = text.slice(start + 5, nl).trim()
      p = 0
      end = line.length
    }

    if (line.startsWith(DELTA_PREFIX, p)) {
      const fast = fastDelta(line, p, end)
      if (fast) {
        const b = blocks[fast.index]
        if (!b) continue
        if (fast.field === 'partialJson') {
          const v = literal(line, fast.lit, end)
          if (v !== null) {
            b.partialJson = (b.partialJson ?? '') + v
            continue
          }
        } else {
          // Past the limit the literal is only checked, not read: its text cannot show.
          const full = kept >= textLimit && roomOf(fast.index) <= 0
          if (full && end - 2 - fast.lit > 2 && isOneLiteral(line, fast.lit, end)) {
            cut = true
            continue
          }
          const v = full ? null : literal(line, fast.lit, end)
          if (v !== null) {
            keep(b, fast.index, fast.field, v)
            continue
          }
        }
      }
    }

    let ev: Record<string, unknown>
    try {
      ev = JSON.parse(line === text ? text.slice(p, end) : line) as Record<string, unknown>
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
        const index = Number(ev.index ?? 0)
        const b = blocks[index]
        const d = (ev.delta ?? {}) as Record<string, unknown>
        if (!b) break
        if (d.type === 'input_json_delta')
          b.partialJson = (b.partialJson ?? '') + String(d.partial_json ?? '')
        else if (d.type === 'text_delta') keep(b, index, 'text', String(d.text ?? ''))
        else if (d.type === 'thinking_delta') keep(b, index, 'thinking', String(d.thinking ?? ''))
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

  /** Characters block `index` may still take: the limit less the text of it and the blocks before. */
  function roomOf(index: number): number {
    let before = 0
    for (let i = 0; i <= index && i < blocks.length; i++)
      before += (blocks[i]?.text?.length ?? 0) + (blocks[i]?.thinking?.length ?? 0)
    return textLimit - before
  }

  function keep(b: Block, index: number, field: 'text' | 'thinking', value: string): void {
    let v = value
    // Within the limit over all blocks a delta fits whole; past it, what lies before it counts.
    if (kept + v.length > textLimit) {
      const room = roomOf(index)
      if (v.length > room) {
        cut = true
        v = v.slice(0, Math.max(0, room))
        if (!v) return
      }
    }
    kept += v.length
    b[field] = (b[field] ?? '') + v
  }
}

/**
 * The block index, delta field and where the string literal starts, for an event `s[from, end)`
 * in one of the {@link FAST_DELTAS} shapes up to its literal (closed by `}}`), or null for any
 * other shape.
 */
function fastDelta(
  s: string,
  from: number,
  end: number,
): { index: number; field: DeltaField; lit: number } | null {
  const at = from + DELTA_PREFIX.length
  let i = at
  let index = 0
  while (i < end) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) break
    index = index * 10 + (c - 48)
    i++
  }
  // JSON numbers have no leading zeros.
  if (i === at || i - at > 6 || (s.charCodeAt(at) === 48 && i - at > 1)) return null
  if (s.charCodeAt(end - 1) !== 125 || s.charCodeAt(end - 2) !== 125) return null
  for (const shape of FAST_DELTAS) {
    if (!s.startsWith(shape.head, i)) continue
    const lit = i + shape.head.length
    if (s.charCodeAt(lit) !== 34 || s.charCodeAt(end - 3) !== 34 || end - 3 <= lit) return null
    return { index, field: shape.field, lit }
  }
  return null
}

/** The string literal from `lit` to just before the closing `}}` at `end`, or null if not one. */
function literal(s: string, lit: number, end: number): string | null {
  // A literal with no escape is its characters: when its only quote after the opening one is the
  // closing one and it holds no backslash or control character, it is read without parsing.
  const close = end - 3
  if (s.indexOf('"', lit + 1) === close) {
    let plain = true
    for (let i = lit + 1; i < close; i++) {
      const c = s.charCodeAt(i)
      if (c === 92 || c < 32) {
        plain = false
        break
      }
    }
    if (plain) return s.slice(lit + 1, close)
  }
  try {
    const value: unknown = JSON.parse(s.slice(lit, end - 2))
    return typeof value === 'string' ? value : null
  } catch {
    return null
  }
}

/**
 * Whether the first unescaped quote after the literal's opening one closes it just before `}}`
 * (the literal is the whole rest of the event), without decoding it.
 */
function isOneLiteral(s: string, lit: number, end: number): boolean {
  const close = end - 3
  let q = s.indexOf('"', lit + 1)
  while (q >= 0 && q < close) {
    let slashes = 0
    while (s.charCodeAt(q - 1 - slashes) === 92) slashes++
    if (slashes % 2 === 0) return false
    q = s.indexOf('"', q + 1)
  }
  return q === close
}
