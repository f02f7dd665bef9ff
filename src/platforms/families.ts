/**
 * @module
 * The families of client routes and what binds a key to their accounts. The binding fields and
 * their value forms are the seed's (`responses:<id>`, `api:<id>`, `group:<id>`), so imported keys
 * keep their bindings; the prefix only says which account kind the id names and is removed here.
 */
import { bindingTargetOf } from '../keys/bindings.ts'
import type { ApiKey } from '../keys/model.ts'
import type { Family, FamilyName } from './adapter.ts'

/** An account id with a seed kind prefix (`responses:`, `api:`) removed; `group:` is kept. */
export function bindingTarget(value: string): string {
  const t = bindingTargetOf(value)
  return t?.kind === 'account' ? t.id : value
}

const family = (
  name: FamilyName,
  permission: Family['permission'],
  fields: (keyof ApiKey)[],
): Family => ({
  name,
  permission,
  bindingOf(key) {
    for (const f of fields) {
      const v = key[f]
      if (typeof v === 'string' && v) return bindingTarget(v)
    }
    return ''
  },
})

/** The seed's CCR prefix: `ccr,<model>` on the Claude routes reaches CCR accounts only. */
const CCR_PREFIX = /^ccr,/i

/**
 * Every family. Bedrock answers on the Claude routes, after the Claude bindings; a `ccr,` model
 * on them goes to the CCR accounts (which no key binds), the prefix removed.
 */
export const FAMILIES: Record<FamilyName, Family> = {
  claude: {
    ...family('claude', 'claude', [
      'claudeAccountId',
      'claudeConsoleAccountId',
      'bedrockAccountId',
    ]),
    divert: (model) =>
      CCR_PREFIX.test(model) ? { family: 'ccr', model: model.replace(CCR_PREFIX, '') } : null,
  },
  ccr: family('ccr', 'claude', []),
  openai: family('openai', 'openai', ['openaiAccountId']),
  azure: family('azure', 'openai', ['azureOpenaiAccountId']),
  gemini: family('gemini', 'gemini', ['geminiAccountId']),
  droid: family('droid', 'droid', ['droidAccountId']),
}
