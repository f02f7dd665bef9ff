/**
 * @module
 * The one answer to "is this an Opus model", used by the weekly Opus cost cap (admission), the
 * Opus spend counters (usage), Opus-only rate limits of subscription accounts (health) and the
 * scheduler. Any spelling that names Opus counts: `claude-opus-4-1`, `claude-3-opus-20240229`,
 * `us.anthropic.claude-opus-4-1-20250805-v1:0`, `anthropic/claude-opus-4.5`, upper case.
 */

/** True when `model` is an Opus model. */
export function isOpusModel(model: string): boolean {
  return /opus/i.test(model)
}
