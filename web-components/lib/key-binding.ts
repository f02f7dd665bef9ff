/**
 * @module
 * How a key is bound and restricted, in words: the binding that applies (a Claude account or group
 * wins over a Console account when both are set, as the scheduler picks) and badges for its model
 * and client restrictions.
 */
import { html, type TemplateResult } from 'lit'
import type { Account, AccountGroup, ApiKey } from '../api/types.ts'
import { t } from '../i18n/i18n.ts'

/** The name of an account or `group:<id>` binding. */
export function bindingName(id: string, accounts: Account[], groups: AccountGroup[]): string {
  if (!id) return ''
  if (id.startsWith('group:')) {
    const g = groups.find((x) => `group:${x.id}` === id)
    return `${t('acc.filter.group')}: ${g?.name ?? id.slice(6, 14)}`
  }
  return accounts.find((a) => a.id === id)?.name ?? id.slice(0, 8)
}

/**
 * The binding the relay uses (`active`, '' = the shared pool) and a set binding it ignores: with
 * both a Claude and a Console binding, the Claude one wins.
 */
export function bindingOf(
  k: Pick<ApiKey, 'claudeAccountId' | 'claudeConsoleAccountId'>,
  accounts: Account[],
  groups: AccountGroup[],
): { active: string; ignored: string } {
  const claude = bindingName(k.claudeAccountId, accounts, groups)
  const console = bindingName(k.claudeConsoleAccountId, accounts, groups)
  return claude ? { active: claude, ignored: console } : { active: console, ignored: '' }
}

/** Badges of a key's model and client restrictions (none when it has none). */
export function restrictionBadges(
  k: Pick<
    ApiKey,
    | 'enableModelRestriction'
    | 'modelRestrictionMode'
    | 'restrictedModels'
    | 'enableClientRestriction'
    | 'allowedClients'
  >,
): TemplateResult[] {
  const out: TemplateResult[] = []
  if (k.enableModelRestriction && k.restrictedModels.length)
    out.push(
      html`<span class="badge warn" title=${`${t(k.modelRestrictionMode === 'allow' ? 'keyDlg.modelMode.allow' : 'keyDlg.modelMode.deny')}: ${k.restrictedModels.join(', ')}`}>${t(
        k.modelRestrictionMode === 'allow' ? 'keys.modelsAllowed' : 'keys.modelsBlocked',
        { n: k.restrictedModels.length },
      )}</span>`,
    )
  if (k.enableClientRestriction && k.allowedClients.length)
    out.push(
      html`<span class="badge warn" title=${`${t('keyDlg.clientRestriction')}: ${k.allowedClients.join(', ')}`}>${t(
        'keys.clientsOnly',
        {
          n: k.allowedClients.length,
        },
      )}</span>`,
    )
  return out
}
