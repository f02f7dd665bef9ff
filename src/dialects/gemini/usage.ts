/**
 * @module
 * Gemini's `usageMetadata` in the relay's token shape. `promptTokenCount` includes the cached
 * part (`cachedContentTokenCount`), which is billed at the cache rate; tool-use prompt tokens are
 * input too; thinking (`thoughtsTokenCount`) is billed as output, as Google bills it.
 */
import { emptyUsage, type TokenUsage, tokenCount } from '../../usage/tokens.ts'

/** The relay's usage of a `usageMetadata` object (zeros when absent). */
export function geminiUsageFrom(meta: unknown): TokenUsage {
  const u = emptyUsage()
  if (!meta || typeof meta !== 'object') return u
  const m = meta as Record<string, unknown>
  const prompt = tokenCount(m.promptTokenCount) + tokenCount(m.toolUsePromptTokenCount)
  const cached = Math.min(tokenCount(m.cachedContentTokenCount), prompt)
  u.inputTokens = prompt - cached
  u.cacheReadTokens = cached
  const thoughts = tokenCount(m.thoughtsTokenCount)
  u.outputTokens = tokenCount(m.candidatesTokenCount) + thoughts
  if (thoughts > 0) u.reasoningTokens = thoughts
  return u
}

/** A Gemini answer object, unwrapped from Code Assist's `{response: …}` when wrapped. */
export function unwrapResponse(v: unknown): Record<string, unknown> | null {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null
  const o = v as Record<string, unknown>
  const inner = o.response
  if (inner && typeof inner === 'object' && !Array.isArray(inner) && !('candidates' in o))
    return inner as Record<string, unknown>
  return o
}
