/**
 * @module
 * Token usage of one request, in the relay's own shape whatever the platform: input, output, cache
 * writes split into 5-minute and 1-hour parts, and cache reads. Each dialect reads its upstream's
 * usage fields into this shape (`dialects/<name>/usage.ts`); pricing, counters and history only
 * ever see this one.
 */

/** Tokens of one request. */
export interface TokenUsage {
  inputTokens: number
  outputTokens: number
  cacheCreate5mTokens: number
  cacheCreate1hTokens: number
  cacheReadTokens: number
  /**
   * Of `outputTokens`, the model's reasoning (OpenAI `reasoning_tokens`, Gemini
   * `thoughtsTokenCount`), when the answer reported any: shown apart, never billed apart.
   */
  reasoningTokens?: number
}

/** All-zero usage. */
export function emptyUsage(): TokenUsage {
  return {
    inputTokens: 0,
    outputTokens: 0,
    cacheCreate5mTokens: 0,
    cacheCreate1hTokens: 0,
    cacheReadTokens: 0,
  }
}

/** A non-negative whole token count from an upstream field (anything else is 0). */
export function tokenCount(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0
}

/** Adds `b` into `a` and returns `a`. */
export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  a.inputTokens += b.inputTokens
  a.outputTokens += b.outputTokens
  a.cacheCreate5mTokens += b.cacheCreate5mTokens
  a.cacheCreate1hTokens += b.cacheCreate1hTokens
  a.cacheReadTokens += b.cacheReadTokens
  return a
}

/** Total tokens of every kind. */
export function totalTokens(u: TokenUsage): number {
  return (
    u.inputTokens +
    u.outputTokens +
    u.cacheCreate5mTokens +
    u.cacheCreate1hTokens +
    u.cacheReadTokens
  )
}
