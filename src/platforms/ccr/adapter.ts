/**
 * @module
 * CCR accounts: a Claude-compatible upstream (a base URL and a key, e.g. a Claude Code Router)
 * that the Claude routes reach only for a `ccr,<model>` model, the prefix removed before the
 * account's model mapping (`families.ts`). The upstream request is the Console one: the key as
 * `x-api-key` for `sk-ant-` keys, else Bearer; the account's user agent when set.
 */
import type { Config } from '../../config/schema.ts'
import type { PlatformAdapter } from '../adapter.ts'
import { createClaudeConsoleAdapter } from '../claude/console-adapter.ts'

/** The CCR adapter. */
export function createCcrAdapter(options: {
  config: Pick<Config, 'CLAUDE_API_VERSION'>
}): PlatformAdapter {
  return {
    ...createClaudeConsoleAdapter(options),
    platform: 'ccr',
    family: 'ccr',
  }
}
