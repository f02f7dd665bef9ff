/**
 * @module
 * How a key is bound and restricted, in words: the binding that applies (a Claude account or group
 * wins over a Console account when both are set, as the scheduler picks) and badges for its model
 * and client restrictions. Also the binding fields per platform (which account kinds each takes,
 * in the seed's value forms `api:<id>` and `responses:<id>`, and which group platform) and the
 * account kinds a group of each platform holds, as the server accepts them.
 */
import { html, type TemplateResult } from 'lit'
import type { Account, AccountGroup, ApiKey, KeyInput, Platform } from '../api/types.ts'
import { type MessageKey, t } from '../i18n/i18n.ts'

/** Group platforms and the account kinds a group of each holds (`accounts/groups.ts`). */
export const GROUP_MEMBER_KINDS = {
  claude: ['claude-oauth', 'claude-console'],
  openai: ['openai', 'openai-responses'],
  gemini: ['gemini-oauth', 'gemini-api'],
  droid: ['droid'],
} as const satisfies Record<string, readonly Platform[]>

/** A group platform. */
export type GroupPlatform = keyof typeof GROUP_MEMBER_KINDS

/** Every group platform, in the order the UI offers them. */
export const GROUP_PLATFORMS = Object.keys(GROUP_MEMBER_KINDS) as GroupPlatform[]

/** One binding field of a key: its label, the account kinds (with value prefix) and groups. */
export interface BindingSlot {
  field: keyof KeyInput & `${string}AccountId`
  label: MessageKey
  /** The platform's short name (the keys list prefixes bindings outside Claude with it). */
  short: MessageKey
  kinds: readonly (readonly [Platform, string])[]
  group?: GroupPlatform
}

/** The key's binding fields, as the key dialog shows them. */
export const BINDING_SLOTS: readonly BindingSlot[] = [
  {
    field: 'claudeAccountId',
    label: 'keyDlg.oauthAccount',
    short: 'groups.platform.claude',
    kinds: [['claude-oauth', '']],
    group: 'claude',
  },
  {
    field: 'claudeConsoleAccountId',
    label: 'keyDlg.consoleAccount',
    short: 'acc.platform.claude-console',
    kinds: [['claude-console', '']],
  },
  {
    field: 'bedrockAccountId',
    label: 'keyDlg.bedrockAccount',
    short: 'acc.platform.bedrock',
    kinds: [['bedrock', '']],
  },
  {
    field: 'openaiAccountId',
    label: 'keyDlg.openaiAccount',
    short: 'groups.platform.openai',
    kinds: [
      ['openai', ''],
      ['openai-responses', 'responses:'],
    ],
    group: 'openai',
  },
  {
    field: 'azureOpenaiAccountId',
    label: 'keyDlg.azureAccount',
    short: 'oa.kind.azure-openai',
    kinds: [['azure-openai', '']],
  },
  {
    field: 'geminiAccountId',
    label: 'keyDlg.geminiAccount',
    short: 'groups.platform.gemini',
    kinds: [
      ['gemini-oauth', ''],
      ['gemini-api', 'api:'],
    ],
    group: 'gemini',
  },
  {
    field: 'droidAccountId',
    label: 'keyDlg.droidAccount',
    short: 'groups.platform.droid',
    kinds: [['droid', '']],
    group: 'droid',
  },
]

/** Account kinds any binding field takes (what the key dialog needs listed). */
export const BINDABLE_KINDS: readonly Platform[] = BINDING_SLOTS.flatMap((s) =>
  s.kinds.map(([p]) => p),
)

/** The name of an account kind. */
export function platformLabel(p: Platform): string {
  return p === 'openai' || p === 'openai-responses' || p === 'azure-openai'
    ? t(`oa.kind.${p}`)
    : t(`acc.platform.${p}` as MessageKey)
}

/** The choices of one binding field: the shared pool, its accounts, then its platform's groups. */
export function bindingChoices(
  slot: BindingSlot,
  accounts: readonly Pick<Account, 'id' | 'name' | 'platform'>[],
  groups: readonly AccountGroup[],
): [string, string][] {
  const out: [string, string][] = [['', t('keys.sharedPool')]]
  const several = slot.kinds.length > 1
  for (const [kind, prefix] of slot.kinds)
    for (const a of accounts)
      if (a.platform === kind)
        out.push([`${prefix}${a.id}`, several ? `${a.name} (${platformLabel(kind)})` : a.name])
  if (slot.group)
    for (const g of groups)
      if (g.platform === slot.group)
        out.push([`group:${g.id}`, `${t('acc.filter.group')}: ${g.name}`])
  return out
}

/** The name of an account or `group:<id>` binding (`api:`/`responses:` prefixes read too). */
export function bindingName(id: string, accounts: Account[], groups: AccountGroup[]): string {
  if (!id) return ''
  if (id.startsWith('group:')) {
    const g = groups.find((x) => `group:${x.id}` === id)
    return `${t('acc.filter.group')}: ${g?.name ?? id.slice(6, 14)}`
  }
  const bare = id.replace(/^(api|responses):/, '')
  return accounts.find((a) => a.id === bare)?.name ?? bare.slice(0, 8)
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

/** The key's bindings outside the Claude pair, each named with its platform ("Gemini: Group: x"). */
export function otherBindings(
  k: Partial<Pick<ApiKey, BindingSlot['field']>>,
  accounts: Account[],
  groups: AccountGroup[],
): string[] {
  return BINDING_SLOTS.filter(
    (s) => s.field !== 'claudeAccountId' && s.field !== 'claudeConsoleAccountId' && k[s.field],
  ).map((s) => `${t(s.short)}: ${bindingName(k[s.field] ?? '', accounts, groups)}`)
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
