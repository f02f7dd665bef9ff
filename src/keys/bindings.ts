/**
 * @module
 * A key's account bindings across every family, in the seed's field names and value forms: an
 * account id, `group:<id>`, or a prefixed id (`responses:<id>`, `api:<id>`). Group deletion,
 * account deletion and the admin's binding counts all read them here.
 */
import type { ApiKey } from './model.ts'

/** Every binding field of a key. */
export const BINDING_FIELDS = [
  'claudeAccountId',
  'claudeConsoleAccountId',
  'bedrockAccountId',
  'openaiAccountId',
  'azureOpenaiAccountId',
  'geminiAccountId',
  'droidAccountId',
] as const

/** One binding field. */
export type BindingField = (typeof BINDING_FIELDS)[number]

/** What a binding value names: an account (`kind: account`) or a group, by id. */
export function bindingTargetOf(value: string): { kind: 'account' | 'group'; id: string } | null {
  if (!value) return null
  if (value.startsWith('group:')) return { kind: 'group', id: value.slice(6) }
  const m = /^(responses|api):(.+)$/.exec(value)
  return { kind: 'account', id: m ? m[2]! : value }
}

/** The fields of `key` whose binding names account or group `id`. */
export function fieldsBoundTo(
  key: Partial<Pick<ApiKey, BindingField>>,
  id: string,
): BindingField[] {
  return BINDING_FIELDS.filter((f) => bindingTargetOf(key[f] ?? '')?.id === id)
}

/** Keys bound per account or group id (live keys only; a key counts once per target). */
export function bindingCounts(keys: (Pick<ApiKey, BindingField> & { isDeleted: boolean })[]) {
  const out: Record<string, number> = {}
  for (const k of keys) {
    if (k.isDeleted) continue
    const ids = new Set<string>()
    for (const f of BINDING_FIELDS) {
      const t = bindingTargetOf(k[f])
      if (t) ids.add(t.id)
    }
    for (const id of ids) out[id] = (out[id] ?? 0) + 1
  }
  return out
}
