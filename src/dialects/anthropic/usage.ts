/**
 * @module
 * Anthropic `usage` objects → {@link TokenUsage}. Cache writes are split into 5-minute and 1-hour
 * parts; when only the aggregate `cache_creation_input_tokens` is present (or the split covers
 * less than the aggregate), the remainder counts as 5-minute writes, so no write goes unbilled.
 */
import { tokenCount as num, type TokenUsage } from '../../usage/tokens.ts'

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
