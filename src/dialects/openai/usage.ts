/**
 * @module
 * OpenAI `usage` objects (Responses and Chat Completions) → {@link TokenUsage}. OpenAI counts
 * cached prompt tokens inside the input total (`input_tokens_details.cached_tokens`,
 * `prompt_tokens_details.cached_tokens`), so input is the total less the cached part and the
 * cached part is a cache read: each token is billed once, at its own price. Reasoning tokens are
 * inside the output total and billed as output.
 */
import { tokenCount as num, type TokenUsage } from '../../usage/tokens.ts'

/** Reads a Responses or Chat Completions `usage` object (null when there is none). */
export function openaiUsageFrom(raw: unknown): TokenUsage | null {
  if (!raw || typeof raw !== 'object') return null
  const u = raw as Record<string, unknown>
  const details = (u.input_tokens_details ?? u.prompt_tokens_details ?? null) as Record<
    string,
    unknown
  > | null
  const total = num(u.input_tokens ?? u.prompt_tokens)
  const cached = Math.min(total, details ? num(details.cached_tokens) : 0)
  const usage: TokenUsage = {
    inputTokens: total - cached,
    outputTokens: num(u.output_tokens ?? u.completion_tokens),
    cacheCreate5mTokens: 0,
    cacheCreate1hTokens: 0,
    cacheReadTokens: cached,
  }
  const reasoning = Math.min(reasoningTokensOf(u), usage.outputTokens)
  if (reasoning > 0) usage.reasoningTokens = reasoning
  return usage
}

/** Reasoning tokens of a usage object (part of its output tokens), for display. */
function reasoningTokensOf(raw: unknown): number {
  const u = (raw ?? {}) as Record<string, unknown>
  const d = (u.output_tokens_details ?? u.completion_tokens_details ?? {}) as Record<
    string,
    unknown
  >
  return num(d.reasoning_tokens)
}
