/**
 * @module
 * Token usage as Anthropic reports it, normalised: cache writes split into 5-minute and 1-hour
 * parts. When only the aggregate `cache_creation_input_tokens` is present (or the split covers
 * less than the aggregate), the remainder counts as 5-minute writes, so no write goes unbilled.
 */

/** Tokens of one request. */
export interface TokenUsage {
  inputTokens: number
  outputTokens: number
  cacheCreate5mTokens: number
  cacheCreate1hTokens: number
  cacheReadTokens: number
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

const num = (v: unknown): number =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0

/** Reads an Anthropic `usage` object (message, message_start or message_delta). */
export function usageFrom(raw: unknown): TokenUsage {
  const u = (raw ?? {}) as Record<string, unknown>
  const aggregate = num(u.cache_creation_input_tokens)
  const split = (u.cache_creation ?? null) as Record<string, unknown> | null
  let c5 = split ? num(split.ephemeral_5m_input_tokens) : 0
  const c1 = split ? num(split.ephemeral_1h_input_tokens) : 0
  if (c5 + c1 < aggregate) c5 += aggregate - c5 - c1
  return {
    inputTokens: num(u.input_tokens),
    outputTokens: num(u.output_tokens),
    cacheCreate5mTokens: c5,
    cacheCreate1hTokens: c1,
    cacheReadTokens: num(u.cache_read_input_tokens),
  }
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
