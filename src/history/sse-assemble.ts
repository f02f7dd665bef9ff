/**
 * @module
 * Rebuilds the message a client received from the raw SSE text of a stream, so history shows the
 * answer (text, thinking, tool calls, stop reason, usage) instead of hundreds of event frames.
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

/** The message assembled from SSE text, or null when the text holds no message events. */
export function assembleSse(text: string): Record<string, unknown> | null {
  let message: Record<string, unknown> | null = null
  const blocks: Block[] = []
  let error: unknown = null
  for (const line of text.split('\n')) {
    if (!line.startsWith('data:')) continue
    let ev: Record<string, unknown>
    try {
      ev = JSON.parse(line.slice(5).trim()) as Record<string, unknown>
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
        if (d.type === 'text_delta') b.text = (b.text ?? '') + String(d.text ?? '')
        else if (d.type === 'thinking_delta')
          b.thinking = (b.thinking ?? '') + String(d.thinking ?? '')
        else if (d.type === 'input_json_delta')
          b.partialJson = (b.partialJson ?? '') + String(d.partial_json ?? '')
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
  if (!message && !error) return null
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
  return { ...(message ?? {}), content, ...(error ? { error } : {}) }
}
