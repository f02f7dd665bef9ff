/**
 * @module
 * The sticky-session hash of a Messages request, by the rules of the system we replace: the
 * session UUID in `metadata.user_id` when present; else a hash of the cache-controlled system
 * text (plus the first message when messages carry cache_control); else of the whole system
 * text; else of the first message's text; else none.
 */
import { sha256Hex } from '../../core/crypto.ts'

type Block = { type?: unknown; text?: unknown; cache_control?: { type?: unknown } }
type Message = { content?: unknown; cache_control?: { type?: unknown } }

const SESSION_RE = /session_([a-f0-9-]{36})/

function textOf(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  let out = ''
  for (const b of content as Block[])
    if (b && b.type === 'text' && typeof b.text === 'string') out += b.text
  return out
}

const ephemeral = (x: { cache_control?: { type?: unknown } } | null | undefined) =>
  x?.cache_control?.type === 'ephemeral'

/** The session hash of a parsed request body, or null when it has no stable identity. */
export async function sessionHashOf(body: Record<string, unknown>): Promise<string | null> {
  const meta = body.metadata as { user_id?: unknown } | undefined
  if (typeof meta?.user_id === 'string') {
    const m = SESSION_RE.exec(meta.user_id)
    if (m) return m[1]!
    try {
      const parsed = JSON.parse(meta.user_id) as { session_id?: unknown }
      if (typeof parsed.session_id === 'string' && parsed.session_id) return parsed.session_id
    } catch {
      // not JSON: fall through to content hashing
    }
  }
  const system = body.system
  const messages = Array.isArray(body.messages) ? (body.messages as Message[]) : []
  let cached = ''
  if (Array.isArray(system))
    for (const b of system as Block[])
      if (ephemeral(b) && typeof b.text === 'string') cached += b.text
  const messagesCached = messages.some(
    (m) =>
      ephemeral(m) ||
      (Array.isArray(m?.content) && (m.content as Block[]).some((b) => ephemeral(b))),
  )
  if (messagesCached) {
    const first = messages.map((m) => textOf(m?.content)).find((t) => t.length > 0)
    if (first) cached += first
  }
  if (cached) return (await sha256Hex(cached)).slice(0, 32)
  const sys = typeof system === 'string' ? system : textOf(system)
  if (sys) return (await sha256Hex(sys)).slice(0, 32)
  const firstText = messages.length > 0 ? textOf(messages[0]?.content) : ''
  if (firstText) return (await sha256Hex(firstText)).slice(0, 32)
  return null
}
