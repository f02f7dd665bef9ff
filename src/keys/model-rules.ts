/**
 * @module
 * A key's model allow/deny list. Entries and requested models are compared by the name pricing
 * reads (`usage/pricing.ts` normalisation: lower case, vendor prefixes such as `anthropic/` and
 * `us.anthropic.`, `provider,`, Bedrock `-v1:0`, Vertex `@date`, a trailing date, `-latest`; and
 * `-0`), so denying `claude-opus-4-1-20250805` also denies `claude-opus-4-1`, its `-latest`,
 * Bedrock and upper-case spellings, and allowing one allows them all.
 */
import { NORMALISERS } from '../usage/pricing.ts'
import type { ApiKey } from './model.ts'

const memo = new Map<string, string>()

/** The model name as pricing reads it (`claude-opus-4-1-20250805` → `claude-opus-4-1`). */
export function canonicalModel(model: string): string {
  const hit = memo.get(model)
  if (hit !== undefined) return hit
  let name = model
  for (const step of NORMALISERS) name = step(name)
  name = name.replace(/-0$/, '')
  if (memo.size > 10_000) memo.clear()
  memo.set(model, name)
  return name
}

/** The canonical names of a key's list (computed once per list; keys are cached objects). */
const lists = new WeakMap<readonly string[], Set<string>>()

/** True when a key's model rules let it use `model`. */
export function keyAllowsModel(
  key: Pick<ApiKey, 'enableModelRestriction' | 'modelRestrictionMode' | 'restrictedModels'>,
  model: string,
): boolean {
  if (!key.enableModelRestriction || key.restrictedModels.length === 0) return true
  let names = lists.get(key.restrictedModels)
  if (!names) {
    names = new Set(key.restrictedModels.map(canonicalModel))
    lists.set(key.restrictedModels, names)
  }
  const listed = names.has(canonicalModel(model))
  return key.modelRestrictionMode === 'allow' ? listed : !listed
}
