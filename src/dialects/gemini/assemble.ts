/**
 * @module
 * Rebuilds one Gemini answer from a stream's captured SSE text (or a non-SSE stream's JSON
 * array) for history: consecutive text parts joined (thoughts kept apart), function calls kept
 * whole, the last finish reason and usage, in the `GenerateContentResponse` shape.
 */
import { sseDataOf } from '../sse-lines.ts'
import { unwrapResponse } from './usage.ts'

type Part = Record<string, unknown>

/** The events of a captured stream: SSE `data:` payloads, or the items of a JSON array. */
function eventsOf(text: string): unknown[] {
  const t = text.trimStart()
  if (t.startsWith('[')) {
    try {
      const arr = JSON.parse(t) as unknown
      if (Array.isArray(arr)) return arr
    } catch {
      // a cut array: fall through to line reading (nothing to read)
    }
    return []
  }
  const out: unknown[] = []
  for (const p of sseDataOf(text)) {
    try {
      out.push(JSON.parse(p))
    } catch {
      // a cut last line
    }
  }
  return out
}

/** The answer assembled from a stream's text, or null when it holds no Gemini event. */
export function assembleGemini(
  text: string,
  textLimit = Number.POSITIVE_INFINITY,
): { message: unknown; cut: boolean } | null {
  const parts: Part[] = []
  let finishReason: unknown
  let usage: unknown
  let modelVersion: unknown
  let seen = false
  let chars = 0
  let cut = false
  for (const ev of eventsOf(text)) {
    const r = unwrapResponse(ev)
    if (!r) continue
    seen = true
    if (r.usageMetadata) usage = r.usageMetadata
    if (r.modelVersion) modelVersion = r.modelVersion
    const cand = (Array.isArray(r.candidates) ? r.candidates[0] : null) as Part | null
    if (!cand) continue
    if (cand.finishReason) finishReason = cand.finishReason
    const content = cand.content as { parts?: unknown } | undefined
    for (const p of (Array.isArray(content?.parts) ? content.parts : []) as Part[]) {
      if (typeof p.text === 'string') {
        const last = parts.at(-1)
        let t = p.text
        if (chars + t.length > textLimit) {
          t = t.slice(0, Math.max(0, textLimit - chars))
          cut = true
        }
        chars += t.length
        if (last && typeof last.text === 'string' && !!last.thought === !!p.thought) last.text += t
        else parts.push(p.thought ? { text: t, thought: true } : { text: t })
      } else {
        parts.push(p)
      }
    }
  }
  if (!seen) return null
  const message: Record<string, unknown> = {
    candidates: [{ content: { role: 'model', parts }, finishReason }],
  }
  if (usage) message.usageMetadata = usage
  if (modelVersion) message.modelVersion = modelVersion
  return { message, cut }
}

/** The text of an answer (thoughts left out). */
export function geminiAnswerText(answer: unknown): string {
  const list = Array.isArray(answer) ? answer : [answer]
  let text = ''
  for (const item of list) {
    const r = unwrapResponse(item)
    const cand = (Array.isArray(r?.candidates) ? r.candidates[0] : null) as Part | null
    const parts = (cand?.content as { parts?: unknown } | undefined)?.parts
    if (!Array.isArray(parts)) continue
    for (const p of parts as Part[]) if (typeof p.text === 'string' && !p.thought) text += p.text
  }
  return text
}
